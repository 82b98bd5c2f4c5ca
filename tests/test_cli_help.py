"""Every option of every tool and benchmark says what it does in --help."""
import glob
import os.path as osp
import re
import subprocess
import sys

import pytest

from conftest import REPO

SCRIPTS = sorted(osp.relpath(p, REPO) for p in
                 glob.glob(osp.join(REPO, 'tools', '*.py')) +
                 glob.glob(osp.join(REPO, 'tools', 'dataset_converters', '*.py')) +
                 glob.glob(osp.join(REPO, 'benchmarks', '*.py')))


def options_without_help(text: str):
    """Option signatures in an argparse --help text that have no help after them."""
    lines, missing, i = text.splitlines(), [], 0
    while i < len(lines):
        if re.match(r'^  -', lines[i]):
            signature, _, rest = lines[i].strip().partition('  ')
            j, extra = i + 1, []
            while j < len(lines) and lines[j].startswith('   ') and \
                    not re.match(r'^  -', lines[j]):
                extra.append(lines[j].strip())
                j += 1
            if not rest.strip() and not extra and not signature.startswith('-h'):
                missing.append(signature)
            i = j
        else:
            i += 1
    return missing


def test_the_checker_finds_an_option_without_help():
    assert options_without_help('options:\n  -h, --help  show\n  --seed SEED\n  --x X   '
                                'says what\n') == ['--seed SEED']


@pytest.mark.parametrize('script', SCRIPTS)
def test_every_option_has_help(script):
    out = subprocess.run([sys.executable, osp.join(REPO, script), '--help'],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert options_without_help(out.stdout) == []


@pytest.mark.parametrize('script', ['gait_events.py', 'cross_athlete.py', 'camera_panning.py'])
def test_a_benchmark_lifter_config_without_weights_is_a_usage_error(script):
    """``--lifter CONFIG`` alone would lift with random weights: refused at once, before
    any work, with the usage."""
    out = subprocess.run([sys.executable, osp.join(REPO, 'benchmarks', script), '--lifter',
                          osp.join(REPO, 'configs', 'runningpose_tcn_released.py')],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 2, out.stderr[-2000:]
    assert 'error: --lifter takes released, or a config and its checkpoint(s)' in out.stderr
    assert 'Traceback' not in out.stderr and out.stdout == ''

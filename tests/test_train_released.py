"""The released lifter's recipe (tools/train_released.py), run tiny: leave-one-trial-out."""
import json
import os.path as osp
import subprocess
import sys

from conftest import REPO, SHARED_DATA, shared_file


def test_leave_one_out_never_trains_or_selects_on_the_held_out_trial(tmp_path):
    """--leave-one-out: one run per real whole-skeleton trial (the Qualisys two and
    Hamner's 2 m/s trial, its knees and head estimated; the 3 m/s one is kept out by
    default; RBDS lacks the upper body: it trains legs and feet in every fold), each testing
    on its held-out trial only, which no training or validation split holds, and the
    kept-out trial in none; the table has both 2D inputs per trial."""
    shared_file('qualisys_tindra', 'Tindra1.txt')  # skips without the shared data
    out = subprocess.run(
        [sys.executable, f'{REPO}/tools/train_released.py', '--leave-one-out',
         '--shared-data', SHARED_DATA, '--synthetic', '4', '--cameras', '1',
         '--real-cameras', '1', '--lower-body-cameras', '1', '--seconds', '1', '--epochs',
         '1', '--members', '1',
         '--config', f'{REPO}/configs/runningpose_tcn_27frm.py', '--work-dir', str(tmp_path)],
        capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    with open(tmp_path / 'leave_one_out.json') as f:
        table = json.load(f)
    assert sorted(table) == ['Tindra1', 'Tindra2', 'hamner_run200']
    for trial, results in table.items():
        assert results['hold_out'] == trial
        assert results['lower_body_trials'] == ['rbds001_run250', 'rbds001_run350']
        assert set(results['tests']) == {'clean', 'detector-like'}
        assert all(0 < m['MPJPE'] < 2000 for m in results['tests'].values())
        for data in ('mixed', 'noisy'):
            with open(osp.join(tmp_path, f'hold_out_{trial}', 'data', data,
                               'summary.json')) as f:
                splits = json.load(f)['splits']
            assert splits['test']['trials'] == [trial]
            for split in ('train', 'val'):
                assert trial not in splits.get(split, {}).get('trials', [])
            assert not any('hamner_run300' in s.get('trials', []) for s in splits.values())
            if data == 'mixed':  # RBDS teaches legs and feet in every fold, never tested
                assert {'rbds001_run250', 'rbds001_run350'} <= set(splits['train']['trials'])
        assert f'| {trial} | clean |' in out.stdout and f'| {trial} | detector-like |' \
            in out.stdout


def test_a_body_scale_that_could_flip_segments_is_refused(tmp_path):
    out = subprocess.run(
        [sys.executable, f'{REPO}/tools/train_released.py', '--body-scale', '0.6', '0',
         '--work-dir', str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and 'Traceback' not in out.stderr
    assert '--body-scale takes two standard deviations between 0 and 0.2' in out.stderr


def test_a_negative_lower_body_camera_count_is_refused(tmp_path):
    out = subprocess.run(
        [sys.executable, f'{REPO}/tools/train_released.py', '--lower-body-cameras', '-1',
         '--work-dir', str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and 'Traceback' not in out.stderr
    assert '--lower-body-cameras must be 0 or more, got -1' in out.stderr


def test_update_release_usage_and_foreign_figures_leave_the_shipped_file_alone(tmp_path):
    """--update-release adds figures only: without any, or --cross-athlete-results without
    it, is a usage error; figures measured on other weights are refused (exit 1, an
    ``error:`` line) and the shipped file is unchanged; --jobs 0 is a usage error."""
    from runningpose_mm.apis.released import RELEASED_WEIGHTS
    shipped = open(RELEASED_WEIGHTS, 'rb').read()
    foreign = tmp_path / 'cross.json'
    foreign.write_text(json.dumps(dict(trial='hamner_run300', clean={}, gait={},
                                       weights_fingerprint='0' * 64)))
    tool = [sys.executable, f'{REPO}/tools/train_released.py']
    for args, code, message in (
            (['--update-release'], 2, 'neither was given'),
            (['--cross-athlete-results', str(foreign)], 2, 'use it with --update-release'),
            (['--update-release', '--cross-athlete-results', str(tmp_path / 'none.json')], 2,
             'no such file'),
            (['--jobs', '0'], 2, '--jobs must be 1 or more, got 0'),
            (['--update-release', '--cross-athlete-results', str(foreign)], 1,
             'error: the cross-athlete figures were measured on other weights')):
        out = subprocess.run(tool + args, capture_output=True, text=True, timeout=120)
        assert out.returncode == code and message in out.stderr, (args, out.stderr[-2000:])
        assert 'Traceback' not in out.stderr
    assert open(RELEASED_WEIGHTS, 'rb').read() == shipped


def test_members_trained_side_by_side_and_reused_when_finished(tmp_path):
    """--members 2 --jobs 2: both trainings run, each in its own process on its own data
    draw (seeds 0 and 1), and the held-out test scores each member and their mean; run
    again, the finished members are reused, not retrained, unless the recipe differs."""
    shared_file('qualisys_tindra', 'Tindra1.txt')  # skips without the shared data
    command = [sys.executable, f'{REPO}/tools/train_released.py', '--shared-data',
               SHARED_DATA, '--synthetic', '4', '--cameras', '1', '--real-cameras', '1',
               '--lower-body-cameras', '0', '--seconds', '1', '--epochs', '1', '--members',
               '2', '--jobs', '2', '--config', f'{REPO}/configs/runningpose_tcn_27frm.py',
               '--work-dir', str(tmp_path)]
    out = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    with open(tmp_path / 'results.json') as f:
        results = json.load(f)
    assert results['seeds'] == [0, 1] and len(results['checkpoint']) == 2
    assert [osp.dirname(osp.dirname(c)) for c in results['checkpoint']] == \
        [str(tmp_path / 'seed0'), str(tmp_path / 'seed1')]
    assert len(results['member_tests']) == 2 and set(results['tests']) == {'clean',
                                                                           'detector-like'}
    assert 'seed 0: trained 1 epochs' in out.stdout and 'seed 1: trained 1 epochs' in out.stdout
    rows = []
    for seed in (0, 1):
        with open(tmp_path / f'seed{seed}' / 'data' / 'mixed' / 'summary.json') as f:
            rows.append(json.load(f)['splits']['train']['rows'])
    assert rows[0] != rows[1]  # each member its own draw of runners and cameras

    # the same command again reuses the finished members; another recipe there is refused
    again = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr[-3000:]
    assert 'seed 0: trained before' in again.stdout and 'seed 1: trained before' in again.stdout
    assert 'trained 1 epochs' not in again.stdout
    with open(tmp_path / 'results.json') as f:
        assert json.load(f)['checkpoint'] == results['checkpoint']
    other = subprocess.run(command + ['--real-cameras', '2'], capture_output=True, text=True,
                           timeout=600)
    assert other.returncode == 1 and 'a member trained with another recipe' in other.stderr
    assert 'Traceback' not in other.stderr


def test_a_member_stopped_mid_training_resumes_from_its_last_epoch(tmp_path):
    """A training stopped after its first of two epochs (its epoch-1 checkpoint saved, no
    member.json): the same command resumes it from that checkpoint and trains the second
    epoch only; its minutes are those of both epochs. A training started with another
    recipe in the work dir is refused before any work."""
    shared_file('qualisys_tindra', 'Tindra1.txt')  # skips without the shared data
    config = tmp_path / 'tiny.py'  # keeps both epoch checkpoints, to stop after the first
    config.write_text(f"_base_ = ['{REPO}/configs/runningpose_tcn_27frm.py']\n"
                      "default_hooks = dict(checkpoint=dict(max_keep_ckpts=2))\n")
    work = tmp_path / 'work'
    command = [sys.executable, f'{REPO}/tools/train_released.py', '--shared-data',
               SHARED_DATA, '--synthetic', '4', '--cameras', '1', '--real-cameras', '1',
               '--lower-body-cameras', '0', '--seconds', '1', '--epochs', '2', '--members',
               '1', '--hold-out', '', '--config', str(config), '--work-dir', str(work)]
    out = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    train = work / 'train'
    with open(train / 'training.json') as f:
        minutes = json.load(f)['minutes_at_epoch']
    assert sorted(minutes) == ['1', '2'] and 0 < minutes['1'] < minutes['2']

    # the stop: after epoch 1's checkpoint, before epoch 2's
    (work / 'member.json').unlink()
    (train / 'epoch_2.pth').unlink()
    for best in train.glob('best_*epoch_2.pth'):
        best.unlink()
    (train / 'last_checkpoint').write_text(str(train / 'epoch_1.pth'))
    with open(train / 'training.json') as f:
        record = json.load(f)
    del record['minutes_at_epoch']['2']
    (train / 'training.json').write_text(json.dumps(record))
    first_epoch = (train / 'epoch_1.pth').stat().st_mtime_ns

    again = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr[-3000:]
    assert f"seed 0: resuming from {train / 'epoch_1.pth'}" in again.stdout
    with open(work / 'member.json') as f:
        member = json.load(f)
    assert member['resumed_after_epoch'] == 1 and member['epochs'] == 2
    assert (train / 'epoch_2.pth').is_file()
    assert (train / 'epoch_1.pth').stat().st_mtime_ns == first_epoch  # not trained again
    with open(train / 'training.json') as f:
        resumed = json.load(f)['minutes_at_epoch']
    assert resumed['1'] == minutes['1'] < resumed['2']
    assert member['train_minutes'] == round(resumed['2'], 1)

    # a started training of another recipe is refused, not resumed
    (work / 'member.json').unlink()
    other = subprocess.run(command + ['--real-cameras', '2'], capture_output=True, text=True,
                           timeout=600)
    assert other.returncode == 1, other.stderr[-3000:]
    assert 'a training started with another recipe' in other.stderr
    assert 'Traceback' not in other.stderr

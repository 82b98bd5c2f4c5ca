"""Evaluate a runningpose_mm checkpoint: MPJPE, P-MPJPE, N-MPJPE, MPJVE, per joint (mm).

    python tools/test.py configs/runningpose_tcn.py CHECKPOINT [--work-dir DIR]
        [--cfg-options KEY=VALUE ...] [--out metrics.json] [--launcher ...]
"""
import argparse
import json
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a checkout

from mmengine.dist import get_dist_info  # noqa: E402

import runningpose_mm  # noqa: E402,F401
from runningpose_mm.apis.lifting import is_released_file, load_lifter  # noqa: E402
from runningpose_mm.apis.runner import build_runner, finish_distributed  # noqa: E402
from runningpose_mm.evaluation import format_error_table, score_on_test_set  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(description='Evaluate a runningpose_mm model')
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint file (.pth), or a released lifter '
                        'file (runningpose_mm/released/*.pth: its whole ensemble)')
    parser.add_argument('--work-dir', help='where logs go (default: work_dirs/<config>)')
    parser.add_argument('--out', help='also write the metrics to this JSON file')
    parser.add_argument('--cfg-options', nargs='+', default=None, metavar='KEY=VALUE',
                        help='override config entries')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher for distributed testing')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0,
                        help='set by the launcher')
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main():
    args = parse_args()
    if not osp.isfile(args.checkpoint):
        sys.exit(f'error: checkpoint {args.checkpoint} does not exist')
    if is_released_file(args.checkpoint):
        # a released lifter file (compact, possibly an ensemble): lifted as the video path
        # lifts it, over the config's test set
        if args.launcher != 'none':
            sys.exit('error: a released lifter file is evaluated in one process '
                     '(--launcher none)')
        runner = build_runner(args.config, work_dir=args.work_dir, cfg_options=args.cfg_options)
        metrics = score_on_test_set(runner, load_lifter(args.config, args.checkpoint))
    else:
        runner = build_runner(args.config, work_dir=args.work_dir,
                              cfg_options=args.cfg_options, launcher=args.launcher,
                              load_from=args.checkpoint)
        metrics = runner.test()
    if get_dist_info()[0] == 0:  # every process gets the gathered metrics; one reports
        print(format_error_table(metrics))
        if args.out:
            with open(args.out, 'w') as f:
                json.dump(metrics, f, indent=2)
    finish_distributed()


if __name__ == '__main__':
    main()

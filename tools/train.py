"""Train a runningpose_mm model: config -> MMEngine Runner (as MMPose's tools/train.py).

    python tools/train.py configs/runningpose_tcn.py [--work-dir DIR] [--resume]
        [--cfg-options KEY=VALUE ...] [--launcher {none,pytorch,slurm,mpi}]
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a checkout

import runningpose_mm  # noqa: E402,F401  (registers the plugin, applies compat fixes)
from runningpose_mm.apis.runner import build_runner, finish_distributed  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(description='Train a runningpose_mm model')
    parser.add_argument('config', help='config file')
    parser.add_argument('--work-dir', help='where logs and checkpoints go '
                        '(default: work_dirs/<config name>)')
    parser.add_argument('--resume', nargs='?', const='auto', default=None,
                        help='resume from a checkpoint, or the latest one in work-dir')
    parser.add_argument('--load-from', help='initialise from these weights (not resumed)')
    parser.add_argument('--cfg-options', nargs='+', default=None, metavar='KEY=VALUE',
                        help='override config entries, e.g. train_cfg.max_epochs=5')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher for distributed training')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0,
                        help='set by the launcher')
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main():
    args = parse_args()
    runner = build_runner(args.config, work_dir=args.work_dir, cfg_options=args.cfg_options,
                          launcher=args.launcher, resume=args.resume, load_from=args.load_from)
    runner.train()
    finish_distributed()


if __name__ == '__main__':
    main()

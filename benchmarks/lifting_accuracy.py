"""Accuracy benchmark: lifting error on a held-out real trial, against a plain baseline
trained in the same run.

    python benchmarks/lifting_accuracy.py [--epochs 15] [--work-dir work_dirs/bench_accuracy]

Held-out test: Tindra2 (the shared RunningPose Qualisys trial not used for training),
seen through 40 virtual cameras at 50 fps. Every model is the 27-frame, 512-channel TCN,
trained for the same number of iterations (``--epochs`` of the largest dataset; the
smaller baseline dataset gets proportionally more epochs) with the same total
learning-rate decay; the last checkpoint is tested (no selection on the test trial).

- baseline: trained only on Tindra1 through 40 virtual cameras (the plain recipe:
  the other shared Qualisys trial, clean 2D).
- ours, clean 2D: Tindra1 (40 cameras) + synthetic runners with varied
  anthropometrics, speeds, strike patterns and treadmill/overground (6 cameras each),
  with the mirror flip.
- ours, detector-like 2D: the same, with jitter, drift, dropouts and left/right swaps
  in the 2D inputs of training and test.

Prints per-joint tables and the ratio of each recipe's MPJPE to the baseline's.
"""
import argparse
import json
import math
import os
import os.path as osp
import sys
import time

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)

import runningpose_mm  # noqa: E402,F401
from runningpose_mm.apis.runner import build_runner, load_config  # noqa: E402
from runningpose_mm.evaluation import format_error_table  # noqa: E402
from runningpose_mm.mocap.corruption import DetectorNoiseConfig  # noqa: E402
from runningpose_mm.mocap.dataset_builder import (BuildConfig, TrialSource,  # noqa: E402
                                                  build_dataset, shared_data_trials,
                                                  synthetic_trials)

CONFIG = osp.join(REPO, 'configs', 'runningpose_tcn_27frm.py')


def recipes(shared: str, synthetic: int):
    real = {t.name: t for t in shared_data_trials(shared)}
    if 'Tindra1' not in real or 'Tindra2' not in real:
        sys.exit(f'error: the Qualisys trials are not in {shared}')
    for t in real.values():
        t.num_cameras = 40
    baseline = [real['Tindra1'], real['Tindra2'],
                TrialSource('Tindra2_val', 'val', 'tindra', real['Tindra2'].path,
                            'runningpose_qualisys45', dict(rate_hz=170.0), num_cameras=4)]
    ours = [t for t in real.values()] + synthetic_trials(synthetic, 'train', 0) + \
        synthetic_trials(max(1, synthetic // 4), 'val', 1)
    return dict(baseline=(baseline, None), ours_clean=(ours, None),
                ours_noisy=(ours, DetectorNoiseConfig()))


def build(name, trials, noise, args) -> int:
    """Write the recipe's dataset; returns its training iterations per epoch."""
    data = osp.join(args.work_dir, name, 'data')
    summary = build_dataset(trials, data, BuildConfig(fps=50, cameras_per_trial=6,
                                                      noise=noise, seed=args.seed),
                            progress=False)
    batch = load_config(CONFIG).train_dataloader.batch_size
    return math.ceil(summary['splits']['train']['rows'] / batch)


def run(name, epochs, args):
    data = osp.join(args.work_dir, name, 'data')
    # the same learning-rate decay over the whole training, whatever its epoch count
    gamma = args.gamma ** (args.epochs / epochs)
    roots = [f'{s}_dataloader.dataset.data_root={data}' for s in ('train', 'val', 'test')]
    options = roots + [f'train_cfg.max_epochs={epochs}',
                       f'train_cfg.val_interval={epochs}',
                       f'param_scheduler.0.end={epochs}',
                       f'param_scheduler.0.gamma={gamma}',
                       'default_hooks.logger.interval=200', f'randomness.seed={args.seed}']
    work = osp.join(args.work_dir, name, 'train')
    start = time.perf_counter()
    build_runner(CONFIG, work_dir=work, cfg_options=options).train()
    minutes = (time.perf_counter() - start) / 60
    last = osp.join(work, f'epoch_{epochs}.pth')
    metrics = build_runner(CONFIG, work_dir=osp.join(args.work_dir, name, 'test'),
                           cfg_options=options, load_from=last).test()
    metrics['train_minutes'] = minutes
    return metrics


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--work-dir', default=osp.join(REPO, 'work_dirs', 'bench_accuracy'),
                        help='datasets, logs and checkpoints')
    parser.add_argument('--shared-data', default=osp.join(osp.dirname(REPO), 'shared', 'data'),
                        help='folder of the real mocap')
    parser.add_argument('--epochs', type=int, default=15,
                        help='epochs of the largest recipe; every recipe trains for as many '
                        'iterations')
    parser.add_argument('--gamma', type=float, default=0.85,
                        help='learning-rate decay per epoch of the largest recipe (the same '
                        'total decay for every recipe)')
    parser.add_argument('--synthetic', type=int, default=60, help='synthetic training runners')
    parser.add_argument('--seed', type=int, default=0, help='seed of data and training')
    parser.add_argument('--only', nargs='+', choices=['baseline', 'ours_clean', 'ours_noisy'],
                        help='run only these recipes')
    args = parser.parse_args()
    os.makedirs(args.work_dir, exist_ok=True)
    chosen = {name: recipe for name, recipe in recipes(args.shared_data,
                                                       args.synthetic).items()
              if not args.only or name in args.only}
    per_epoch = {name: build(name, trials, noise, args)
                 for name, (trials, noise) in chosen.items()}
    # every recipe trains for the same number of iterations: --epochs of the largest
    # dataset (a smaller one gets more epochs, not fewer updates)
    iterations = args.epochs * max(per_epoch.values())
    results = {}
    for name in chosen:
        epochs = max(1, round(iterations / per_epoch[name]))
        print(f'\n=== {name}: {epochs} epochs x {per_epoch[name]} iterations ===', flush=True)
        results[name] = run(name, epochs, args)
        results[name]['iterations'] = epochs * per_epoch[name]
        print(format_error_table(results[name]), flush=True)
    with open(osp.join(args.work_dir, 'results.json'), 'w') as f:
        json.dump(results, f, indent=2)
    print('\n=== summary: held-out Tindra2, 40 virtual cameras, mm ===')
    print(f"{'recipe':<14}{'MPJPE':>8}{'P-MPJPE':>9}{'N-MPJPE':>9}{'feet':>7}{'MPJVE':>7}"
          f"{'x baseline':>12}{'iterations':>11}{'train min':>11}")
    base = results.get('baseline', {}).get('MPJPE')
    for name, m in results.items():
        ratio = f"{m['MPJPE'] / base:.2f}" if base else '-'
        print(f"{name:<14}{m['MPJPE']:8.1f}{m['P-MPJPE']:9.1f}{m['N-MPJPE']:9.1f}"
              f"{m['MPJPE/feet']:7.1f}{m['MPJVE']:7.1f}{ratio:>12}{m['iterations']:11d}"
              f"{m['train_minutes']:11.1f}")


if __name__ == '__main__':
    main()

"""Build a RunningPose lifting dataset from motion capture (and/or synthetic runners).

Examples:
    # the shared real trials (+ 40 synthetic runners), 8 virtual cameras each, 50 fps
    python tools/dataset_converters/build_runningpose.py --shared-data ../shared/data \
        --synthetic 40 --out data/runningpose

    # your own trials: NAME=PATH,MAP,SPLIT[,SUBJECT[,RATE_HZ]] (maps:
    # runningpose_qualisys45, hamner_opensim, or a .yaml file of your own; RATE_HZ for
    # marker files that store no rate, e.g. Qualisys .txt)
    python tools/dataset_converters/build_runningpose.py \
        --trial s1_run1=captures/s1_run1.c3d,my_markers.yaml,train,s1 \
        --trial s2_run1=captures/s2_run1.tsv,my_markers.yaml,test,s2 --out data/mine

Writes train/val/test .npz files (read by RunningPoseDataset) and summary.json.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from runningpose_mm.mocap.cameras import VirtualRigConfig, load_calibrated_cameras  # noqa: E402
from runningpose_mm.mocap.corruption import DetectorNoiseConfig  # noqa: E402
from runningpose_mm.mocap.dataset_builder import (BuildConfig, TrialSource,  # noqa: E402
                                                  build_dataset, format_summary,
                                                  shared_data_trials, synthetic_trials)


def parse_trial(text: str) -> TrialSource:
    try:
        name, rest = text.split('=', 1)
        fields = rest.split(',')
        path, marker_map, split = fields[:3]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f'--trial expects NAME=PATH,MAP,SPLIT[,SUBJECT[,RATE_HZ]], got {text!r}') from None
    subject = fields[3] if len(fields) > 3 and fields[3] else name
    reader = {}
    if len(fields) > 4:
        try:
            reader['rate_hz'] = float(fields[4])
        except ValueError:
            raise argparse.ArgumentTypeError(
                f'--trial {name}: RATE_HZ must be a number, got {fields[4]!r}') from None
    if not osp.isfile(path):
        raise argparse.ArgumentTypeError(f'--trial {name}: file {path} does not exist')
    return TrialSource(name, split, subject, path, marker_map, reader)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument('--trial', action='append', type=parse_trial, default=[],
                        help='NAME=PATH,MAP,SPLIT[,SUBJECT[,RATE_HZ]] (repeat for more '
                        'trials; RATE_HZ for files that store no rate)')
    parser.add_argument('--shared-data', help='add the real trials of shared/data')
    parser.add_argument('--synthetic', type=int, default=0,
                        help='synthetic runners for training (+1/4 as many for validation)')
    parser.add_argument('--synthetic-seconds', type=float, default=4.0,
                        help='length of each synthetic runner')
    parser.add_argument('--fps', type=float, default=50.0, help='target frame rate')
    parser.add_argument('--cameras', type=int, default=8, help='virtual cameras per trial')
    parser.add_argument('--real-cameras', type=int,
                        help='virtual cameras per real (non-synthetic) trial (default: '
                        '--cameras); real trials are few, so more views help')
    parser.add_argument('--calibrated-cameras', help='camera JSON (Qualisys style) to use '
                        'instead of virtual cameras')
    parser.add_argument('--noise', choices=['none', 'detector'], default='none',
                        help='corrupt 2D like a detector (jitter, dropouts, swaps)')
    parser.add_argument('--seed', type=int, default=0, help='seed of runners, cameras and noise')
    parser.add_argument('--max-gap', type=int, default=10,
                        help='fill marker gaps up to this many frames')
    parser.add_argument('--no-progress', action='store_true', help='no progress bar')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    trials = list(args.trial)
    if args.shared_data:
        found = shared_data_trials(args.shared_data)
        if not found:
            sys.exit(f'error: no trials found in {args.shared_data} (expected '
                     'qualisys_tindra/, hamner2013_subject04/ and/or fukuchi2017_rbds001/)')
        trials += found
    if args.real_cameras:
        for trial in trials:
            trial.num_cameras = args.real_cameras
    if args.synthetic:
        trials += synthetic_trials(args.synthetic, 'train', args.seed, args.synthetic_seconds)
        trials += synthetic_trials(max(1, args.synthetic // 4), 'val', args.seed + 1,
                                   args.synthetic_seconds)
    if not trials:
        sys.exit('error: no trials: give --trial, --shared-data and/or --synthetic')
    config = BuildConfig(
        fps=args.fps, cameras_per_trial=args.cameras, rig=VirtualRigConfig(),
        calibrated_cameras=load_calibrated_cameras(args.calibrated_cameras)
        if args.calibrated_cameras else None,
        noise=DetectorNoiseConfig() if args.noise == 'detector' else None,
        seed=args.seed, max_gap_frames=args.max_gap)
    summary = build_dataset(trials, args.out, config, progress=not args.no_progress)
    print(format_summary(summary))
    for split in ('train', 'val'):
        if split not in summary['splits']:
            print(f'warning: no {split} split (training needs train and val): add trials '
                  f'with that split or --synthetic N (validation runners)', file=sys.stderr)
    print(f'written to {args.out}')


if __name__ == '__main__':
    main()

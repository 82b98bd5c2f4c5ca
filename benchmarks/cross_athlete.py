"""The lifter on another lab's runner: the Hamner treadmill trials, never trained on.

    python benchmarks/cross_athlete.py [--lifter released | CONFIG CHECKPOINT ...]
        [--cameras 80] [--gait-cameras 8] [--trials run200 run300] [--seed 0]
        [--shared-data ../shared/data] [--json FIGURES.json]

The released lifter's real training data is one athlete's sprint start (Tindra1; its
held-out figure, Tindra2, is the same athlete). Hamner & Delp's subject 4 runs on a
treadmill at 2 and 3 m/s in another lab, with another marker set: the one real runner
here with a whole body the lifter can be tested on, once the joints the set has no
markers for are estimated (``shared_data_trials``, map ``hamner_opensim_estimated``:
knees from the thigh and shank clusters, head and neck from the trunk; 31-39 and 44-45
mm median errors where the Qualisys markers give both). Rows:

1. 3D accuracy: both trials through ``--cameras`` seeded virtual cameras, clean and
   detector-like 2D, the whole-sequence evaluation (MPJPE, P-MPJPE, feet, per joint);
   ``MPJPE/measured``: the joints with markers of their own (not knees, head, neck).
2. Gait against the force plates through the video path: each trial through
   ``--gait-cameras`` side views (clean 2D), ``lift_clip``, upright, pelvis-relative
   events (``analyse_gait``), matched to the plates' contacts (vertical force > 50 N):
   initial contact, toe-off and contact time errors (MAE, bias), cadence error.

``--json``: the figures in a file, with the fingerprint of the weights measured (a
released file): ``tools/train_released.py --update-release --cross-athlete-results``
adds them to that file's meta and model card.
"""
import argparse
import json
import os.path as osp
import sys
import tempfile
import warnings

import numpy as np

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

import runningpose_mm  # noqa: E402,F401
from gait_events import HEADER, add_lifter_argument, errors, lifter_from_args, row  # noqa: E402
from runningpose_mm.apis.lifting import load_lifter  # noqa: E402
from runningpose_mm.apis.runner import build_runner  # noqa: E402
from runningpose_mm.apis.video_lifting import lift_clip  # noqa: E402
from runningpose_mm.evaluation import format_error_table, score_on_test_set  # noqa: E402
from runningpose_mm.gait import analyse_gait, upright_from_camera  # noqa: E402
from runningpose_mm.mocap import (VirtualRigConfig, contacts_from_grf,  # noqa: E402
                                  sample_virtual_cameras)
from runningpose_mm.mocap.corruption import DetectorNoiseConfig  # noqa: E402
from runningpose_mm.mocap.dataset_builder import (BuildConfig, build_dataset,  # noqa: E402
                                                  shared_data_trials)
from runningpose_mm.mocap.timeseries import resample_in_time  # noqa: E402

ESTIMATED = ('left_knee', 'right_knee', 'head', 'neck_base')
QUIET = ['default_hooks.logger.interval=200', 'log_level=WARNING']


def accuracy(lifter, config, trials, args, work):
    """Rows 1: the whole-sequence evaluation on clean and detector-like 2D (returned:
    2D input -> metrics)."""
    figures = {}
    for label, noise in (('clean', None), ('detector-like', DetectorNoiseConfig())):
        out = osp.join(work, label)
        build_dataset(trials, out, BuildConfig(
            fps=lifter.fps, cameras_per_trial=args.cameras, noise=noise,
            noise_fraction=1.0, noise_splits=('test',), seed=args.seed), progress=False)
        tester = build_runner(config, work_dir=osp.join(work, f'run_{label}'),
                              cfg_options=QUIET + [f'test_dataloader.dataset.data_root={out}'])
        metrics = score_on_test_set(tester, lifter)
        measured = [v for k, v in metrics.items() if k.startswith('MPJPE/') and
                    k.split('/')[1] not in ESTIMATED + ('feet', 'body', 'common')]
        metrics['MPJPE/measured'] = float(np.mean(measured))
        print(f'Hamner subject 4 ({", ".join(t.name for t in trials)}), {label} 2D, '
              f'{args.cameras} cameras per trial (knees, head and neck estimated):')
        print(format_error_table(metrics), flush=True)
        figures[label] = metrics
    return figures


def gait(lifter, trials, args):
    """Rows 2: the video path's contacts against the force plates (returned: trial ->
    MAE and bias of initial contact, toe-off and contact time in ms, contacts, cadence
    error in steps/min)."""
    figures = {}
    rig = VirtualRigConfig(view_weights=(1.0, 0.0, 0.0, 0.0))
    rng = np.random.default_rng(args.seed + 1)
    for trial in trials:
        data = trial.load_joints()
        grf = contacts_from_grf(trial.path.replace('_markers.trc', '_grf.mot'), joints=data)
        truth = {s: c - data.start_time_s for s, c in grf.contacts_s.items()}
        ics = np.sort(np.concatenate([c[:, 0] for c in truth.values()]))
        true_cadence = 60 * (len(ics) - 1) / (ics[-1] - ics[0])
        joints = resample_in_time(data.joints_m, data.rate_hz, lifter.fps)
        ic, to, ct, cadence = [], [], [], []
        for camera in sample_virtual_cameras(joints, args.gait_cameras, rng, rig):
            cam3d = camera.world_to_camera(joints)
            kp2d = camera.project(cam3d)
            lifted = lift_clip(lifter, kp2d, np.ones(kp2d.shape[:2]), lifter.fps,
                               (camera.w, camera.h), fix_swaps=False)
            with warnings.catch_warnings():
                warnings.simplefilter('ignore')
                analysis = analyse_gait(upright_from_camera(lifted.keypoints_3d), lifter.fps)
            found = {s: f.contacts_s for s, f in analysis.events.feet.items()}
            e = errors(found, truth, analysis.events.duration_s)
            ic += list(e[0])
            to += list(e[1])
            ct += list(e[2])
            cadence.append(analysis.summary.get('cadence_spm', np.nan) - true_cadence)
        print(row(f'{trial.name} video path x{args.gait_cameras}', np.array(ic), np.array(to),
                  np.array(ct), np.array(cadence)))
        figures[trial.name] = dict(
            contacts=len(ct), cadence_spm=float(np.mean(np.abs(cadence))),
            **{f'{name}_{stat}_ms': float(1000 * f(np.array(v)))
               for name, v in (('ic', ic), ('to', to), ('contact', ct))
               for stat, f in (('mae', lambda x: np.mean(np.abs(x))), ('bias', np.mean))})
    return figures


def hamner_trials(shared_data: str, names=('run200', 'run300')):
    """The Hamner trials to test on (``shared_data_trials``: its map estimates the joints
    the markers lack), as test trials."""
    trials = [t for t in shared_data_trials(shared_data)
              if t.name in {f'hamner_{n}' for n in names}]
    for trial in trials:
        trial.split = 'test'
    return trials


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_lifter_argument(parser, ['released'])
    parser.add_argument('--cameras', type=int, default=80, help='virtual cameras per trial')
    parser.add_argument('--gait-cameras', type=int, default=8,
                        help='side views per trial for the gait rows')
    parser.add_argument('--trials', nargs='+', default=['run200', 'run300'],
                        choices=['run200', 'run300'],
                        help='Hamner trials to test on (e.g. the one a lifter did not train on)')
    parser.add_argument('--seed', type=int, default=0, help='seed of cameras and noise')
    parser.add_argument('--shared-data', default=osp.join(osp.dirname(REPO), 'shared', 'data'),
                        help='folder of the real mocap (hamner2013_subject04 is used)')
    parser.add_argument('--json', metavar='FILE',
                        help='also write the figures here (for the model card: '
                        'tools/train_released.py --update-release --cross-athlete-results)')
    args = parser.parse_args()
    config, weights = lifter_from_args(parser, args)
    trials = hamner_trials(args.shared_data, args.trials)
    if not trials:
        sys.exit(f'error: no Hamner trials in {args.shared_data}/hamner2013_subject04')
    lifter = load_lifter(config, weights)
    with tempfile.TemporaryDirectory() as work:
        figures = accuracy(lifter, config, trials, args, work)
    print(HEADER)
    figures['gait'] = gait(lifter, trials, args)
    if args.json:
        write_json(args, trials, weights, figures)


def write_json(args, trials, weights, figures):
    """The figures, what was tested (trials, cameras, seed), the same runner's other
    trials (the model card says which of them the lifter trained on) and the measured
    weights' fingerprint (released files only)."""
    from runningpose_mm.apis.lifting import is_released_file
    from runningpose_mm.apis.released import weights_fingerprint
    names = [t.name for t in trials]
    folders = {osp.dirname(t.path) for t in trials}
    released = isinstance(weights, str) and is_released_file(weights)
    with open(args.json, 'w') as f:
        json.dump(dict(
            figures, trial=', '.join(names), trials=names,
            same_runner_trials=[t.name for t in shared_data_trials(args.shared_data)
                                if osp.dirname(t.path) in folders and t.name not in names],
            cameras=args.cameras, gait_cameras=args.gait_cameras, seed=args.seed,
            weights_fingerprint=weights_fingerprint(weights) if released else None),
            f, indent=2, default=float)
    print(f'figures written to {args.json}')


if __name__ == '__main__':
    main()

"""Lifting accuracy when the phone pans to follow the runner, against the same camera held still.

    python benchmarks/camera_panning.py [--lifter released | CONFIG CHECKPOINT]
        [--cameras 80] [--seed 5] [--shared-data ../shared/data] [--min-pan 15]

The training cameras are static. A phone filming a runner who passes usually turns to
follow them, so the runner stays near one image column while the view of the body turns.
Held-out Tindra2 (never trained on) through ``--cameras`` seeded virtual cameras
(``select_camera_views``, each over the frames where the runner is inside its image):
every view once as is and once with the camera turning about the vertical through its
centre to keep the pelvis at its first column (``Camera.follow_with_yaw``). Both are
lifted by the video path (``lift_clip``, clean 2D) and scored root-relative in each
frame's camera frame: MPJPE, P-MPJPE and feet for all views and for the views that pan by
more than ``--min-pan`` degrees, with the ratio panning / static of the same run.
"""
import argparse
import os.path as osp
import sys

import numpy as np

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

import runningpose_mm  # noqa: E402,F401
from gait_events import add_lifter_argument, lifter_from_args  # noqa: E402
from runningpose_mm.apis.lifting import load_lifter  # noqa: E402
from runningpose_mm.apis.video_lifting import lift_clip  # noqa: E402
from runningpose_mm.evaluation.functional import align_procrustes, mpjpe  # noqa: E402
from runningpose_mm.mocap.dataset_builder import (BuildConfig, project_sequence,  # noqa: E402
                                                  select_camera_views, shared_data_trials)
from runningpose_mm.mocap.timeseries import resample_in_time  # noqa: E402
from runningpose_mm.skeleton import runningpose19  # noqa: E402


def scores(pairs):
    """(MPJPE, P-MPJPE, feet) in mm of (prediction, truth) root-relative pairs."""
    sk = runningpose19()
    feet = [sk.index(n) for n in ('left_ankle', 'right_ankle', 'left_forefoot',
                                  'right_forefoot')]
    pred = np.concatenate([p for p, _ in pairs])
    truth = np.concatenate([t for _, t in pairs])
    mask = np.ones(pred.shape[:2], bool)
    error = np.linalg.norm(pred - truth, axis=-1)
    return (1000 * error.mean(), 1000 * mpjpe(align_procrustes(pred, truth, mask), truth, mask),
            1000 * error[:, feet].mean())


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_lifter_argument(parser, ['released'])
    parser.add_argument('--cameras', type=int, default=80, help='virtual cameras')
    parser.add_argument('--seed', type=int, default=5, help='seed of the cameras')
    parser.add_argument('--min-pan', type=float, default=15.0,
                        help='views panning by more than this many degrees get a row of '
                        'their own')
    parser.add_argument('--shared-data', default=osp.join(osp.dirname(REPO), 'shared', 'data'),
                        help='folder of the real mocap (Tindra2 is used)')
    args = parser.parse_args()
    trial = next((t for t in shared_data_trials(args.shared_data) if t.name == 'Tindra2'), None)
    if trial is None:
        sys.exit(f'error: Tindra2 not found in {args.shared_data}')
    lifter = load_lifter(*lifter_from_args(parser, args))
    data = trial.load_joints()
    joints = resample_in_time(data.joints_m, data.rate_hz, lifter.fps)
    visible = np.isfinite(joints).all(axis=-1)
    views = select_camera_views(joints, visible, BuildConfig(
        fps=lifter.fps, cameras_per_trial=args.cameras), np.random.default_rng(args.seed),
        trial.name)
    results = {'static': [], 'panning': []}
    pans = []
    for camera, frames in views:
        body = joints[frames]
        static3d, static2d, _, _ = project_sequence(body, visible[frames], camera)
        panned3d = camera.follow_with_yaw(body)
        pans.append(np.degrees(np.ptp(camera.yaw_to_follow(body))))
        for name, cam3d, kp2d in (('static', static3d, static2d),
                                  ('panning', panned3d, camera.project(panned3d))):
            lifted = lift_clip(lifter, kp2d, np.ones(kp2d.shape[:2]), lifter.fps,
                               (camera.w, camera.h), fix_swaps=False)
            results[name].append((lifted.keypoints_3d - lifted.keypoints_3d[:, :1],
                                  cam3d - cam3d[:, :1]))
    wide = [i for i, pan in enumerate(pans) if pan > args.min_pan]
    print(f'Tindra2 (held out), {len(views)} virtual cameras (seed {args.seed}), clean 2D; '
          f'pan per view: median {np.median(pans):.0f} deg, largest {max(pans):.0f} deg')
    print(f"{'views':<34}{'camera':<9}{'MPJPE':>8}{'P-MPJPE':>9}{'feet':>8}")
    for label, index in ((f'all {len(views)}', range(len(views))),
                         (f'{len(wide)} panning > {args.min_pan:g} deg', wide)):
        if not len(index):
            continue
        figures = {name: scores([pairs[i] for i in index]) for name, pairs in results.items()}
        for name, (m, p, f) in figures.items():
            print(f'{label:<34}{name:<9}{m:>8.1f}{p:>9.1f}{f:>8.1f}')
        ratio = [a / b for a, b in zip(figures['panning'], figures['static'])]
        print(f"{label:<34}{'ratio':<9}" + ''.join(f'{r:>{w}.2f}' for r, w in
                                                   zip(ratio, (8, 9, 8))))


if __name__ == '__main__':
    main()

"""Gait-event accuracy: detected contacts against exact and force-plate contacts.

    python benchmarks/gait_events.py [--runners 20] [--shared-data ../shared/data]

1. Synthetic runners (random anthropometrics, 2.5-7 m/s, all strike patterns, treadmill
   and overground) at 25, 50, 100 and 250 frames/s: mean absolute error of initial
   contact and toe-off (ms), of contact time (ms) and of cadence (steps/min) against the
   model's exact events.
2. The Hamner treadmill trials against the force-plate contacts (vertical force > 50 N).
   Their marker set has no ankle markers, so contacts come from the forefoot alone.
3. With ``--lifter CONFIG CHECKPOINT``: the same synthetic runners projected through a
   side-ish virtual camera at 50 fps, lifted by the trained lifter (whole clip), put
   back into the world with the true camera and root trajectory (so only the lifted
   pose differs from the truth), then through the same event detection.

Published markerless anchor: about 10-14 ms contact-time error from one smartphone.
"""
import argparse
import os.path as osp
import sys
import warnings

import numpy as np

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)

import runningpose_mm  # noqa: E402,F401
from runningpose_mm.gait import analyse_gait  # noqa: E402
from runningpose_mm.mocap import (MarkerMap, contacts_from_grf, joints_from_markers,  # noqa: E402
                                  read_markers, sample_runner_params, synthesize_run)


def errors(found: dict, truth: dict, duration: float, tolerance=0.15):
    """Signed IC, TO and contact-time errors (s) over both feet."""
    ic, to, ct = [], [], []
    for side in ('left', 'right'):
        f, t = found.get(side, np.zeros((0, 2))), truth[side]
        t = t[t[:, 1] < duration - 0.02]
        for true_ic, true_to in t:
            if not len(f):
                continue
            j = int(np.argmin(np.abs(f[:, 0] - true_ic)))
            if abs(f[j, 0] - true_ic) > tolerance:
                continue
            ic.append(f[j, 0] - true_ic)
            to.append(f[j, 1] - true_to)
            ct.append((f[j, 1] - f[j, 0]) - (true_to - true_ic))
    return np.array(ic), np.array(to), np.array(ct)


def row(name, ic, to, ct, cadence_err, n_missed=0):
    ms = lambda x: f'{1000 * np.mean(np.abs(x)):6.1f} ({1000 * np.mean(x):+6.1f})'  # noqa: E731
    return (f'{name:<26}{ms(ic):>18}{ms(to):>18}{ms(ct):>18}'
            f'{np.mean(np.abs(cadence_err)):>9.2f}{len(ic):>6}{n_missed:>7}')


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--runners', type=int, default=20)
    parser.add_argument('--shared-data', default=osp.join(osp.dirname(REPO), 'shared', 'data'))
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--lifter', nargs=2, metavar=('CONFIG', 'CHECKPOINT'))
    args = parser.parse_args()
    header = (f"{'data':<26}{'IC MAE (bias) ms':>18}{'TO MAE (bias) ms':>18}"
              f"{'contact MAE ms':>18}{'cad spm':>9}{'n':>6}{'missed':>7}")
    print(header)
    for rate in (25.0, 50.0, 100.0, 250.0):
        rng = np.random.default_rng(args.seed)
        all_ic, all_to, all_ct, cad, missed = [], [], [], [], 0
        for _ in range(args.runners):
            params = sample_runner_params(rng)
            run = synthesize_run(params, duration_s=4.0, rate_hz=rate)
            analysis = analyse_gait(run.joints_m, rate)
            found = {s: f.contacts_s for s, f in analysis.events.feet.items()}
            ic, to, ct = errors(found, run.contacts_s, 4.0 - 1 / rate)
            all_ic += list(ic)
            all_to += list(to)
            all_ct += list(ct)
            missed += sum(len(c[c[:, 1] < 4.0 - 0.02]) for c in run.contacts_s.values()) - len(ic)
            cad.append(analysis.summary['cadence_spm'] - params.cadence_spm)
        print(row(f'synthetic {rate:g} fps x{args.runners}', np.array(all_ic),
                  np.array(all_to), np.array(all_ct), np.array(cad), missed))
    hamner = osp.join(args.shared_data, 'hamner2013_subject04')
    for trial in ('run200', 'run300'):
        trc = osp.join(hamner, f'{trial}_markers.trc')
        if not osp.isfile(trc):
            print(f'{trial}: not found in {hamner}, skipped')
            continue
        markers = read_markers(trc)
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            joints = joints_from_markers(markers, MarkerMap.load('hamner_opensim'))
        analysis = analyse_gait(joints.joints_m, joints.rate_hz)
        grf = contacts_from_grf(osp.join(hamner, f'{trial}_grf.mot'))
        start = markers.metadata['start_time_s']
        truth = {s: c - start for s, c in grf.contacts_s.items()}
        found = {s: f.contacts_s for s, f in analysis.events.feet.items()}
        ic, to, ct = errors(found, truth, analysis.events.duration_s)
        all_true_ic = np.sort(np.concatenate([c[:, 0] for c in truth.values()]))
        true_cadence = 60 * (len(all_true_ic) - 1) / (all_true_ic[-1] - all_true_ic[0])
        print(row(f'Hamner {trial} (forefoot only)', ic, to, ct,
                  np.array([analysis.summary['cadence_spm'] - true_cadence])))

    if args.lifter:
        lifted_runners(args, row)


def lifted_runners(args, row):
    import torch

    from runningpose_mm.apis.lifting import WholeSequenceLifter
    from runningpose_mm.apis.runner import load_config
    from runningpose_mm.apis.video_lifting import lift_clip
    from runningpose_mm.mocap import VirtualRigConfig, sample_virtual_cameras
    cfg = load_config(args.lifter[0])
    state = torch.load(args.lifter[1], map_location='cpu', weights_only=False)['state_dict']
    lifter = WholeSequenceLifter(cfg.model, state)
    rng = np.random.default_rng(args.seed + 100)
    rig = VirtualRigConfig(view_weights=(0.7, 0.3, 0.0, 0.0), person_height_frac=(0.5, 0.6),
                           distance_m=(8, 12))
    all_ic, all_to, all_ct, cad, missed = [], [], [], [], 0
    for _ in range(args.runners):
        params = sample_runner_params(rng, treadmill=True)  # runner stays in view
        run = synthesize_run(params, duration_s=4.0, rate_hz=50.0)
        cam = sample_virtual_cameras(run.joints_m, 1, rng, rig)[0]
        cam3d = cam.world_to_camera(run.joints_m)
        kp2d = cam.project(cam3d)
        lifted = lift_clip(lifter, kp2d, np.ones(kp2d.shape[:2]), 50.0, (cam.w, cam.h), 50.0)
        pose_cam = lifted.keypoints_3d - lifted.keypoints_3d[:, :1] + cam3d[:, :1]
        world = cam.camera_to_world(pose_cam)
        analysis = analyse_gait(world, 50.0)
        found = {s: f.contacts_s for s, f in analysis.events.feet.items()}
        ic, to, ct = errors(found, run.contacts_s, 4.0 - 1 / 50.0)
        all_ic += list(ic)
        all_to += list(to)
        all_ct += list(ct)
        missed += sum(len(c[c[:, 1] < 4.0 - 0.02]) for c in run.contacts_s.values()) - len(ic)
        cad.append(analysis.summary.get('cadence_spm', np.nan) - params.cadence_spm)
    print(row(f'lifted 50 fps x{args.runners}', np.array(all_ic), np.array(all_to),
              np.array(all_ct), np.array(cad), missed))


if __name__ == '__main__':
    main()

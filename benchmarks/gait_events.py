"""Gait-event accuracy: detected contacts against exact and force-plate contacts.

    python benchmarks/gait_events.py [--runners 20] [--shared-data ../shared/data]
        [--lifter CONFIG CHECKPOINT | --lifter released]

Rows, each in the world frame (mocap, or 3D with a root trajectory) and, marked
"pelvis", from the same keypoints made pelvis-relative (what a lifter without a
trajectory branch gives; the ground is rebuilt, see ``gait.events``):

1. Synthetic runners (random anthropometrics, 2.5-7 m/s, all strike patterns, treadmill
   and overground; rolling feet, a pelvis that falls freely in flight) at 25, 50, 100
   and 250 frames/s against the model's exact events.
2. Real treadmill running against force-plate contacts (vertical force > 50 N): the
   Hamner trials (2 and 3 m/s, rearfoot striker, one plate per foot, ankles estimated
   from heel and foot markers) and the RBDS subject 001 (2.5 and 3.5 m/s, forefoot
   striker, about 80 contacts per trial, one treadmill plate under both feet: each
   contact goes to the foot on the ground; its marker/force tables and its C3D with the
   plate inside).
3. The Qualisys sprint starts (no force plates): pelvis-relative events against the
   world-frame events of the same trial (agreement, not accuracy).
4. With ``--lifter``: synthetic runners projected through a side-ish virtual camera at
   50 fps and lifted by the lifter (whole clip), then exactly what the video path does:
   turned upright assuming an upright camera, pelvis-relative (no true root, no true
   camera), through the same event detection. And the same lifted 3D with the true root
   added, in the world frame (a perfect trajectory branch: why lifted 3D is timed
   pelvis-relative even with one).

Columns: mean absolute error (bias) of initial contact, toe-off and contact time (ms),
the standard error of the contact-time bias (ms; its scatter over the contacts / sqrt n),
cadence error (steps/min; against force plates over the steps the detection timed),
contacts matched, contacts missed (force plates: contacts wholly inside the clip).
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


class SyntheticTally:
    """One table row's errors over synthetic 4-s runs: events against the runs' true
    contacts, contacts wholly inside a clip but not found counted as missed."""

    def __init__(self):
        self.ic, self.to, self.ct, self.cad, self.missed = [], [], [], [], 0

    def add(self, events, truth: dict, rate: float, cadence_err: float = np.nan):
        found = {s: f.contacts_s for s, f in events.feet.items()}
        ic, to, ct = errors(found, truth, 4.0 - 1 / rate)
        self.ic += list(ic)
        self.to += list(to)
        self.ct += list(ct)
        self.cad.append(cadence_err)
        self.missed += sum(len(c[c[:, 1] < 4.0 - 0.02]) for c in truth.values()) - len(ic)

    def row(self, name: str) -> str:
        return row(name, np.array(self.ic), np.array(self.to), np.array(self.ct),
                   np.array(self.cad), self.missed)


def add_lifter_argument(parser, default=None):
    """``--lifter released | CONFIG CHECKPOINT [CHECKPOINT ...]`` (several: an ensemble)."""
    parser.add_argument('--lifter', nargs='+', default=default, metavar='CONFIG CHECKPOINT',
                        help="'released' or a lifter config and its checkpoint(s)" +
                        (f' (default: {default[0]})' if default else ''))


def lifter_from_args(parser, args):
    """(config, weights) of ``--lifter``; a usage error for a config without weights."""
    from runningpose_mm.apis.released import released_lifter
    if args.lifter == ['released']:
        return released_lifter()
    if len(args.lifter) < 2:
        parser.error('--lifter takes released, or a config and its checkpoint(s)')
    return args.lifter[0], args.lifter[1:]


def row(name, ic, to, ct, cadence_err, n_missed=0):
    ms = lambda x: f'{1000 * np.mean(np.abs(x)):6.1f} ({1000 * np.mean(x):+6.1f})'  # noqa: E731
    # the contact-time bias's standard error: with a few contacts (Hamner: 4-6) a bias of
    # several ms can be the contacts' own scatter
    se = 1000 * np.std(ct, ddof=1) / np.sqrt(len(ct)) if len(ct) > 1 else np.nan
    return (f'{name:<30}{ms(ic):>18}{ms(to):>18}{ms(ct):>20}{se:>8.1f}'
            f'{np.mean(np.abs(cadence_err)):>9.2f}{len(ic):>6}{n_missed:>7}')


HEADER = (f"{'data':<30}{'IC MAE (bias) ms':>18}{'TO MAE (bias) ms':>18}"
          f"{'contact MAE (bias)':>20}{'bias SE':>8}{'cad spm':>9}{'n':>6}{'missed':>7}")


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--runners', type=int, default=20,
                        help='synthetic runners per row')
    parser.add_argument('--shared-data', default=osp.join(osp.dirname(REPO), 'shared', 'data'),
                        help='folder of the real mocap (Hamner, Qualisys)')
    parser.add_argument('--seed', type=int, default=0, help='seed of the runners and cameras')
    add_lifter_argument(parser)
    args = parser.parse_args()
    if args.lifter:  # a usage error now, not after the mocap rows
        args.lifter = lifter_from_args(parser, args)
    print(HEADER)
    for frame in ('world', 'pelvis'):
        for rate in (25.0, 50.0, 100.0, 250.0):
            rng = np.random.default_rng(args.seed)
            tally = SyntheticTally()
            for _ in range(args.runners):
                params = sample_runner_params(rng)
                run = synthesize_run(params, duration_s=4.0, rate_hz=rate)
                joints = run.joints_m if frame == 'world' else \
                    run.joints_m - run.joints_m[:, :1]
                analysis = analyse_gait(joints, rate)
                tally.add(analysis.events, run.contacts_s, rate,
                          analysis.summary['cadence_spm'] - params.cadence_spm)
            print(tally.row(f'synthetic {rate:g} fps x{args.runners}' +
                            (' pelvis' if frame == 'pelvis' else '')))
    hamner = osp.join(args.shared_data, 'hamner2013_subject04')
    rbds = osp.join(args.shared_data, 'fukuchi2017_rbds001')
    force_plate_trials = [
        (f'Hamner {t}', osp.join(hamner, f'{t}_markers.trc'), 'hamner_opensim',
         osp.join(hamner, f'{t}_grf.mot'), None) for t in ('run200', 'run300')] + [
        ('RBDS001 2.5 m/s', osp.join(rbds, 'RBDS001runT25markers.txt'), 'rbds_lowerbody',
         osp.join(rbds, 'RBDS001runT25forces.txt'), 300.0),  # its force table counts samples
        ('RBDS001 3.5 m/s', osp.join(rbds, 'RBDS001runT35.c3d'), 'rbds_lowerbody',
         osp.join(rbds, 'RBDS001runT35.c3d'), None)]
    for name, marker_file, marker_map, force_file, force_rate in force_plate_trials:
        if not osp.isfile(marker_file):
            print(f'{name}: {marker_file} not found, skipped')
            continue
        markers = read_markers(marker_file)
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            joints = joints_from_markers(markers, MarkerMap.load(marker_map))
        # a treadmill's one plate gives each contact to the foot on the ground
        grf = contacts_from_grf(force_file, joints=joints, rate_hz=force_rate)
        truth = {s: c - joints.start_time_s for s, c in grf.contacts_s.items()}
        all_true_ic = np.sort(np.concatenate([c[:, 0] for c in truth.values()]))
        for frame, data in (('', joints.joints_m),
                            (' pelvis', joints.joints_m - joints.joints_m[:, :1])):
            with warnings.catch_warnings():
                warnings.simplefilter('ignore')
                analysis = analyse_gait(data, joints.rate_hz)
            found = {s: f.contacts_s for s, f in analysis.events.feet.items()}
            ic, to, ct = errors(found, truth, analysis.events.duration_s)
            # the force plates' cadence over the steps the detection timed (a contact
            # missed at a clip's edge is counted as missed, not turned into a cadence
            # error by the runner's step-to-step variation)
            timed = [s['ic_s'] for s in analysis.steps if np.isfinite(s['step_time_s'])]
            timed += [s['ic_s'] + s['step_time_s'] for s in analysis.steps
                      if np.isfinite(s['step_time_s'])]
            span = all_true_ic[(all_true_ic > min(timed) - 0.1) & (all_true_ic < max(timed) + 0.1)]
            true_cadence = 60 * (len(span) - 1) / (span[-1] - span[0])
            missed = sum(
                int(not len(found.get(side, [])) or
                    np.min(np.abs(found[side][:, 0] - c[0])) > 0.15)
                for side, cs in truth.items() for c in cs
                if c[0] > 0.02 and c[1] < analysis.events.duration_s - 0.02)
            print(row(f'{name}{frame}', ic, to, ct,
                      np.array([analysis.summary['cadence_spm'] - true_cadence]), missed))
    qualisys = osp.join(args.shared_data, 'qualisys_tindra')
    for trial in ('Tindra1', 'Tindra2'):
        path = osp.join(qualisys, f'{trial}.txt')
        if not osp.isfile(path):
            continue
        joints = joints_from_markers(read_markers(path, rate_hz=170.0),
                                     MarkerMap.load('runningpose_qualisys45'))
        world = analyse_gait(joints.joints_m, joints.rate_hz)
        pelvis = analyse_gait(joints.joints_m - joints.joints_m[:, :1], joints.rate_hz)
        truth = {s: f.contacts_s for s, f in world.events.feet.items()}
        found = {s: f.contacts_s for s, f in pelvis.events.feet.items()}
        ic, to, ct = errors(found, truth, world.events.duration_s)
        print(row(f'{trial} pelvis vs world', ic, to, ct,
                  np.array([pelvis.summary.get('cadence_spm', np.nan) -
                            world.summary.get('cadence_spm', np.nan)])))

    if args.lifter:
        lifted_runners(args, row)


def lifted_runners(args, row):
    from runningpose_mm.apis.lifting import load_lifter
    from runningpose_mm.apis.video_lifting import lift_clip
    from runningpose_mm.gait import upright_from_camera
    from runningpose_mm.mocap import VirtualRigConfig, sample_virtual_cameras
    lifter = load_lifter(*args.lifter)
    rng = np.random.default_rng(args.seed + 100)
    rig = VirtualRigConfig(view_weights=(0.7, 0.3, 0.0, 0.0), person_height_frac=(0.5, 0.6),
                           distance_m=(8, 12))
    lifted_tally = SyntheticTally()
    # the same lifted 3D with the true root added (a perfect trajectory branch), events
    # in the world frame: why lifted 3D is timed pelvis-relative (analyse_gait)
    rooted_tally = SyntheticTally()
    for _ in range(args.runners):
        params = sample_runner_params(rng, treadmill=True)  # runner stays in view
        run = synthesize_run(params, duration_s=4.0, rate_hz=50.0)
        cam = sample_virtual_cameras(run.joints_m, 1, rng, rig)[0]
        cam3d = cam.world_to_camera(run.joints_m)
        kp2d = cam.project(cam3d)
        lifted = lift_clip(lifter, kp2d, np.ones(kp2d.shape[:2]), 50.0, (cam.w, cam.h))
        # what the video path has: camera-frame, pelvis-relative 3D, camera assumed upright
        analysis = analyse_gait(upright_from_camera(lifted.keypoints_3d), 50.0)
        lifted_tally.add(analysis.events, run.contacts_s, 50.0,
                         analysis.summary.get('cadence_spm', np.nan) - params.cadence_spm)
        rooted = upright_from_camera(lifted.keypoints_3d, cam3d[:, 0])
        rooted_tally.add(analyse_gait(rooted, 50.0).events, run.contacts_s, 50.0)
    print(lifted_tally.row(f'lifted 50 fps x{args.runners}'))
    print(rooted_tally.row('lifted + true root, world'))

if __name__ == '__main__':
    main()

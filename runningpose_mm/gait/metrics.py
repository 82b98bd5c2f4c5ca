"""Running-gait measures from 3D keypoints and foot contacts.

Definitions (units in brackets; 'step' = initial contact of one foot to the next initial
contact of the other, 'stride' = to the next initial contact of the same foot):

- cadence [steps/min]: steps per minute over the span of the detected initial contacts
  (60 x (contacts - 1) / (last - first contact time)).
- step_time_s, stride_time_s [s].
- contact_time_s [s]: toe-off minus initial contact of the same foot.
- flight_time_s [s]: initial contact of the other foot minus toe-off of this one.
- duty_factor [-]: contact time / stride time (running: < 0.5).
- contact_time_balance_left_pct [%]: mean left contact / (mean left + mean right) x 100
  (50 = symmetric).
- foot_angle_at_contact_deg [deg]: pitch of the ankle->forefoot line at initial contact
  minus its pitch at mid-stance (foot flat); positive = toes up.
- foot_strike: rearfoot if that angle > 8 deg, forefoot if < -1.6 deg, midfoot between
  (Altman & Davis 2012, Gait Posture 35:298).
- knee_flexion_at_contact_deg, knee_flexion_peak_stance_deg [deg]: 180 deg minus the
  hip-knee-ankle angle.
- hip_extension_at_toe_off_deg [deg]: angle of the thigh behind the trunk line in the
  sagittal plane at toe-off (positive = extended).
- trunk_lean_deg [deg]: forward tilt of pelvis->thorax from vertical, mean over the contact.
- overstride_m [m]: horizontal distance, along the running direction, from the pelvis
  to the ankle (forefoot if the ankle is missing) at initial contact; positive = ahead.
- With a global trajectory (pelvis moving through the world, not a treadmill):
  speed_mps [m/s] over the step, step_length_m [m] = distance the pelvis travels in the
  step, vertical_oscillation_m [m] = peak-to-peak pelvis height in the step.

A measure that needs a missing joint is left out and named in ``unavailable``.
"""
import csv
from dataclasses import dataclass, field
from typing import Dict, List, Optional

import numpy as np

from ..skeleton import runningpose19
from .events import (GaitEvents, GaitInputError, detect_foot_events, is_pelvis_relative,
                     pelvis_heading)

SK = runningpose19()
STEP_MEASURES = ('step_time_s', 'stride_time_s', 'contact_time_s', 'flight_time_s',
                 'duty_factor', 'foot_angle_at_contact_deg', 'knee_flexion_at_contact_deg',
                 'knee_flexion_peak_stance_deg', 'hip_extension_at_toe_off_deg',
                 'trunk_lean_deg', 'overstride_m', 'speed_mps', 'step_length_m',
                 'vertical_oscillation_m')
UNITS = dict(step_time_s='s', stride_time_s='s', contact_time_s='s', flight_time_s='s',
             duty_factor='', foot_angle_at_contact_deg='deg',
             knee_flexion_at_contact_deg='deg', knee_flexion_peak_stance_deg='deg',
             hip_extension_at_toe_off_deg='deg', trunk_lean_deg='deg', overstride_m='m',
             speed_mps='m/s', step_length_m='m', vertical_oscillation_m='m',
             cadence_spm='steps/min', contact_time_balance_left_pct='%')


@dataclass
class GaitAnalysis:
    """Per-step values, summaries and what could not be measured.

    Attributes:
        steps (list[dict]): one dict per contact: side, index, ic_s, to_s and the
            measures above (NaN where not measurable for that step).
        summary (dict): measure -> dict(mean, sd, left, right, n); plus cadence_spm,
            contact_time_balance_left_pct and foot_strike (majority per side).
        unavailable (dict): measure -> why it is missing.
        warnings (list[str]): notes on the input (partial contacts, missing points).
        events (GaitEvents): the contacts used.
        partial (bool): True when the result covers less than a full stride per foot.
    """
    steps: List[dict]
    summary: Dict[str, object]
    unavailable: Dict[str, str]
    warnings: List[str]
    events: GaitEvents
    partial: bool = False
    extras: Dict[str, object] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return dict(steps=self.steps, summary=self.summary, unavailable=self.unavailable,
                    warnings=self.warnings, partial=self.partial, rate_hz=self.events.rate_hz,
                    contacts_s={s: f.contacts_s.tolist() for s, f in self.events.feet.items()},
                    partial_contacts_s={s: f.partial_s for s, f in self.events.feet.items()},
                    missing_spans_s=self.events.gaps_s, frame=self.events.frame,
                    units=UNITS)

    def format_summary(self) -> str:
        """The headline measures, one per line (mean, and left / right)."""
        lines = []
        cadence = self.summary.get('cadence_spm')
        steps = self.summary.get('step_time_s', {}).get('n', 0)
        few = '; too few to trust' if steps < 3 else ''
        lines.append(f'cadence            {cadence:6.1f} steps/min (from {steps} '
                     f"step{'s' if steps != 1 else ''}{few})" if cadence is not None
                     else 'cadence            not measured')
        for key, label, scale, unit in (('contact_time_s', 'contact time', 1000, 'ms'),
                                        ('flight_time_s', 'flight time', 1000, 'ms'),
                                        ('duty_factor', 'duty factor', 1, '')):
            value = self.summary.get(key)
            if value is None:
                lines.append(f'{label:<18} not measured')
                continue
            lines.append(f"{label:<18} {scale * value['mean']:6.3g} {unit:<3} (left "
                         f"{scale * value['left']:.3g}, right {scale * value['right']:.3g}, "
                         f"n={value['n']})")
        return '\n'.join(lines)

    def write_csv(self, path: str) -> None:
        keys = ['side', 'index', 'ic_s', 'to_s', 'foot_strike'] + list(STEP_MEASURES) + \
            ['unmeasured']
        with open(path, 'w', newline='') as f:
            writer = csv.DictWriter(f, fieldnames=keys, extrasaction='ignore')
            writer.writeheader()
            for step in self.steps:
                row = {k: ('' if isinstance(v, float) and np.isnan(v) else v)
                       for k, v in step.items()}
                row['unmeasured'] = '; '.join(f'{m}: {r}' for m, r in
                                              step.get('unmeasured', {}).items())
                writer.writerow(row)


def _joint(joints, name):
    return joints[:, SK.index(name)]


def _angle_deg(a, b, c):
    u, v = a - b, c - b
    cos = np.sum(u * v, -1) / (np.linalg.norm(u, axis=-1) * np.linalg.norm(v, axis=-1))
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def running_direction(joints: np.ndarray) -> np.ndarray:
    """Unit horizontal (x, y) direction of running: pelvis displacement overground, the
    pelvis heading (perpendicular to right->left hip) on a treadmill."""
    root = _joint(joints, 'root')[:, :2]
    ok = np.isfinite(root).all(axis=1)
    if ok.sum() >= 2:
        shift = root[ok][-1] - root[ok][0]
        if np.linalg.norm(shift) > 0.5:
            return shift / np.linalg.norm(shift)
    try:
        return pelvis_heading(joints)
    except GaitInputError:
        raise GaitInputError('cannot tell the running direction: no pelvis motion and no '
                             'hips') from None


def _interp(t, values, at):
    """Values (T, ...) at times ``at`` by linear interpolation (NaN-aware per channel)."""
    values = np.asarray(values, dtype=np.float64)
    flat = values.reshape(len(t), -1)
    out = np.full((len(np.atleast_1d(at)), flat.shape[1]), np.nan)
    for c in range(flat.shape[1]):
        ok = np.isfinite(flat[:, c])
        if ok.sum() >= 2:
            out[:, c] = np.interp(at, t[ok], flat[ok, c], left=np.nan, right=np.nan)
    return out.reshape((-1, ) + values.shape[1:])


def analyse_gait(joints_m: np.ndarray, rate_hz: float, global_trajectory: Optional[bool] = None,
                 events: Optional[GaitEvents] = None,
                 events_frame: str = 'auto') -> GaitAnalysis:
    """Gait events and measures of a running sequence.

    Steps are measured only between events that were seen, with no missing samples
    between them, from alternating feet: a gap or a missed contact never makes a long
    "step" or a long flight; what cannot be measured for a step is named in its
    ``unmeasured`` entry (measure -> reason).

    Args:
        joints_m (np.ndarray): (T, 19, 3) runningpose19 joints, metres, z up: world frame,
            or pelvis-relative (lifted 3D without a root trajectory; see
            ``detect_foot_events``).
        rate_hz (float): sampling rate.
        global_trajectory (bool, optional): whether the pelvis path is global (overground
            mocap, or lifted 3D with a root trajectory). Default: decided from the data
            (the pelvis moves more than 1 m).
        events (GaitEvents, optional): contacts to use (default: detected).
        events_frame (str): 'auto' (``detect_foot_events`` decides: pelvis-relative
            input gives pelvis-frame events), or 'pelvis': events from the joints made
            pelvis-relative even when they carry a trajectory. For lifted 3D: its feet
            are too noisy for foot heights over a fixed floor. Measured on 20 synthetic
            runners lifted by the released lifter at 50 fps with the *true* root added
            (a perfect trajectory branch; ``benchmarks/gait_events.py --lifter``):
            world-frame contact time 27.0 ms MAE, toe-off 30 ms early, 26 of 243
            contacts missed, against 12.1 ms and 3 missed from the same 3D made
            pelvis-relative (the 80-view release: 31.5 ms, 27 missed; 11.6 ms, 3).
            The trajectory still gives speed, step length and vertical oscillation.

    Returns:
        GaitAnalysis
    """
    joints = np.asarray(joints_m, dtype=np.float64)
    if events_frame not in ('auto', 'pelvis'):
        raise ValueError(f"events_frame must be 'auto' or 'pelvis', got {events_frame!r}")
    if events is None:
        events = detect_foot_events(joints - _joint(joints, 'root')[:, None]
                                    if events_frame == 'pelvis' else joints, rate_hz)
    warnings = list(events.warnings)
    t = np.arange(len(joints)) / rate_hz
    forward = np.append(running_direction(joints), 0.0)
    root = _joint(joints, 'root')
    if is_pelvis_relative(joints):
        global_trajectory = False
    elif global_trajectory is None:
        travel = np.nanmax(root[:, :2], axis=0) - np.nanmin(root[:, :2], axis=0)
        global_trajectory = bool(np.linalg.norm(travel) > 1.0)
    timeline = _contact_timeline(events)
    steps, unavailable, strides = [], {}, []
    for k, (ic, side, to) in enumerate(timeline):
        step = dict(side=side, index=k, ic_s=float(ic),
                    to_s=float(to) if to is not None else np.nan)
        unmeasured = {}
        nxt = timeline[k + 1] if k + 1 < len(timeline) else None
        after = timeline[k + 2] if k + 2 < len(timeline) else None
        # a contact that began while the other foot was still down is no running step
        step_reason = _pair_problem(events, timeline[k], nxt) or \
            (_double_support(timeline[k - 1], timeline[k]) if k > 0 else None)
        if to is None:
            unmeasured['contact_time_s'] = 'toe-off not seen (missing samples or sequence end)'
        step['contact_time_s'] = float(to - ic) if to is not None else np.nan
        if step_reason is None:
            step['step_time_s'] = float(nxt[0] - ic)
        else:
            step['step_time_s'] = np.nan
            unmeasured['step_time_s'] = step_reason
        if step_reason is None and to is not None and to < nxt[0]:
            step['flight_time_s'] = float(nxt[0] - to)
        else:
            step['flight_time_s'] = np.nan
            unmeasured['flight_time_s'] = step_reason or (
                'toe-off not seen' if to is None else 'no flight before the next contact')
        # alternating pairs: after a step to the other foot, the next pair returns here
        stride_reason = step_reason or _pair_problem(events, nxt, after)
        if stride_reason is None:
            step['stride_time_s'] = float(after[0] - ic)
            strides.append((side, float(ic), step['to_s'], float(after[0])))
        else:
            step['stride_time_s'] = np.nan
            unmeasured['stride_time_s'] = stride_reason
        step['duty_factor'] = step['contact_time_s'] / step['stride_time_s']
        if not np.isfinite(step['duty_factor']):
            unmeasured['duty_factor'] = unmeasured.get('stride_time_s') or \
                unmeasured.get('contact_time_s')
        step.update(_posture_measures(joints, t, side, ic, to if to is not None else np.nan,
                                      forward, unavailable))
        end = ic + step['step_time_s'] if np.isfinite(step['step_time_s']) else np.nan
        if global_trajectory and np.isfinite(end):
            r0, r1 = _interp(t, root, [ic, end])
            step['step_length_m'] = float(np.dot(r1 - r0, forward))
            step['speed_mps'] = step['step_length_m'] / (end - ic)
            inside = (t >= ic) & (t <= end)
            step['vertical_oscillation_m'] = float(np.ptp(root[inside, 2])) \
                if inside.sum() >= 2 else np.nan
        else:
            step.update(step_length_m=np.nan, speed_mps=np.nan,
                        vertical_oscillation_m=np.nan)
        step['unmeasured'] = {m: r for m, r in unmeasured.items() if r}
        steps.append(step)
    if not global_trajectory:
        reason = 'no global pelvis trajectory (treadmill, or root-relative 3D)'
        for key in ('speed_mps', 'step_length_m', 'vertical_oscillation_m'):
            unavailable[key] = reason
    summary = _summarise(steps)
    partial = not strides or any(not any(s[0] == side for s in strides)
                                 for side in events.feet) or len(events.feet) < 2
    if partial:
        warnings.append('less than a full stride per foot: stride-based measures are '
                        'missing or from a single step (partial result)')
    if not steps:
        warnings.append('no complete foot contact in the sequence: no measures')
    if events.gaps_s:
        warnings.append(f'{len(events.gaps_s)} span(s) of missing samples: no step, stride '
                        'or flight is measured across them')
    return GaitAnalysis(steps, summary, unavailable, warnings, events, partial,
                        dict(global_trajectory=global_trajectory,
                             forward=forward.tolist(), num_ic=len(timeline),
                             strides=strides))


def _contact_timeline(events: GaitEvents) -> List[tuple]:
    """Every initial contact seen, in time order: (time, side, toe-off or None)."""
    timeline = []
    for side, foot in events.feet.items():
        complete = {round(float(ic), 9): float(to) for ic, to in foot.contacts_s}
        for ic in foot.initial_contacts_s:
            timeline.append((float(ic), side, complete.get(round(float(ic), 9))))
    return sorted(timeline)


#: both feet down together for longer than this is not running (standing, walking, a
#: block start): running has no double support, and event timing noise is far smaller
DOUBLE_SUPPORT_S = 0.05


def _double_support(first, second) -> Optional[str]:
    """Why two consecutive timeline entries are not running, if the second foot landed
    more than ``DOUBLE_SUPPORT_S`` before the first one left (None otherwise)."""
    toe_off = first[2]
    if toe_off is not None and toe_off - second[0] > DOUBLE_SUPPORT_S:
        return (f'both feet on the ground for {1000 * (toe_off - second[0]):.0f} ms (not '
                'running: standing, walking or a start)')
    return None


def _pair_problem(events: GaitEvents, first, second) -> Optional[str]:
    """Why the interval between two consecutive initial contacts is not a step (None if
    it is one). ``first`` and ``second`` are timeline entries (time, side, toe-off)."""
    if first is None or second is None:
        return 'no next initial contact in the sequence'
    if second[1] == first[1]:
        return 'feet do not alternate (a contact of the other foot was not seen)'
    if events.gap_between(first[0], second[0]):
        return 'missing samples before the next initial contact'
    return _double_support(first, second)


def sagittal_angles(joints: np.ndarray, side: str, forward: np.ndarray) -> Dict[str, np.ndarray]:
    """Per-frame angles (deg) of one side in the running (sagittal) plane, z up.

    Returns:
        dict of (T,) arrays: ``trunk_lean`` (pelvis->thorax forward of vertical),
        ``hip_flexion`` (thigh forward of the downward trunk line; negative = extension),
        ``knee_flexion`` (180 - hip-knee-ankle angle) and ``foot_pitch`` (ankle->forefoot
        above horizontal, + = toes up). NaN where a joint is missing.
    """
    hip, knee, ankle, fore = (_joint(joints, f'{side}_{n}')
                              for n in ('hip', 'knee', 'ankle', 'forefoot'))
    trunk = _joint(joints, 'thorax') - _joint(joints, 'root')
    lean = np.degrees(np.arctan2(trunk @ forward, trunk[:, 2]))
    thigh, foot = knee - hip, fore - ankle
    # the trunk line downwards points `lean` degrees backwards
    return dict(trunk_lean=lean,
                hip_flexion=np.degrees(np.arctan2(thigh @ forward, -thigh[:, 2])) + lean,
                knee_flexion=180.0 - _angle_deg(hip, knee, ankle),
                foot_pitch=np.degrees(np.arctan2(foot[:, 2], foot @ forward)))


def foot_flat_pitch(pitch: np.ndarray, stance: np.ndarray) -> float:
    """The foot's pitch when flat: the median over the middle third of a stance (frames
    ``stance``). Foot angles are given relative to it (0 = foot flat, + = toes up)
    because the absolute pitch of the ankle -> forefoot line depends on where a source
    puts those points: in mid-stance it is -6 deg on the RBDS markers, -25 on Hamner's
    and on the Qualisys trials, -20 on the synthetic runner and -50 to -53 in the
    released lifter's 3D of the real treadmill clip (MediaPipe 2D)."""
    mid = pitch[stance][len(pitch[stance]) // 3:2 * len(pitch[stance]) // 3 + 1]
    return float(np.nanmedian(mid)) if np.isfinite(mid).any() else np.nan


def _posture_measures(joints, t, side, ic, to, forward, unavailable) -> dict:
    out = {}
    names = {n: _joint(joints, f'{side}_{n}') for n in ('hip', 'knee', 'ankle', 'forefoot')}
    have = {n: np.isfinite(v).all(axis=1).any() for n, v in names.items()}
    stance = (t >= ic) & (t <= to)
    angles = sagittal_angles(joints, side, forward)
    if have['ankle'] and have['forefoot']:
        pitch = angles['foot_pitch']
        at_ic = _interp(t, pitch, [ic])[0]
        angle = float(at_ic - foot_flat_pitch(pitch, stance))
        out['foot_angle_at_contact_deg'] = angle
        out['foot_strike'] = '' if not np.isfinite(angle) else \
            'rearfoot' if angle > 8 else 'forefoot' if angle < -1.6 else 'midfoot'
    else:
        out['foot_angle_at_contact_deg'] = np.nan
        out['foot_strike'] = ''
        unavailable['foot_angle_at_contact_deg'] = unavailable['foot_strike'] = \
            f'{side} ankle or forefoot missing'
    if have['hip'] and have['knee'] and have['ankle']:
        knee = angles['knee_flexion']
        out['knee_flexion_at_contact_deg'] = float(_interp(t, knee, [ic])[0])
        out['knee_flexion_peak_stance_deg'] = float(np.nanmax(knee[stance])) \
            if stance.any() else np.nan
    else:
        out['knee_flexion_at_contact_deg'] = out['knee_flexion_peak_stance_deg'] = np.nan
        missing = [n for n in ('hip', 'knee', 'ankle') if not have[n]]
        unavailable['knee_flexion_at_contact_deg'] = \
            unavailable['knee_flexion_peak_stance_deg'] = f'{side} {", ".join(missing)} missing'
    root = _joint(joints, 'root')
    lean = angles['trunk_lean']
    if np.isfinite(lean[stance]).any():
        out['trunk_lean_deg'] = float(np.nanmean(lean[stance]))
    else:
        out['trunk_lean_deg'] = np.nan
        unavailable['trunk_lean_deg'] = 'thorax missing' if not np.isfinite(lean).any() \
            else f'{side} stance not seen'
    if have['hip'] and have['knee']:
        extension = -angles['hip_flexion']  # thigh behind the trunk line
        out['hip_extension_at_toe_off_deg'] = float(_interp(t, extension, [to])[0])
    else:
        out['hip_extension_at_toe_off_deg'] = np.nan
        unavailable['hip_extension_at_toe_off_deg'] = f'{side} hip or knee missing'
    contact_point = names['ankle'] if have['ankle'] else names['forefoot']
    if have['ankle'] or have['forefoot']:
        at = _interp(t, contact_point - root, [ic])[0]
        out['overstride_m'] = float(at @ forward)
    else:
        out['overstride_m'] = np.nan
        unavailable['overstride_m'] = f'{side} foot missing'
    return out


def _summarise(steps: List[dict]) -> dict:
    summary = {}
    for key in STEP_MEASURES:
        values = np.array([s.get(key, np.nan) for s in steps], dtype=np.float64)
        sides = np.array([s['side'] for s in steps])
        ok = np.isfinite(values)
        if not ok.any():
            continue
        summary[key] = dict(
            mean=float(values[ok].mean()), sd=float(values[ok].std(ddof=1)) if ok.sum() > 1
            else float('nan'), n=int(ok.sum()),
            left=float(np.nanmean(values[sides == 'left'])) if (ok & (sides == 'left')).any()
            else float('nan'),
            right=float(np.nanmean(values[sides == 'right']))
            if (ok & (sides == 'right')).any() else float('nan'))
    step_times = np.array([s['step_time_s'] for s in steps], dtype=np.float64)
    step_times = step_times[np.isfinite(step_times)]
    if len(step_times):
        # steps per minute of measured steps (total steps / total time of those steps):
        # event-timing noise cancels between consecutive steps, gaps add nothing
        summary['cadence_spm'] = 60.0 * len(step_times) / float(step_times.sum())
    ct = summary.get('contact_time_s')
    if ct and np.isfinite(ct['left']) and np.isfinite(ct['right']):
        summary['contact_time_balance_left_pct'] = 100 * ct['left'] / (ct['left'] + ct['right'])
    for side in ('left', 'right'):
        strikes = [s.get('foot_strike') for s in steps if s['side'] == side and s.get('foot_strike')]
        if strikes:
            summary[f'foot_strike_{side}'] = max(set(strikes), key=strikes.count)
    return summary


def upright_from_camera(keypoints_cam: np.ndarray, root_cam: Optional[np.ndarray] = None):
    """Camera-frame 3D (x right, y down, z forward; metres) -> a z-up frame for gait.

    Assumes the camera is upright (no roll, little pitch), as phones filming a runner are;
    up is then the camera's -y. With a root trajectory the poses are placed absolutely
    (speed, step length, vertical oscillation become measurable); without it they are
    pelvis-relative (the pelvis at the origin in every frame), which the gait events
    recognise and handle (``detect_foot_events``, pelvis frame).

    Returns:
        np.ndarray: (T, 19, 3) with x = camera x, y = camera z (depth), z = -camera y.
    """
    pose = np.asarray(keypoints_cam, dtype=np.float64)
    pose = pose - pose[:, :1]  # exactly pelvis-relative (a lifter's root is only ~0)
    if root_cam is not None:
        pose = pose + np.asarray(root_cam, dtype=np.float64)[:, None]
    return np.stack([pose[..., 0], pose[..., 2], -pose[..., 1]], axis=-1)


def upright_lifted(lifted) -> np.ndarray:
    """The z-up joints of a lifted clip (``apis.outputs.LiftedSequence``: camera frame,
    with or without a root trajectory), camera assumed upright; NaN where nothing was
    lifted (``lifted.valid`` False), so gaps stay gaps.

    Returns:
        np.ndarray: (T, 19, 3) metres.
    """
    joints = upright_from_camera(lifted.keypoints_3d, lifted.root)
    return np.where(np.asarray(lifted.valid)[:, None, None], joints, np.nan)

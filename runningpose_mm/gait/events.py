"""Foot contacts (initial contact, toe-off) from 3D ankle and forefoot trajectories.

Method (foot-clearance threshold, sub-frame):

1. Each available foot point (ankle, forefoot) gets its own floor: the height it has when
   planted, a low percentile of its vertical position over the trial. The foot's
   clearance is the smaller of the points' heights above their floors, so whichever end
   of the foot is down counts: the ankle for a rearfoot landing and at the end of
   stance, the forefoot for a forefoot landing and at push-off.
2. The foot is in contact while its clearance is below a threshold: a fraction of its
   clearance range (swing height), bounded to 1-4 cm; crossings are interpolated
   linearly between frames, so the timing does not depend on the frame grid.
3. Contacts shorter than ``min_contact_s`` are dropped and gaps shorter than
   ``min_flight_s`` closed (noise); contacts cut by the start or end of the sequence,
   or by missing samples, are reported as partial, not as contacts.

Heights come from the vertical axis only, so the method works the same on a treadmill
and overground, for rearfoot and forefoot strikers, and at any frame rate with the
rate carried in seconds.
"""
from dataclasses import dataclass, field
from typing import Dict, List

import numpy as np

from ..mocap.gaps import gap_runs
from ..skeleton import runningpose19


class GaitInputError(ValueError):
    """A sequence that cannot give the requested gait measure (with the reason)."""


@dataclass
class FootEvents:
    """Contacts of one foot.

    Attributes:
        contacts_s (np.ndarray): (N, 2) [initial contact, toe-off] in seconds from the
            first frame.
        partial_s (list): contacts cut by the sequence ends or by missing samples, as
            (start, end, reason) - reported, never used for metrics.
        points (list[str]): foot points used ('ankle', 'forefoot').
        threshold_m (float): clearance threshold used.
    """
    contacts_s: np.ndarray
    partial_s: List[tuple] = field(default_factory=list)
    points: List[str] = field(default_factory=list)
    threshold_m: float = float('nan')


@dataclass
class GaitEvents:
    rate_hz: float
    num_frames: int
    feet: Dict[str, FootEvents]
    warnings: List[str] = field(default_factory=list)

    @property
    def duration_s(self) -> float:
        return (self.num_frames - 1) / self.rate_hz


def _crossing_time(t, y, i, level):
    """Time where y crosses ``level`` between samples i and i + 1 (linear)."""
    y0, y1 = y[i], y[i + 1]
    w = 0.5 if y1 == y0 else (level - y0) / (y1 - y0)
    return float(t[i] + np.clip(w, 0, 1) * (t[i + 1] - t[i]))


def _refine(t, clearance, a, b, start, end, landing):
    """Initial contact: where the clearance drops below the lower ``landing`` threshold
    inside the contact found with the toe-off threshold; then both ends move to where
    the foot's motion meets its stance level: the line through the two samples before
    the crossing (after it) is extended to the median clearance of the contact. An end
    is kept when its line is flat or the extension leaves the neighbouring frames.
    """
    below = np.flatnonzero(clearance[a:b] < landing)
    if len(below) and below[0] > 0:
        i = a + below[0]
        start = _crossing_time(t, clearance, i - 1, landing)
        a = i
    level = float(np.median(clearance[a:b]))
    dt = t[1] - t[0]

    def extend(i0, i1, fallback, lo, hi):
        y0, y1 = clearance[i0], clearance[i1]
        if not (np.isfinite(y0) and np.isfinite(y1)) or abs(y1 - y0) < 1e-9:
            return fallback
        when = t[i0] + (level - y0) / (y1 - y0) * (t[i1] - t[i0])
        return float(when) if lo <= when <= hi else fallback

    reach = max(2 * dt, 0.02)  # at high frame rates the extension spans several frames
    if a >= 2:
        start = extend(a - 2, a - 1, start, t[a - 1], t[a - 1] + reach)
    if b + 1 < len(t):
        end = extend(b, b + 1, end, t[b] - reach, t[b])
    return start, end


def foot_clearance(joints_m: np.ndarray, side: str, floor_percentile: float = 2.0):
    """Clearance of one foot above its planted height.

    Args:
        joints_m (np.ndarray): (T, 19, 3) runningpose19 joints, metres, z up.
        side (str): 'left' or 'right'.

    Returns:
        tuple: (T,) clearance in metres (NaN where no foot point is known) and the
        names of the foot points used.
    """
    sk = runningpose19()
    heights, used = [], []
    for point in ('ankle', 'forefoot'):
        z = joints_m[:, sk.index(f'{side}_{point}'), 2]
        if np.isfinite(z).sum() < 3:
            continue
        heights.append(z - np.nanpercentile(z, floor_percentile))
        used.append(point)
    if not heights:
        raise GaitInputError(f'the {side} foot has no ankle or forefoot samples: no '
                             'contacts can be detected for it')
    stacked = np.stack(heights)
    with np.errstate(invalid='ignore'):
        clearance = np.where(np.isfinite(stacked).any(axis=0), np.nanmin(
            np.where(np.isfinite(stacked), stacked, np.inf), axis=0), np.nan)
    return clearance, used


def detect_foot_events(joints_m: np.ndarray, rate_hz: float,
                       contact_fraction: float = 0.03,
                       toe_off_fraction: float = 0.08,
                       contact_bounds_m=(0.005, 0.04),
                       toe_off_bounds_m=(0.01, 0.04),
                       min_contact_s: float = 0.06,
                       min_flight_s: float = 0.03) -> GaitEvents:
    """Initial contact and toe-off of both feet.

    Args:
        joints_m (np.ndarray): (T, 19, 3) runningpose19 joints in metres, world frame
            with z up (mocap, or lifted 3D turned upright). NaN where unknown.
        rate_hz (float): sampling rate.
        contact_fraction (float): initial-contact threshold, as a fraction of the foot's
            clearance range (5th to 95th percentile): the foot comes down fast, so a
            low threshold is crossed just before touchdown.
        toe_off_fraction (float): toe-off threshold (and the one that segments
            contacts): push-off lifts the forefoot slowly and skin markers or lifted
            keypoints hover above their floor, so a higher threshold is steadier.
        contact_bounds_m, toe_off_bounds_m (tuple): lower and upper bounds of the two
            thresholds, metres.
        min_contact_s (float): shorter contacts are noise.
        min_flight_s (float): shorter gaps inside a contact are closed.

    Returns:
        GaitEvents: per foot contacts in seconds, and partial ones.
    """
    joints_m = np.asarray(joints_m, dtype=np.float64)
    if joints_m.ndim != 3 or joints_m.shape[1:] != (19, 3):
        raise GaitInputError(f'expected (T, 19, 3) runningpose19 joints, got {joints_m.shape}')
    if not rate_hz > 0:
        raise GaitInputError(f'rate_hz must be > 0, got {rate_hz}')
    num_frames = len(joints_m)
    t = np.arange(num_frames) / rate_hz
    feet, warnings = {}, []
    for side in ('left', 'right'):
        try:
            clearance, used = foot_clearance(joints_m, side)
        except GaitInputError as exc:
            warnings.append(str(exc))
            continue
        valid = np.isfinite(clearance)
        lo, hi = np.nanpercentile(clearance, [5, 95])
        if hi - lo < 0.03:
            warnings.append(f'{side} foot: clearance varies by only {100 * (hi - lo):.1f} cm '
                            '(standing or walking in place?): no contacts detected')
            feet[side] = FootEvents(np.zeros((0, 2)), [], used)
            continue
        threshold = float(np.clip(lo + toe_off_fraction * (hi - lo), *toe_off_bounds_m))
        landing = float(np.clip(lo + contact_fraction * (hi - lo), *contact_bounds_m))
        down = valid & (clearance < threshold)
        # close short gaps (noise) inside a contact
        for a, b in gap_runs(~down & valid):
            if 0 < a and b < num_frames and (b - a) / rate_hz < min_flight_s and down[a - 1] \
                    and down[b]:
                down[a:b] = True
        contacts, partial = [], []
        for a, b in gap_runs(down):
            start = _crossing_time(t, clearance, a - 1, threshold) if a > 0 and valid[a - 1] \
                else None
            end = _crossing_time(t, clearance, b - 1, threshold) if b < num_frames and \
                valid[b] else None
            if start is None or end is None:
                reason = 'sequence start' if a == 0 else 'sequence end' if b == num_frames \
                    else 'missing samples'
                partial.append((float(t[a]), float(t[b - 1]), reason))
                continue
            if end - start >= min_contact_s:
                contacts.append(_refine(t, clearance, a, b, start, end, landing))
        feet[side] = FootEvents(np.array(contacts, dtype=np.float64).reshape(-1, 2),
                                partial, used, threshold)
        if 'ankle' not in used:
            warnings.append(f'{side} ankle missing: contacts from the forefoot alone (a '
                            'rearfoot landing is seen late, when the forefoot comes down)')
    if not feet:
        raise GaitInputError('neither foot has ankle or forefoot samples')
    return GaitEvents(float(rate_hz), num_frames, feet, warnings)


def match_events(detected: np.ndarray, truth: np.ndarray,
                 tolerance_s: float = 0.1) -> np.ndarray:
    """Pair each true event time with the nearest detected one within ``tolerance_s``.

    Returns:
        np.ndarray: (N, 2) [true, detected] pairs.
    """
    pairs = []
    for value in truth:
        if len(detected) == 0:
            break
        j = int(np.argmin(np.abs(detected - value)))
        if abs(detected[j] - value) <= tolerance_s:
            pairs.append((value, detected[j]))
    return np.array(pairs, dtype=np.float64).reshape(-1, 2)

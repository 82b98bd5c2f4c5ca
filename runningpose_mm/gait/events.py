"""Foot contacts (initial contact, toe-off) from 3D ankle and forefoot trajectories.

Two frames of reference, one method underneath:

**World frame** (mocap; lifted 3D is timed pelvis-relative even with a root trajectory,
``analyse_gait(events_frame='pelvis')``: its feet are too noisy for this; foot-clearance
threshold, sub-frame):

1. Each available foot point (ankle, forefoot) gets its own floor: the height it has when
   planted, a low percentile of its vertical position over the trial. The foot's
   clearance is the smaller of the points' heights above their floors, so whichever end
   of the foot is down counts: the ankle for a rearfoot landing and at the end of
   stance, the forefoot for a forefoot landing and at push-off.
2. The foot is in contact while its clearance is below a threshold: 1.45 cm, the same
   at every speed; crossings are interpolated linearly between frames, so the timing
   does not depend on the frame grid, and the toe-off is that crossing itself. Measured
   on the force plates, the forefoot (metatarsal heads) stands 12-19 mm above its
   stance height at toe-off on all four trials (the toes are the last to leave), but it
   rises at 3 mm per 10 ms on the Hamner runner at 2 m/s and 5-8 mm on the others, so
   the level sets the bias: toe-off with 1.45 cm +3.1 / -4.0 ms (Hamner 2 / 3 m/s),
   -3.2 / +0.9 ms (RBDS 2.5 / 3.5 m/s); with 1.75 cm +14.2 / +2.0 / +2.2 / +4.8 ms. (A
   fraction of the swing height, as before, grows with speed: 8.8 ms early to 9.6 ms
   late on RBDS.)
3. Contacts shorter than ``min_contact_s`` are dropped and gaps shorter than
   ``min_swing_s`` closed (noise: a foot's own swing between two contacts takes far
   longer in running, about 0.3-0.5 s).

**Pelvis-relative frame** (what a lifter without a trajectory branch gives): the pelvis
rises and falls 5-10 cm in every step, so a planted foot seems to move up and down by
as much, more than the clearance threshold; thresholds on pelvis-relative heights give
contacts far too short (or none). The ground is therefore reconstructed first:

- Vertical: the ground can push the runner but never pull, so relative to the pelvis it
  never accelerates upwards faster than gravity (``ground'' <= g``), with equality in
  flight, and no foot point is ever below it. Flight is told from the horizontal
  motion (below: neither foot moves with the ground), because vertically a highest
  curve with only the bound would follow the feet up through each flight and make every
  contact 50-90 ms too long. The ground height is the highest curve under the feet's
  lowest points with these curvature conditions (a linear programme per gap-free
  segment); the clearance method above then runs on heights over that ground. This
  places toe-off well: the push-off ends where the stance foot stops following a ground
  that can only fall away ballistically.
- Horizontal: a planted foot moves backwards with the ground, at the running speed
  relative to the pelvis (on a treadmill as overground); the running speed is the most
  common backward speed of the feet over about a stride. Initial contact is refined to
  where the landing foot's speed over the ground drops below ``ic_speed_fraction`` (0.4)
  of the running speed: a landing foot still sinks into the compliant heel pad and shoe
  while the vertical reconstruction is least certain, but it stops moving over the
  ground within a few tens of milliseconds (the foot-velocity principle of kinematic
  event detection, e.g. O'Connor et al. 2007, Gait Posture 25:469). Measured on the
  Hamner treadmill trials against the force plates: the foot still moves at 0.83-1.41 of
  the running speed 20 ms before contact, 0.46-0.95 at contact and 0.15-0.44 20 ms
  after; 0.4 is the level that serves both these gradual landings and the synthetic
  runner's abrupt one.
  How far the foot travels over the ground after touching it depends on how it lands:
  a foot landing toes-up (a rearfoot strike) still rotates down onto the ground about
  its heel, so its ankle and forefoot keep moving for longer than a flat or forefoot
  landing's. In the world frame the level therefore rises with the toe raise at landing
  (forefoot minus ankle height, relative to the same difference in stance): by
  ``ic_speed_per_toe_raise`` (3.5) per metre, 0.4 -> 0.58 / 0.61 for the Hamner runner's
  5-6 cm; RBDS's flat landings (0-1 cm) keep 0.4. Initial contact on the Hamner plates
  then +8.5 -> -1.4 ms (2 m/s) and +16.3 -> +3.3 ms (3 m/s), RBDS unchanged (-0.2 /
  -0.9 ms). Not in the pelvis frame: its toe-off is 6-16 ms late on all four force-plate
  trials (below), and an earlier initial contact alone made the Hamner contact times
  worse there (7.2 / 8.8 -> 16.1 / 12.6 ms MAE).
  Toe-off is refined the same way: the forefoot is the last point on the ground, and
  it leaves where it starts moving over the ground, above ``to_speed_fraction`` (0.15)
  of the running speed (speeds between consecutive frames, so that low frame rates do
  not start the rise a frame early). Needed because the reconstructed ground follows the
  rising forefoot until flight is recognised: from the clearance alone toe-off came
  18 ms late on the Hamner force plates and 25-31 ms on the RBDS ones; with the speed
  criterion 14-15 and 6-8 ms, contact time 7-9 ms and 6-9 ms. Measured on the force
  plates, the forefoot moves at 0.07-0.11 of the running speed at toe-off, 0.09-0.18 10
  ms later; 0.10 was earlier on the synthetic runner at 25 fps, 0.20 kept RBDS 15 ms
  late.
- The first frames: the rebuilt ground has nothing before the first frame to hold it
  below a foot that is landing there, so that foot looks planted from the start. A
  contact "under way" at the first frame whose foot still moved over the ground there
  and slowed below ``ic_speed_fraction`` in the clip began in the clip (it was the one
  contact of nearly every synthetic clip missed in the pelvis frame: 14 of 233 at 50 fps).

**Gaps.** Missing samples never make or break a contact. A contact cut by a gap keeps
what was seen: its initial contact (when the gap swallows the toe-off) or its toe-off
(when the gap swallows the initial contact), reported in ``initial_contacts_s`` /
``toe_offs_s`` and as partial with the reason. A foot that is down on both sides of a
gap shorter than ``merge_gap_s`` (no running swing is that short) stayed down, and the
contact is complete. ``gaps_s`` lists the missing spans, so that steps are only
measured between events with no gap between them.

Heights come from the vertical axis only, so the method works the same on a treadmill
and overground, for rearfoot and forefoot strikers, and at any frame rate with the
rate carried in seconds.
"""
import warnings
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import numpy as np

from .ground import highest_curve_below
from ..mocap.timeseries import gap_runs
from ..skeleton import runningpose19

GRAVITY = 9.81


class GaitInputError(ValueError):
    """A sequence that cannot give the requested gait measure (with the reason)."""


@dataclass
class FootEvents:
    """Contacts of one foot.

    Attributes:
        contacts_s (np.ndarray): (N, 2) [initial contact, toe-off] in seconds from the
            first frame, both seen.
        partial_s (list): contacts cut by the sequence ends or by missing samples, as
            (start, end, reason): never used for contact time.
        points (list[str]): foot points used ('ankle', 'forefoot').
        threshold_m (float): clearance threshold used.
        initial_contacts_s (np.ndarray): (M,) every initial contact seen, also those of
            contacts whose toe-off was not seen (they still time steps).
        toe_offs_s (np.ndarray): (L,) every toe-off seen.
    """
    contacts_s: np.ndarray
    partial_s: List[tuple] = field(default_factory=list)
    points: List[str] = field(default_factory=list)
    threshold_m: float = float('nan')
    initial_contacts_s: Optional[np.ndarray] = None
    toe_offs_s: Optional[np.ndarray] = None

    def __post_init__(self):
        self.contacts_s = np.asarray(self.contacts_s, dtype=np.float64).reshape(-1, 2)
        if self.initial_contacts_s is None:
            self.initial_contacts_s = self.contacts_s[:, 0].copy()
        if self.toe_offs_s is None:
            self.toe_offs_s = self.contacts_s[:, 1].copy()


@dataclass
class GaitEvents:
    """Contacts of both feet.

    Attributes:
        rate_hz (float): sampling rate.
        num_frames (int): frames of the sequence.
        feet (dict): 'left'/'right' -> FootEvents.
        warnings (list[str]): notes on the input.
        gaps_s (list): (start, end) seconds of spans where a foot was not seen; no step
            or flight is measured across them.
        frame (str): 'world' or 'pelvis' (pelvis-relative input, ground reconstructed).
    """
    rate_hz: float
    num_frames: int
    feet: Dict[str, FootEvents]
    warnings: List[str] = field(default_factory=list)
    gaps_s: List[Tuple[float, float]] = field(default_factory=list)
    frame: str = 'world'

    @property
    def duration_s(self) -> float:
        return (self.num_frames - 1) / self.rate_hz

    def gap_between(self, start_s: float, end_s: float) -> bool:
        """Whether any missing span overlaps [start_s, end_s]."""
        return any(a < end_s and b > start_s for a, b in self.gaps_s)


def _crossing_time(t, y, i, level):
    """Time where y crosses ``level`` between samples i and i + 1 (linear)."""
    y0, y1 = y[i], y[i + 1]
    w = 0.5 if y1 == y0 else (level - y0) / (y1 - y0)
    return float(t[i] + np.clip(w, 0, 1) * (t[i + 1] - t[i]))


def _refine(t, clearance, a, b, start, end, landing, extend_end=True):
    """Initial contact: where the clearance drops below the lower ``landing`` threshold
    inside the contact found with the toe-off threshold; then both ends move to where
    the foot's motion meets its stance level: the line through the two samples before
    the crossing (after it) is extended to the median clearance of the contact. An end
    is kept when its line is flat or the extension leaves the neighbouring frames.
    ``extend_end=False`` keeps the toe-off crossing itself (world frame: the forefoot's
    height at toe-off is what the threshold was measured as).
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
    if extend_end and b + 1 < len(t):
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


def is_pelvis_relative(joints_m: np.ndarray) -> bool:
    """True when the root (pelvis) does not move: root-relative 3D (a lifter without a
    trajectory branch), whose foot heights are heights above the pelvis."""
    root = np.asarray(joints_m)[:, runningpose19().index('root')]
    root = root[np.isfinite(root).all(axis=1)]
    return len(root) > 1 and float(np.ptp(root, axis=0).max()) < 1e-6


def pelvis_heading(joints_m: np.ndarray) -> np.ndarray:
    """Unit horizontal (x, y) direction the pelvis faces (``Skeleton.pelvis_heading``).

    Raises:
        GaitInputError: no frame has both hips.
    """
    try:
        return runningpose19().pelvis_heading(joints_m)
    except ValueError as exc:
        raise GaitInputError(str(exc)) from None


def _foot_points(joints_m: np.ndarray):
    """side -> list of (name, (T, 3) positions) of the foot points with samples."""
    sk = runningpose19()
    out = {}
    for side in ('left', 'right'):
        points = [(p, joints_m[:, sk.index(f'{side}_{p}')]) for p in ('ankle', 'forefoot')]
        out[side] = [(p, x) for p, x in points if np.isfinite(x[:, 2]).sum() >= 3]
    return out


def ground_height(joints_m: np.ndarray, rate_hz: float,
                  floor_percentile: float = 2.0,
                  flight_speed_fraction: float = 0.3,
                  speed_fraction: Optional[Dict[str, np.ndarray]] = None) -> np.ndarray:
    """Height of the ground under a runner given pelvis-relative 3D (z up).

    Relative to the pelvis the ground never accelerates upwards faster than gravity (the
    ground pushes, never pulls), it accelerates at exactly g in flight (the pelvis falls
    freely), and no foot point is below it. The ground is the highest curve that obeys
    all three: a linear programme per gap-free segment (HiGHS), whose solution touches
    the feet wherever one is planted and bridges each flight with a parabola of
    curvature g. Flight is where no foot moves with the ground (horizontal speeds,
    ``ground_speed_fraction``).

    Args:
        joints_m (np.ndarray): (T, 19, 3) runningpose19 joints, metres, z up, the pelvis
            at a fixed place (root-relative).
        rate_hz (float): sampling rate.
        floor_percentile (float): each foot point's planted height is this percentile of
            its height (so ankle and forefoot are compared at their own planted level).
        flight_speed_fraction (float): where both feet move over the ground faster than
            this fraction of the running speed, the runner is in flight: the ground
            bends at exactly g there (otherwise the highest curve would follow the feet
            up through the flight, and contacts would come out far too long). Until
            flight is recognised after toe-off the highest curve follows the rising
            forefoot, so toe-off from the clearance alone is late on real mocap (18
            ms on the Hamner force plates, 25-31 ms on the RBDS ones): the forefoot's
            speed over the ground corrects it (``detect_foot_events``'
            ``to_speed_fraction``).
        speed_fraction (dict): ``ground_speed_fraction`` of the same joints, if known.

    Returns:
        np.ndarray: (T,) ground height in the input's frame (NaN where no foot is seen).
    """
    joints_m = np.asarray(joints_m, dtype=np.float64)
    lowest = None  # the lowest point of either foot above its own planted height
    for side in ('left', 'right'):
        try:
            clearance, _ = foot_clearance(joints_m, side, floor_percentile)
        except GaitInputError:
            continue
        lowest = clearance if lowest is None else np.fmin(lowest, clearance)
    if lowest is None:
        raise GaitInputError('no ankle or forefoot samples: the ground cannot be found')
    if speed_fraction is None:
        speed_fraction = ground_speed_fraction(joints_m, rate_hz)
    # in flight (no foot keeps up with the ground) the pelvis falls freely: there the
    # ground rises at exactly g, not merely at most g
    moving = [np.nan_to_num(f, nan=0.0) > flight_speed_fraction
              for f in speed_fraction.values()]
    flight = np.logical_and.reduce(moving) if moving else None
    return highest_curve_below(lowest, max_second_difference=GRAVITY / rate_hz**2,
                               at_bound=flight)


def _running_mode(values: np.ndarray, window_s: float, rate_hz: float,
                  tolerance: float = 0.1) -> np.ndarray:
    """Running mode of positive ``values`` over ``window_s`` seconds: in each window, the
    value with the most others within ``tolerance`` (relative) of it. Evaluated every
    20 ms and interpolated (the running speed changes slowly); NaN where a window has no
    positive value."""
    half = max(1, int(round(0.5 * window_s * rate_hz)))
    every = max(1, int(round(0.02 * rate_hz)))
    centres = np.unique(np.append(np.arange(0, len(values), every), len(values) - 1))
    modes = np.full(len(centres), np.nan)
    for k, i in enumerate(centres):
        x = values[max(0, i - half):i + half + 1]
        x = np.sort(x[np.isfinite(x) & (x > 0)])
        if not len(x):
            continue
        count = np.searchsorted(x, x * (1 + tolerance), side='right') - \
            np.searchsorted(x, x * (1 - tolerance), side='left')
        modes[k] = x[int(np.argmax(count))]
    known = np.isfinite(modes)
    if not known.any():
        return np.full(len(values), np.nan)
    return np.interp(np.arange(len(values)), centres[known], modes[known])


def ground_speed_fraction(joints_m: np.ndarray, rate_hz: float,
                          window_s: float = 0.7) -> Dict[str, np.ndarray]:
    """Horizontal speed of each foot over the ground, as a fraction of the running speed,
    from pelvis-relative 3D.

    A planted foot moves backwards with the ground at the running speed relative to the
    pelvis. The running speed is the most common backward speed of the faster-moving-back
    foot over ``window_s`` (about a stride): the planted foot holds it for a whole
    contact while a swinging foot passes through it. (A median is biased low when flight
    is long: at 5 m/s and duty factor 0.25 it read 0.6 of the speed, and every landing
    foot looked planted early.) The forward direction is the pelvis heading
    (perpendicular to right -> left hip, z up).

    Returns:
        dict: side -> (T,) speed of the slower foot point over the ground / running
        speed (0 = planted); NaN where unknown.
    """
    return _speed_fractions(*_ground_motion(joints_m, rate_hz, window_s), rate_hz)


def _ground_motion(joints_m: np.ndarray, rate_hz: float, window_s: float = 0.7):
    """(side -> point name -> (T,) forward position of the foot points, (T,) running
    speed) of pelvis-relative 3D: see ``ground_speed_fraction``. ({}, None) without feet."""
    joints = np.asarray(joints_m, dtype=np.float64)
    forward = pelvis_heading(joints)
    position = {side: {name: x[:, :2] @ forward for name, x in points}
                for side, points in _foot_points(joints).items() if points}
    if not position:
        return {}, None
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', RuntimeWarning)  # frames without feet stay NaN
        backward = np.nanmax(np.stack([
            -np.nanmean(np.stack([np.gradient(x, 1 / rate_hz) for x in points.values()]),
                        axis=0) for points in position.values()]), axis=0)
    speed = _running_mode(backward, window_s, rate_hz)
    return position, np.where(speed > 0.3, speed, np.nan)  # below ~1 km/h: not running


def _speed_fractions(position: dict, speed: Optional[np.ndarray], rate_hz: float,
                     per_point: bool = False, between_frames: bool = False) -> dict:
    """Speeds of the foot points over the ground / running speed, from
    ``_ground_motion``: side -> (T,) of the slower point, or with ``per_point`` side ->
    point name -> (T,). ``between_frames``: speeds between consecutive frames ((T - 1,),
    at the midpoints) instead of central differences over two frame intervals, which start
    a rise one frame early (40 ms at 25 frames/s)."""
    if not position:
        return {}
    if between_frames:
        velocity = {side: {name: np.diff(x) * rate_hz for name, x in points.items()}
                    for side, points in position.items()}
        speed = 0.5 * (speed[1:] + speed[:-1])
    else:
        velocity = {side: {name: np.gradient(x, 1 / rate_hz) for name, x in points.items()}
                    for side, points in position.items()}
    fraction = {side: {name: np.abs(v + speed) / speed for name, v in points.items()}
                for side, points in velocity.items()}
    if per_point:
        return fraction
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', RuntimeWarning)
        return {side: np.nanmin(np.stack(list(points.values())), axis=0)
                for side, points in fraction.items()}


def detect_foot_events(joints_m: np.ndarray, rate_hz: float,
                       contact_fraction: float = 0.03,
                       toe_off_fraction: float = 0.08,
                       contact_bounds_m=(0.005, 0.04),
                       toe_off_bounds_m=None,
                       min_contact_s: float = 0.06,
                       min_swing_s: float = 0.15,
                       merge_gap_s: float = 0.1,
                       frame: str = 'auto',
                       ic_speed_fraction: float = 0.4,
                       ic_speed_per_toe_raise: Optional[float] = None,
                       to_speed_fraction: Optional[float] = 0.15) -> GaitEvents:
    """Initial contact and toe-off of both feet.

    Args:
        joints_m (np.ndarray): (T, 19, 3) runningpose19 joints in metres, z up: world
            frame (mocap, or lifted 3D with a root trajectory) or pelvis-relative
            (lifted 3D without one). NaN where unknown.
        rate_hz (float): sampling rate.
        contact_fraction (float): initial-contact threshold, as a fraction of the foot's
            clearance range (5th to 95th percentile): the foot comes down fast, so a
            low threshold is crossed just before touchdown.
        toe_off_fraction (float): toe-off threshold (and the one that segments
            contacts): push-off lifts the forefoot slowly and skin markers or lifted
            keypoints hover above their floor, so a higher threshold is steadier.
        contact_bounds_m, toe_off_bounds_m (tuple): lower and upper bounds of the two
            thresholds, metres. The toe-off bounds default to 1.45 cm exactly in the
            world frame (one height at every speed: see the module docstring) and 1-2 cm
            in the pelvis frame: a swing foot rises well above a reconstructed ground
            too, which stretches the clearance range, and a 4 cm cap put toe-off 10-14
            ms late on the synthetic runner (2 cm: 5 ms).
        min_contact_s (float): shorter contacts are noise.
        min_swing_s (float): a foot that is up for a shorter time between two contacts
            never left the ground (noise, e.g. of lifted keypoints): the two are one.
        merge_gap_s (float): a foot down on both sides of a shorter run of missing
            samples stayed down (no running swing is this short).
        frame (str): 'world', 'pelvis' (reconstruct the ground first, see the module
            docstring) or 'auto' (pelvis when the root does not move).
        ic_speed_fraction (float): initial contact where the foot's speed over the
            ground falls below this fraction of the running speed (then confirmed or
            moved by at most 50 ms with the toe raise, below).
        ic_speed_per_toe_raise (float, optional): the level rises by this much per metre
            of toe raise at landing (at most 10 cm): default 3.5 in the world frame, 0 in
            the pelvis frame (see the module docstring).
        to_speed_fraction (float, optional): pelvis frame only: toe-off moves back (by
            at most 60 ms) to where the forefoot's speed over the ground last rose
            through this fraction of the running speed; None keeps the clearance
            estimate.

    Returns:
        GaitEvents: per foot contacts in seconds, and partial ones.
    """
    joints_m = np.asarray(joints_m, dtype=np.float64)
    if joints_m.ndim != 3 or joints_m.shape[1:] != (19, 3):
        raise GaitInputError(f'expected (T, 19, 3) runningpose19 joints, got {joints_m.shape}')
    if not rate_hz > 0:
        raise GaitInputError(f'rate_hz must be > 0, got {rate_hz}')
    if frame not in ('auto', 'world', 'pelvis'):
        raise ValueError(f"frame must be 'auto', 'world' or 'pelvis', got {frame!r}")
    if frame == 'auto':
        frame = 'pelvis' if is_pelvis_relative(joints_m) else 'world'
    pelvis = frame == 'pelvis'
    if toe_off_bounds_m is None:
        toe_off_bounds_m = (0.01, 0.02) if pelvis else (0.0145, 0.0145)
    if ic_speed_per_toe_raise is None:
        ic_speed_per_toe_raise = 0.0 if pelvis else 3.5
    num_frames = len(joints_m)
    t = np.arange(num_frames) / rate_hz
    notes = []
    # the feet's speed over the ground, from their motion relative to the pelvis (the
    # same on a treadmill, overground, with or without a root trajectory)
    root = joints_m[:, runningpose19().index('root')]
    motion = _ground_motion(joints_m - root[:, None], rate_hz)
    speed_fraction = _speed_fractions(*motion, rate_hz)
    # (each point's own, between frames: the forefoot's times toe-off in the pelvis frame)
    point_speed = _speed_fractions(*motion, rate_hz, per_point=True, between_frames=True) \
        if pelvis and to_speed_fraction else {}
    if pelvis:
        ground = ground_height(joints_m, rate_hz, speed_fraction=speed_fraction)
        joints_m = joints_m.copy()
        joints_m[..., 2] -= ground[:, None]
        notes.append('pelvis-relative 3D: contacts found over a reconstructed ground '
                     '(no root trajectory)')
    feet, seen = {}, []
    for side in ('left', 'right'):
        try:
            clearance, used = foot_clearance(joints_m, side)
        except GaitInputError as exc:
            notes.append(str(exc))
            continue
        valid = np.isfinite(clearance)
        lo, hi = np.nanpercentile(clearance, [5, 95])
        if hi - lo < 0.03:
            notes.append(f'{side} foot: clearance varies by only {100 * (hi - lo):.1f} cm '
                         '(standing or walking in place?): no contacts detected')
            feet[side] = FootEvents(np.zeros((0, 2)), [], used)
            continue
        threshold = float(np.clip(lo + toe_off_fraction * (hi - lo), *toe_off_bounds_m))
        landing = float(np.clip(lo + contact_fraction * (hi - lo), *contact_bounds_m))
        down = valid & (clearance < threshold)
        # close short gaps (noise) inside a contact
        for a, b in gap_runs(~down & valid):
            if 0 < a and b < num_frames and (b - a) / rate_hz < min_swing_s and down[a - 1] \
                    and down[b]:
                down[a:b] = True
        # a foot down on both sides of a short run of missing samples stayed down
        for a, b in gap_runs(~valid):
            if 0 < a and b < num_frames and (b - a) / rate_hz < merge_gap_s and down[a - 1] \
                    and down[b]:
                down[a:b] = True
        seen.append((valid, down))
        contacts, partial, ics, tos = [], [], [], []
        for a, b in gap_runs(down):
            start = _crossing_time(t, clearance, a - 1, threshold) if a > 0 and valid[a - 1] \
                else None
            end = _crossing_time(t, clearance, b - 1, threshold) if b < num_frames and \
                valid[b] else None
            if start is not None and end is not None:
                if end - start >= min_contact_s:
                    ic, to = _refine(t, clearance, a, b, start, end, landing, extend_end=pelvis)
                    contacts.append((ic, to))
                    ics.append(ic)
                    tos.append(to)
                continue
            if start is not None:
                ics.append(_refine(t, clearance, a, b, start, t[b - 1], landing,
                                   extend_end=pelvis)[0])
                reason = 'toe-off at the sequence end' if b == num_frames else \
                    'toe-off in missing samples'
            elif end is not None:
                to = _refine(t, clearance, a, b, t[a], end, landing, extend_end=pelvis)[1]
                landed = _landing_after_start(t, speed_fraction.get(side), to - min_contact_s,
                                              ic_speed_fraction) \
                    if a == 0 and pelvis else None
                if landed is not None:
                    # the foot still moved over the ground at the first frame, and stopped
                    # in the clip: the contact began there (the rebuilt ground has nothing
                    # before the first frame to hold it below a landing foot)
                    contacts.append((landed, to))
                    ics.append(landed)
                    tos.append(to)
                    continue
                tos.append(to)
                reason = 'initial contact before the sequence start' if a == 0 else \
                    'initial contact in missing samples'
            else:
                reason = 'both ends outside the sequence or in missing samples'
            partial.append((float(t[a]), float(t[b - 1]), reason))
        if side in speed_fraction:
            # the refined contact stays inside its swing-to-toe-off window
            previous = {ic: max([to for to in tos if to < ic], default=-np.inf) for ic in ics}
            after = {ic: min([to for to in tos if to > ic], default=np.inf) for ic in ics}
            refined = {}
            raise_m = _toe_raise(joints_m, side, down) if ic_speed_per_toe_raise else None
            for ic in ics:
                when = _speed_initial_contact(t, speed_fraction[side], ic, ic_speed_fraction)
                if raise_m is not None and when is not None:
                    # a foot landing toes-up still rotates down onto the ground, so its
                    # points keep moving over it for longer: a higher level
                    raised = float(np.clip(np.interp(when, t, raise_m), 0.0, 0.1))
                    again = _speed_initial_contact(
                        t, speed_fraction[side], when,
                        ic_speed_fraction + ic_speed_per_toe_raise * raised, reach_s=0.05)
                    when = when if again is None else again
                if when is None:
                    # the foot never stops over the ground near there (it lands at the
                    # sequence end, or the keypoints are too noisy): not a timed contact
                    refined[ic] = None
                elif after[ic] - min_contact_s > previous[ic] + min_swing_s:
                    refined[ic] = float(np.clip(when, previous[ic] + min_swing_s,
                                                after[ic] - min_contact_s))
                else:
                    refined[ic] = ic
            for ic, to in contacts:
                if refined[ic] is None:
                    partial.append((ic, to, 'initial contact not confirmed: the foot does '
                                    'not stop over the ground'))
            contacts = [(refined[ic], to) for ic, to in contacts if refined[ic] is not None]
            ics = [refined[ic] for ic in ics if refined[ic] is not None]
        forefoot_speed = point_speed.get(side, {}).get('forefoot')
        if forefoot_speed is not None:
            midpoints = 0.5 * (t[1:] + t[:-1])
            # never earlier than its contact's initial contact + the shortest contact
            moved = {to: min(to, max(
                _speed_toe_off(midpoints, forefoot_speed, to, to_speed_fraction),
                max([ic for ic in ics if ic < to], default=-np.inf) + min_contact_s))
                for to in tos}
            contacts = [(ic, moved[to]) for ic, to in contacts]
            tos = [moved[to] for to in tos]
        feet[side] = FootEvents(np.array(contacts, dtype=np.float64).reshape(-1, 2),
                                partial, used, threshold, np.array(ics, dtype=np.float64),
                                np.array(tos, dtype=np.float64))
        if 'ankle' not in used:
            notes.append(f'{side} ankle missing: contacts from the forefoot alone (a '
                         'rearfoot landing is seen late, when the forefoot comes down)')
    if not feet:
        raise GaitInputError('neither foot has ankle or forefoot samples')
    missing = ~np.logical_and.reduce([v for v, _ in seen]) if seen else \
        np.ones(num_frames, bool)
    gaps = []
    for a, b in gap_runs(missing):
        # a short gap across which every foot stays down or stays up hides no event
        hides_nothing = 0 < a and b < num_frames and (b - a) / rate_hz < merge_gap_s and \
            all(d[a - 1] == d[b] for _, d in seen)
        if not hides_nothing:
            gaps.append((float(t[a - 1]) if a > 0 else float(t[0]),
                         float(t[b]) if b < num_frames else float(t[-1])))
    return GaitEvents(float(rate_hz), num_frames, feet, notes, gaps, frame)


def _toe_raise(joints_m, side, down):
    """(T,) how much higher the forefoot stands relative to the ankle than in stance
    (frames ``down``), metres: positive = toes up (a rearfoot landing). Independent of
    the ground (a difference of two points' heights at the same time), so the same in
    the world and the pelvis frame. None without both points."""
    sk = runningpose19()
    d = joints_m[:, sk.index(f'{side}_forefoot'), 2] - joints_m[:, sk.index(f'{side}_ankle'), 2]
    ok = np.isfinite(d)
    if ok.sum() < 3 or not (ok & down).any():
        return None
    r = d - np.median(d[ok & down])
    return np.interp(np.arange(len(r)), np.flatnonzero(ok), r[ok])


def _speed_toe_off(t, speed_fraction, to, level, reach_s=0.06):
    """Toe-off where the forefoot starts moving over the ground: the latest time within
    ``reach_s`` before the clearance estimate ``to`` at which its speed over the ground
    rises through ``level`` and then stays above it up to ``to``; ``to`` itself when
    there is none."""
    lo = max(0, int(np.searchsorted(t, to - reach_s)) - 1)
    at = min(len(t) - 1, int(np.searchsorted(t, to)))
    if not speed_fraction[at] >= level:  # not moving yet (or unknown) at the estimate
        return to
    for k in range(at - 1, lo - 1, -1):
        if not np.isfinite(speed_fraction[k]):
            return to
        if speed_fraction[k] < level:
            return min(to, _crossing_time(t, speed_fraction, k, level))
    return to


def _landing_after_start(t, speed_fraction, latest, level):
    """Where a foot that moved over the ground at the first frame (above ``level``) first
    slows below it, if before ``latest``; None otherwise (it was planted already)."""
    if speed_fraction is None or not speed_fraction[0] >= level:
        return None
    for k in range(len(t) - 1):
        if t[k + 1] > latest or not np.isfinite(speed_fraction[k + 1]):
            return None
        if speed_fraction[k + 1] < level:
            return _crossing_time(t, speed_fraction, k, level)
    return None


def _speed_initial_contact(t, speed_fraction, ic, level, reach_s=0.2, hold=1.5):
    """Initial contact where the foot's speed over the ground falls below ``level``
    within ``reach_s`` of the clearance estimate ``ic``: the earliest such crossing after
    which the foot keeps moving with the ground (below ``hold`` x ``level``) up to the
    estimate, else the nearest crossing; None when there is none.

    (The earliest, because lifted feet often hover a few centimetres for some frames
    after landing while already moving with the ground: the clearance estimate is then
    late, and the nearest crossing a noise dip inside the contact.)"""
    lo = max(0, int(np.searchsorted(t, ic - reach_s)) - 1)  # crossings that end inside
    hi = min(len(t) - 1, int(np.searchsorted(t, ic + reach_s)))
    at = int(np.searchsorted(t, ic))
    crossings = []
    for k in range(lo, hi):
        y0, y1 = speed_fraction[k], speed_fraction[k + 1]
        if np.isfinite(y0) and np.isfinite(y1) and y0 >= level > y1:
            crossings.append(k)
    if not crossings:
        return None
    for k in crossings:
        stretch = speed_fraction[k + 1:max(k + 2, at + 1)]
        if np.all(np.nan_to_num(stretch, nan=np.inf) < hold * level):
            return _crossing_time(t, speed_fraction, k, level)
    when = [_crossing_time(t, speed_fraction, k, level) for k in crossings]
    return min(when, key=lambda w: abs(w - ic))


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


def compare_with_reference(events: GaitEvents, reference: Dict[str, np.ndarray],
                           tolerance_s: float = 0.15) -> Dict[str, dict]:
    """Detected contacts against reference ones (force plates) on the same time axis.

    Each reference contact that ends inside the sequence is matched to the detected
    contact whose initial contact is nearest (within ``tolerance_s``).

    Returns:
        dict: side -> ``n`` (reference contacts inside the sequence), ``matched``,
        ``ic_error_s``, ``to_error_s``, ``contact_error_s`` ((matched,) detected minus
        reference).
    """
    out = {}
    for side, ref in reference.items():
        ref = np.asarray(ref, dtype=np.float64).reshape(-1, 2)
        ref = ref[(ref[:, 0] > 0) & (ref[:, 1] < events.duration_s)]
        found = events.feet[side].contacts_s if side in events.feet else np.zeros((0, 2))
        errors = []
        for ic, to in ref:
            if not len(found):
                break
            j = int(np.argmin(np.abs(found[:, 0] - ic)))
            if abs(found[j, 0] - ic) <= tolerance_s:
                errors.append((found[j, 0] - ic, found[j, 1] - to,
                               (found[j, 1] - found[j, 0]) - (to - ic)))
        errors = np.array(errors, dtype=np.float64).reshape(-1, 3)
        out[side] = dict(n=len(ref), matched=len(errors), ic_error_s=errors[:, 0],
                         to_error_s=errors[:, 1], contact_error_s=errors[:, 2])
    return out

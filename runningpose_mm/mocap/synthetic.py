"""A synthetic runner: 19-keypoint 3D running with exactly known foot contacts.

This is a model, not data. It exists so that demos and tests have a runner whose
initial-contact and toe-off times are known exactly, with varied anthropometrics,
speeds and styles for training augmentation. It is never presented as real data.

Model (sagittal plane per leg, world z up, running along +x, left = +y):

- Segment lengths are fractions of body height (Winter, *Biomechanics and Motor Control
  of Human Movement*, 4th ed., 2009): thigh 0.245 H, shank 0.246 H, ankle height
  0.039 H, foot length 0.152 H, upper arm 0.186 H, forearm 0.146 H, hip joint to
  shoulder joint centre 0.265 H, shoulder joint centres 0.22 H apart; the forefoot is
  0.7 foot lengths from the heel (runningpose19's ``forefoot_fraction``).
- Gait timing: stride time = 2 x 60 / cadence, contact time = duty factor x stride time
  (duty < 0.5, so each step has a flight phase), right contacts at t0 + k stride, left
  contacts half a stride later.
- Stance: the foot rolls over the ground without sliding, about the heel (pitch > 0),
  the forefoot, then the toes (a rocker ahead of the forefoot, reached at 45 deg heel
  rise; the forefoot point lifts 1.8 cm by toe-off, as on Hamner's treadmill runner:
  1.2-1.8 cm at the force plates' toe-off). Foot pitch follows the strike pattern:
  rearfoot lands toes-up (+15 deg), midfoot flat, forefoot toes-down (-12 deg); all
  leave at -55 deg.
- Pelvis height: physical. The pelvis falls freely in flight (a parabola under gravity,
  9.81 m/s^2) and dips like a spring-mass in stance (``z_c - A sin(pi s)``, with ``A``
  such that the vertical velocity is continuous at contact and toe-off): the ground
  pushes and never pulls, and there are no velocity kinks (an earlier kinematic pelvis
  had 0.6-1.9 m/s jumps, 80 g, which no body has and which the root-relative gait
  events could not follow). The stance foot is placed under the hip so that the knee
  is flexed by ``knee_contact_deg`` at contact and ``knee_toe_off_deg`` at toe-off;
  the overstride and the mid-stance knee (about 40-60 deg) follow from that, the speed,
  the contact time and the legs (two-link inverse kinematics).
- Swing: the ankle follows a cubic spline relative to the hip through the toe-off
  position, a heel-recovery point behind and above (higher when faster), a forward
  reach point, and the next contact position, landing with a downward speed
  (``touchdown_speed_mps``, about 0.5-1 m/s at the heel in running) while still moving
  forward over the ground (``touchdown_forward_fraction`` of the running speed:
  0.46-0.95 on the Hamner treadmill trials at the force-plate contact); the knee comes
  from inverse kinematics.
- Trunk leans forward by ``trunk_lean_deg``; arms swing opposite to the same-side thigh
  with the elbow flexed about 80 deg.
- Treadmill runs are the same motion with the forward progression removed.
"""
from dataclasses import dataclass, field
from typing import Dict, Optional

import numpy as np
from scipy.interpolate import CubicSpline

from ..skeleton import runningpose19

GRAVITY = 9.81
#: segment lengths as fractions of body height (Winter 2009; see the module docstring);
#: a runner's ``proportions`` scale them one by one (people differ in more than height)
SEGMENTS = dict(thigh=0.245, shank=0.246, foot=0.152, ankle_height=0.039, hip_width=0.10,
                trunk=0.265, head=0.135, shoulder_width=0.22, upper_arm=0.186, forearm=0.146)
_STRIKE_PITCH_DEG = {'rearfoot': 15.0, 'midfoot': 0.0, 'forefoot': -12.0}


@dataclass
class RunnerParams:
    """Parameters of a synthetic runner (SI units, angles in degrees)."""
    height_m: float = 1.75
    speed_mps: float = 3.5
    cadence_spm: float = 172.0
    duty_factor: float = 0.35
    strike: str = 'rearfoot'
    knee_contact_deg: float = 18.0
    knee_toe_off_deg: float = 20.0
    trunk_lean_deg: float = 8.0
    step_width_m: float = 0.08
    arm_swing_gain: float = 0.7
    elbow_flexion_deg: float = 80.0
    touchdown_speed_mps: float = 0.6
    touchdown_forward_fraction: float = 0.55
    treadmill: bool = False
    proportions: Dict[str, float] = field(default_factory=dict)

    def validate(self) -> None:
        if not 1.0 < self.height_m < 2.5:
            raise ValueError(f'height_m {self.height_m} is not a person height in metres')
        if not 0.5 <= self.speed_mps <= 12:
            raise ValueError(f'speed_mps {self.speed_mps} is outside 0.5-12 m/s')
        if not 100 <= self.cadence_spm <= 260:
            raise ValueError(f'cadence_spm {self.cadence_spm} is outside 100-260 steps/min')
        if not 0.15 <= self.duty_factor < 0.5:
            raise ValueError(f'duty_factor {self.duty_factor} must be in [0.15, 0.5): '
                             'running has a flight phase')
        if not 0.0 <= self.touchdown_forward_fraction <= 1.0:
            raise ValueError(f'touchdown_forward_fraction {self.touchdown_forward_fraction} '
                             'must be in [0, 1] (of the running speed, forward over the '
                             'ground)')
        if self.strike not in _STRIKE_PITCH_DEG:
            raise ValueError(f'strike must be one of {sorted(_STRIKE_PITCH_DEG)}')
        unknown = sorted(set(self.proportions) - set(SEGMENTS))
        if unknown:
            raise ValueError(f'unknown segments in proportions: {unknown}; known: '
                             f'{sorted(SEGMENTS)}')
        bad = {k: v for k, v in self.proportions.items() if not 0.7 <= v <= 1.3}
        if bad:
            raise ValueError(f'proportions scale segments by 0.7-1.3, got {bad}')

    def segment(self, name: str) -> float:
        """Length of a segment in metres: its fraction of height, times its proportion."""
        return SEGMENTS[name] * self.height_m * self.proportions.get(name, 1.0)

    @property
    def stride_time_s(self) -> float:
        return 120.0 / self.cadence_spm

    @property
    def contact_time_s(self) -> float:
        return self.duty_factor * self.stride_time_s


@dataclass
class SyntheticRun:
    """A synthetic running sequence.

    Attributes:
        joints_m (np.ndarray): (T, 19, 3) runningpose19 joints, metres, world z up.
        rate_hz (float): sampling rate.
        contacts_s (dict): ``'left'``/``'right'`` -> (N, 2) [initial contact, toe-off]
            times in seconds (only contacts wholly inside the sequence).
        params (RunnerParams): the runner.
    """
    joints_m: np.ndarray
    rate_hz: float
    contacts_s: Dict[str, np.ndarray]
    params: RunnerParams = field(default_factory=RunnerParams)

    @property
    def times_s(self) -> np.ndarray:
        return np.arange(self.joints_m.shape[0]) / self.rate_hz


def _rot(theta):
    """2D rotation (x forward, z up) by theta rad; positive lifts the toes."""
    c, s = np.cos(theta), np.sin(theta)
    return np.array([[c, -s], [s, c]]).transpose(2, 0, 1) if np.ndim(theta) else \
        np.array([[c, -s], [s, c]])


def _smoothstep(x):
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)


def _leg_length(knee_deg, thigh, shank):
    """Hip-ankle distance of a two-link leg with the knee flexed by ``knee_deg``."""
    knee = np.deg2rad(knee_deg)
    return np.sqrt(thigh**2 + shank**2 + 2 * thigh * shank * np.cos(knee))


def _stance_placement(ankle_dx, ankle_z, dip, lateral, thigh, shank, p: RunnerParams):
    """Where the stance foot is under the hip, and the hip height at contact.

    The stance ankle's path relative to the hip is ``ankle_dx + shift`` forwards; the
    pelvis is at ``z_c`` at contact and toe-off (a symmetric flight) and dips by
    ``dip sin(pi s)`` in between. ``shift`` and ``z_c`` are chosen so that the landing
    knee is flexed by ``knee_contact_deg`` and the push-off knee by ``knee_toe_off_deg``
    (the foot lands ahead of the hip as far as these two allow: the overstride follows
    from the speed, the contact time and the leg).

    Args:
        ankle_dx, ankle_z (np.ndarray): (S,) the stance ankle's forward offset from the
            hip (before ``shift``) and its height over stance phase s = linspace(0, 1, S).

    Returns:
        tuple: (shift, z_c) in metres.
    """
    land = _leg_length(p.knee_contact_deg, thigh, shank)
    push = _leg_length(p.knee_toe_off_deg, thigh, shank)

    def z_contact(shift):
        return ankle_z[0] + np.sqrt(land**2 - lateral**2 - (ankle_dx[0] + shift)**2)

    def push_excess(shift):  # > 0: the push-off leg would have to be longer
        return np.hypot(np.hypot(ankle_dx[-1] + shift, lateral),
                        z_contact(shift) - ankle_z[-1]) - push

    reach = np.sqrt(land**2 - lateral**2)
    lo, hi = 0.02 - ankle_dx[0], 0.95 * reach - ankle_dx[0]
    if push_excess(hi) > 0:
        raise ValueError(f'runner parameters are infeasible: the stance foot travels '
                         f'{np.ptp(ankle_dx):.2f} m under the hip, the leg is '
                         f'{thigh + shank:.2f} m (lower speed x contact time)')
    if push_excess(lo) < 0:
        shift = lo
    else:
        for _ in range(60):
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if push_excess(mid) > 0 else (lo, mid)
        shift = hi
    z_c = z_contact(shift)
    # no stance instant may need a longer leg than the leg has
    flat = (ankle_dx + shift)**2 + lateral**2
    room = np.sqrt(np.maximum((0.995 * (thigh + shank))**2 - flat, 0.0))
    s = np.linspace(0, 1, len(ankle_dx))
    return shift, min(z_c, float(np.min(ankle_z + dip * np.sin(np.pi * s) + room)))


def _pelvis_height(t, step, tc, z_c):
    """Pelvis height at times ``t`` (s after a contact; a contact every ``step`` s).

    Physical in the vertical: in flight the pelvis falls under gravity alone, so a
    symmetric flight of ``tf = step - tc`` leaves the ground at ``u = g tf / 2`` upwards and
    lands at ``u`` downwards; in stance it dips like a spring-mass (``z_c - A sin(pi s)``,
    ``A = u tc / pi``), so the velocity is continuous at both ends and the ground only
    pushes.
    """
    phase = np.mod(t, step)
    tau = phase - tc
    return np.where(phase > tc, z_c + _launch_speed(step, tc) * tau - 0.5 * GRAVITY * tau**2,
                    z_c - _stance_dip(step, tc) * np.sin(np.pi * np.clip(phase / tc, 0, 1)))


def _launch_speed(step, tc):
    """Vertical speed of the pelvis at toe-off (and, downwards, at contact) for a
    symmetric flight of ``step - tc`` seconds under gravity."""
    return GRAVITY * (step - tc) / 2


def _stance_dip(step, tc):
    """How far the pelvis sinks in stance (see ``_pelvis_height``)."""
    return _launch_speed(step, tc) * tc / np.pi


def _foot_pitch_stance(s, p: RunnerParams):
    """Foot pitch (rad) over stance: strike pitch -> flat -> heel rise to -55 deg."""
    strike = _STRIKE_PITCH_DEG[p.strike]
    settle = 0.15 if strike >= 0 else 0.25
    heel_off = 0.55
    pitch = strike * (1 - _smoothstep(s / settle)) + \
        -55.0 * _smoothstep((s - heel_off) / (1 - heel_off))
    return np.deg2rad(pitch)


class _Foot:
    """Sagittal foot: heel, ankle and forefoot points relative to the ankle, and a toe
    rocker ahead of the forefoot that the foot rolls over at the end of push-off."""

    #: pitch (deg, heel up) where the roll passes from the metatarsal heads to the toes
    TOE_ROLL_DEG = 45.0

    def __init__(self, height_m, foot, ankle_height):
        self.ankle_height = ankle_height
        self.heel = np.array([-0.2 * foot, -self.ankle_height])
        self.forefoot_height = 0.012 * height_m
        # heel at the back of the foot, toe tip one foot length ahead of it; the
        # forefoot where runningpose19 defines it along that line
        fraction = runningpose19().forefoot_fraction
        self.forefoot = np.array([(fraction - 0.2) * foot,
                                  self.forefoot_height - self.ankle_height])
        # the toes (a rigid foot would push them into the ground as the heel rises; they
        # bend instead): a pivot at the toe tip that meets the ground at TOE_ROLL_DEG
        reach = 0.9 * (1.0 - fraction) * foot  # forefoot -> just behind the toe tip
        self.toe = self.forefoot + reach * np.array(
            [1.0, np.tan(np.deg2rad(self.TOE_ROLL_DEG))])

    def stance_ankle(self, flat_ankle_x, pitch):
        """Ankle (x, z) of a foot rolling about the heel (pitch > 0), the forefoot, then the
        toes (pitch < -TOE_ROLL_DEG), whose flat position has the ankle at
        ``flat_ankle_x``."""
        pitch = np.asarray(pitch, dtype=np.float64)
        flat_ankle = np.array([flat_ankle_x, self.ankle_height])
        roll = -np.deg2rad(self.TOE_ROLL_DEG)
        toe_ground = flat_ankle + self.forefoot + _rot(roll) @ (self.toe - self.forefoot)
        heel_down = pitch[:, None] > 0
        on_toes = pitch[:, None] < roll
        pivot_rel = np.where(heel_down, self.heel, np.where(on_toes, self.toe,
                                                            self.forefoot))  # (N, 2)
        pivot = np.where(on_toes, toe_ground, flat_ankle + pivot_rel)
        return pivot + np.einsum('nij,nj->ni', _rot(pitch), -pivot_rel)


def _two_link_knee(hip, ankle, thigh, shank, forward):
    """Knee position by two-link IK in the plane spanned by the leg and ``forward``.

    Args: hip, ankle (N, 3); forward (3,) unit vector the knee points towards.
    """
    leg = ankle - hip
    d = np.linalg.norm(leg, axis=-1, keepdims=True)
    d_clamped = np.clip(d, abs(thigh - shank) + 1e-6, thigh + shank - 1e-6)
    axis = leg / d
    along = (thigh**2 - shank**2 + d_clamped**2) / (2 * d_clamped)
    perp_len = np.sqrt(np.maximum(thigh**2 - along**2, 0))
    perp = forward - np.sum(forward * axis, axis=-1, keepdims=True) * axis
    perp /= np.linalg.norm(perp, axis=-1, keepdims=True)
    return hip + along * axis + perp_len * perp


def synthesize_run(params: Optional[RunnerParams] = None,
                   duration_s: float = 4.0,
                   rate_hz: float = 100.0,
                   start_phase: float = 0.1) -> SyntheticRun:
    """Generate a synthetic running sequence.

    Args:
        params (RunnerParams): the runner (default: 1.75 m, 3.5 m/s, 172 steps/min).
        duration_s (float): length in seconds.
        rate_hz (float): sampling rate (any rate: the model is continuous in time).
        start_phase (float): fraction of a stride before the first right contact.

    Returns:
        SyntheticRun: joints in metres (world z up, running along +x) and exact contacts.
    """
    p = params or RunnerParams()
    p.validate()
    if duration_s * rate_hz < 2:
        raise ValueError('duration_s x rate_hz must give at least 2 frames')
    H = p.height_m
    thigh, shank = p.segment('thigh'), p.segment('shank')
    foot = _Foot(H, p.segment('foot'), p.segment('ankle_height'))
    stride, tc = p.stride_time_s, p.contact_time_s
    step = stride / 2
    v = p.speed_mps
    t = np.arange(int(round(duration_s * rate_hz))) / rate_hz
    t0 = start_phase * stride
    hip_half_width = 0.5 * p.segment('hip_width')
    lateral_offset = hip_half_width - p.step_width_m / 2  # hip vs ankle, sideways

    # contacts covering the window with one extra on each side (for swing splines)
    first_k = int(np.floor((t[0] - t0) / stride)) - 1
    last_k = int(np.ceil((t[-1] - t0) / stride)) + 1
    sides = {'right': 0.0, 'left': step}
    contacts = {s: np.array([[t0 + off + k * stride, t0 + off + k * stride + tc]
                             for k in range(first_k, last_k + 1)])
                for s, off in sides.items()}

    # stance: the rolling foot's ankle relative to the hip (the same in every contact),
    # placed under the hip so that the knee angles at contact and toe-off hold
    ns = 41
    s_grid = np.linspace(0, 1, ns)
    pitch_stance = _foot_pitch_stance(s_grid, p)
    ankle_ref = foot.stance_ankle(0.0, pitch_stance)
    shift, z_c = _stance_placement(ankle_ref[:, 0] - v * tc * s_grid, ankle_ref[:, 1],
                                   _stance_dip(step, tc), lateral_offset, thigh, shank, p)
    stance = {side: [(ic + s_grid * tc, foot.stance_ankle(v * ic + shift, pitch_stance),
                      v * ic + shift) for ic, _ in cs] for side, cs in contacts.items()}
    root_z = _pelvis_height(t - t0, step, tc, z_c)
    root_x = v * t

    forward3 = np.array([1.0, 0.0, 0.0])
    joints = np.full((len(t), 19, 3), np.nan)
    sk = runningpose19()
    idx = {n: i for i, n in enumerate(sk.names)}
    root = np.stack([root_x, np.zeros_like(t), root_z], axis=-1)
    joints[:, idx['root']] = root
    thigh_angle = {}
    for side, lateral in (('right', -1.0), ('left', 1.0)):
        hip = root + np.array([0.0, lateral * hip_half_width, 0.0])
        ankle_xz = np.full((len(t), 2), np.nan)
        pitch = np.full(len(t), np.nan)
        segments = stance[side]
        for j, (times, ankle, flat_x) in enumerate(segments):
            inside = (t >= times[0]) & (t <= times[-1])
            # evaluated at the frame times (not interpolated) so the pivot stays exact
            pitch[inside] = _foot_pitch_stance((t[inside] - times[0]) / tc, p)
            ankle_xz[inside] = foot.stance_ankle(flat_x, pitch[inside])
            if j + 1 < len(segments):
                _swing(t, times, ankle, segments[j + 1][0], segments[j + 1][1], p, H, v,
                       pitch_stance, ankle_xz, pitch)
        ankle3 = np.stack([ankle_xz[:, 0], np.full(len(t), lateral * p.step_width_m / 2),
                           ankle_xz[:, 1]], axis=-1)
        # keep the swing ankle within reach (the spline can overshoot); stance is within
        # reach by construction, so contacts stay exact
        leg = ankle3 - hip
        reach = np.linalg.norm(leg, axis=-1, keepdims=True)
        ankle3 = hip + leg * np.minimum(1.0, 0.995 * (thigh + shank) / reach)
        ankle_xz = ankle3[:, [0, 2]]
        knee = _two_link_knee(hip, ankle3, thigh, shank, forward3)
        fore = ankle_xz + np.einsum('nij,j->ni', _rot(pitch), foot.forefoot)
        forefoot3 = np.stack([fore[:, 0], ankle3[:, 1], fore[:, 1]], axis=-1)
        joints[:, idx[f'{side}_hip']] = hip
        joints[:, idx[f'{side}_knee']] = knee
        joints[:, idx[f'{side}_ankle']] = ankle3
        joints[:, idx[f'{side}_forefoot']] = forefoot3
        thigh_vec = knee - hip
        thigh_angle[side] = np.arctan2(thigh_vec[:, 0], -thigh_vec[:, 2])

    _upper_body(joints, idx, root, thigh_angle, p, H)
    if p.treadmill:
        joints[..., 0] -= root_x[:, None]
    inside = {s: c[(c[:, 0] >= t[0]) & (c[:, 1] <= t[-1])] for s, c in contacts.items()}
    return SyntheticRun(joints, float(rate_hz), inside, p)


def _swing(t, times_a, ankle_a, times_b, ankle_b, p, H, v, pitch_stance, ankle_xz, pitch):
    """Fill the swing between toe-off (end of stance a) and contact (start of stance b)."""
    t_to, t_ic = times_a[-1], times_b[0]
    inside = (t > t_to) & (t < t_ic)
    if not inside.any():
        return
    T = t_ic - t_to
    # positions relative to the hip's forward position (hip x = v t)
    start = ankle_a[-1] - [v * t_to, 0.0]
    end = ankle_b[0] - [v * t_ic, 0.0]
    recovery_height = min(0.12 * H + 0.045 * H * v, 0.45 * H)
    # ankle velocity relative to the hip: stance ankle moves back at ~-v when it leaves
    vel_to = (ankle_a[-1] - ankle_a[-2]) / (times_a[-1] - times_a[-2]) - [v, 0.0]
    # it lands moving down (heel touchdown speed) and still moving forward over the
    # ground (``touchdown_forward_fraction`` of the running speed), and stops at contact
    vel_ic = (ankle_b[1] - ankle_b[0]) / (times_b[1] - times_b[0]) - \
        [v * (1 - p.touchdown_forward_fraction), p.touchdown_speed_mps]
    via_t = np.array([t_to, t_to + 0.3 * T, t_to + 0.75 * T, t_ic])
    # the foot reaches ahead of its landing place and is pulled back only just before
    # contact: its speed over the ground stays near the running speed until then, as
    # measured (Hamner treadmill trials, 20 ms before the force-plate contact)
    via_x = np.array([start[0], start[0] + 0.12 * H, end[0] + 0.02 * H, end[0]])
    via_z = np.array([start[1], recovery_height, end[1] + 0.06 * H, end[1]])
    spline_x = CubicSpline(via_t, via_x, bc_type=((1, vel_to[0]), (1, vel_ic[0])))
    spline_z = CubicSpline(via_t, via_z, bc_type=((1, vel_to[1]), (1, vel_ic[1])))
    ts = t[inside]
    ankle_xz[inside, 0] = spline_x(ts) + v * ts
    ankle_xz[inside, 1] = spline_z(ts)
    u = (ts - t_to) / T
    pitch_to, pitch_ic = pitch_stance[-1], pitch_stance[0]
    pitch[inside] = pitch_to + (pitch_ic - pitch_to) * _smoothstep(u / 0.8)


def _upper_body(joints, idx, root, thigh_angle, p: RunnerParams, H):
    """Trunk, head and arms, following the joint definitions of runningpose19: thorax =
    mid-shoulder joint centres (0.265 H above the hip centres: Winter's shoulder 0.818 H
    less ~0.023 H from acromion to joint centre, hip 0.530 H), head = mid-ears (Winter's
    ear level ~0.93 H, 0.135 H above the shoulder centres), neck base halfway."""
    lean = np.deg2rad(p.trunk_lean_deg)
    up = np.array([np.sin(lean), 0.0, np.cos(lean)])
    trunk, head = p.segment('trunk'), p.segment('head')
    thorax = root + trunk * up
    joints[:, idx['thorax']] = thorax
    joints[:, idx['spine']] = root + 0.5 * trunk * up
    joints[:, idx['neck_base']] = thorax + 0.5 * head * up
    joints[:, idx['head']] = thorax + head * up
    upper, fore = p.segment('upper_arm'), p.segment('forearm')
    elbow_flex = np.deg2rad(p.elbow_flexion_deg)
    for side, lateral in (('right', -1.0), ('left', 1.0)):
        shoulder = thorax + np.array([0.0, lateral * 0.5 * p.segment('shoulder_width'), 0.0])
        arm = -p.arm_swing_gain * thigh_angle[side]
        elbow = shoulder + upper * np.stack(
            [np.sin(arm), np.zeros_like(arm), -np.cos(arm)], axis=-1)
        fa = arm + elbow_flex
        wrist = elbow + fore * np.stack(
            [np.sin(fa), -lateral * 0.25 * np.ones_like(fa), -np.cos(fa)], axis=-1)
        joints[:, idx[f'{side}_shoulder']] = shoulder
        joints[:, idx[f'{side}_elbow']] = elbow
        joints[:, idx[f'{side}_wrist']] = wrist


#: the joints ``model_upper_body`` adds: everything above the pelvis
UPPER_BODY = ('spine', 'thorax', 'neck_base', 'head', 'left_shoulder', 'left_elbow',
              'left_wrist', 'right_shoulder', 'right_elbow', 'right_wrist')


def model_upper_body(joints_m: np.ndarray, params: Optional[RunnerParams] = None
                     ) -> np.ndarray:
    """The synthetic runner's trunk, head and arms on a real runner's measured legs.

    For marker sets without an upper body (RBDS's lower-body set): the arms swing
    opposite to the same-side thigh exactly as the synthetic runner's do (``_upper_body``),
    driven by the measured thigh angles, with segments scaled to the measured legs (body
    height = median thigh + shank length / 0.491, Winter's fractions). What this gives
    is a model: lifting datasets use it as 2D input only, never as a 3D target
    (``TrialSource.model_upper_body``).

    Args:
        joints_m (np.ndarray): (T, 19, 3) runningpose19 joints, metres, world z up, with
            root, hips, knees and ankles; running in any horizontal direction
            (``Skeleton.pelvis_heading``).
        params (RunnerParams, optional): trunk lean, arm swing, elbow flexion (default:
            the synthetic runner's defaults).

    Returns:
        np.ndarray: a copy with the ``UPPER_BODY`` joints that were NaN filled (NaN where
        a frame lacks the root, a hip or a knee).

    Raises:
        ValueError: no frame has both hips (the running direction), or no leg has its
            hip, knee and ankle in any frame (the body height).
    """
    sk = runningpose19()
    idx = {n: i for i, n in enumerate(sk.names)}
    joints_m = np.asarray(joints_m, dtype=np.float64)
    heading = sk.pelvis_heading(joints_m)
    # into the synthetic runner's frame: running along +x, left = +y, z up
    c, s_ = heading
    to_local = np.array([[c, s_, 0.0], [-s_, c, 0.0], [0.0, 0.0, 1.0]])
    local = joints_m @ to_local.T
    bones = sk.bone_lengths(joints_m)
    leg = np.concatenate([bones[f'{s}_hip-{s}_knee'] + bones[f'{s}_knee-{s}_ankle']
                          for s in ('left', 'right')])
    if not np.isfinite(leg).any():
        raise ValueError('model_upper_body needs hips, knees and ankles in some frame')
    height = float(np.nanmedian(leg)) / (SEGMENTS['thigh'] + SEGMENTS['shank'])
    p = RunnerParams(**{**(vars(params) if params else {}), 'height_m': height})
    thigh_angle = {}
    for side in ('left', 'right'):
        thigh = local[:, idx[f'{side}_knee']] - local[:, idx[f'{side}_hip']]
        thigh_angle[side] = np.arctan2(thigh[:, 0], -thigh[:, 2])
    modelled = np.full_like(local, np.nan)
    _upper_body(modelled, idx, local[:, idx['root']], thigh_angle, p, height)
    out = joints_m.copy()
    for name in UPPER_BODY:
        j = idx[name]
        fill = ~np.isfinite(out[:, j]).all(axis=-1)
        out[fill, j] = modelled[fill, j] @ to_local  # back to the world frame
    return out


def sample_runner_params(rng: np.random.Generator, treadmill: Optional[bool] = None) -> RunnerParams:
    """Random runner for training augmentation: height 1.50-2.00 m with each segment's
    proportion varied (SD 5 %), 2.5-7 m/s, cadence rising with speed, the ground covered
    in a contact growing slowly with speed and leg length (so the duty factor falls with
    speed), all strike patterns."""
    speed = rng.uniform(2.5, 7.0)
    height = rng.uniform(1.5, 2.0)
    cadence = float(np.clip(150 + 7.0 * speed + rng.normal(0, 6), 150, 215))
    # the ground covered during a contact grows slowly with speed and with leg length
    # (about 0.75 m at 2.5 m/s to 1 m at 7 m/s for a 1.75 m runner)
    stance_m = (height / 1.75) * (0.62 + 0.055 * speed) * rng.normal(1.0, 0.05)
    duty = float(np.clip(stance_m / speed * cadence / 120, 0.2, 0.45))
    return RunnerParams(
        height_m=height,
        speed_mps=speed,
        cadence_spm=cadence,
        duty_factor=duty,
        strike=str(rng.choice(['rearfoot', 'midfoot', 'forefoot'], p=[0.6, 0.25, 0.15])),
        knee_contact_deg=rng.uniform(12, 24),
        knee_toe_off_deg=rng.uniform(14, 26),
        trunk_lean_deg=rng.uniform(2, 14),
        step_width_m=rng.uniform(0.0, 0.12),
        arm_swing_gain=rng.uniform(0.4, 0.9),
        elbow_flexion_deg=rng.uniform(65, 100),
        touchdown_forward_fraction=rng.uniform(0.35, 0.95),
        treadmill=bool(rng.random() < 0.3) if treadmill is None else treadmill,
        # segment proportions differ between people by about 5 % (SD)
        proportions={name: float(np.clip(rng.normal(1.0, 0.05), 0.85, 1.15))
                     for name in SEGMENTS},
    )

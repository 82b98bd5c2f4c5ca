"""A kinematic synthetic runner: 19-keypoint 3D running with exactly known foot contacts.

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
- Stance: the foot is a rigid heel-ankle-forefoot triangle that rolls over the ground
  with the heel (pitch > 0) or forefoot (pitch <= 0) as the fixed pivot, so the contact
  point never slides. Foot pitch follows the strike pattern: rearfoot lands toes-up
  (+15 deg), midfoot flat, forefoot toes-down (-12 deg); all leave at -40 deg. The ankle
  lands ahead of the hip by a fraction of the stance distance (overstride).
- Knee flexion in stance follows published running curves (Novacheck 1998, Gait Posture
  7:77): about 18 deg at contact, a peak of about 45 deg near mid-stance, about 20 deg at
  toe-off. The hip height in stance is what that knee angle and the rolling foot imply
  (two-link inverse kinematics), so the stance foot stays exactly on the ground.
- Flight: the pelvis follows a ballistic parabola (gravity 9.81 m/s^2) between toe-off
  of one foot and initial contact of the other. (The pelvis height is kinematic: it
  follows the stance legs exactly and has velocity kinks at contacts that a real body,
  which gravity alone pulls down, does not have.)
- Swing: the ankle follows a cubic spline relative to the hip through the toe-off
  position, a heel-recovery point behind and above (higher when faster), a forward
  reach point, and the next contact position, landing with a downward speed
  (``touchdown_speed_mps``, about 0.5-1 m/s at the heel in running); the knee comes from
  inverse kinematics.
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
    overstride_fraction: float = 0.38
    knee_contact_deg: float = 18.0
    knee_stance_peak_deg: float = 45.0
    knee_toe_off_deg: float = 20.0
    trunk_lean_deg: float = 8.0
    step_width_m: float = 0.08
    arm_swing_gain: float = 0.7
    elbow_flexion_deg: float = 80.0
    touchdown_speed_mps: float = 0.6
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


def _knee_flexion_stance(s, p: RunnerParams):
    """Knee flexion (rad) over stance phase s in [0, 1]: contact -> peak at 0.45 -> toe-off."""
    rise = p.knee_contact_deg + (p.knee_stance_peak_deg - p.knee_contact_deg) * \
        np.sin(0.5 * np.pi * np.clip(s / 0.45, 0, 1))
    fall = p.knee_toe_off_deg + (p.knee_stance_peak_deg - p.knee_toe_off_deg) * \
        np.cos(0.5 * np.pi * np.clip((s - 0.45) / 0.55, 0, 1))
    return np.deg2rad(np.where(s <= 0.45, rise, fall))


def _foot_pitch_stance(s, p: RunnerParams):
    """Foot pitch (rad) over stance: strike pitch -> flat -> heel rise to -40 deg."""
    strike = _STRIKE_PITCH_DEG[p.strike]
    settle = 0.15 if strike >= 0 else 0.25
    heel_off = 0.55
    pitch = strike * (1 - _smoothstep(s / settle)) + \
        -40.0 * _smoothstep((s - heel_off) / (1 - heel_off))
    return np.deg2rad(pitch)


class _Foot:
    """Rigid sagittal foot: heel, ankle and forefoot points relative to the ankle."""

    def __init__(self, height_m, foot, ankle_height):
        self.ankle_height = ankle_height
        self.heel = np.array([-0.2 * foot, -self.ankle_height])
        self.forefoot_height = 0.012 * height_m
        # heel at the back of the foot, toe tip one foot length ahead of it; the
        # forefoot where runningpose19 defines it along that line
        fraction = runningpose19().forefoot_fraction
        self.forefoot = np.array([(fraction - 0.2) * foot,
                                  self.forefoot_height - self.ankle_height])

    def stance_ankle(self, flat_ankle_x, pitch):
        """Ankle (x, z) of a foot rolling about heel (pitch > 0) or forefoot (pitch <= 0),
        whose flat position has the ankle at ``flat_ankle_x``."""
        pitch = np.asarray(pitch, dtype=np.float64)
        pivot_rel = np.where(pitch[:, None] > 0, self.heel, self.forefoot)  # (N, 2)
        pivot = np.array([flat_ankle_x, self.ankle_height]) + pivot_rel
        ankle_rel = -pivot_rel
        return pivot + np.einsum('nij,nj->ni', _rot(pitch), ankle_rel)


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

    # stance of every contact: flat-foot ankle x, and the hip height it implies
    overstride = p.overstride_fraction * v * tc
    ns = 41
    s_grid = np.linspace(0, 1, ns)
    pitch_stance = _foot_pitch_stance(s_grid, p)
    knee_stance = _knee_flexion_stance(s_grid, p)
    leg_len = np.sqrt(thigh**2 + shank**2 + 2 * thigh * shank * np.cos(knee_stance))
    stance_hip_z = []  # (time grid, hip z) per contact, all sides
    stance = {}
    for side, cs in contacts.items():
        stance[side] = []
        for ic, to in cs:
            # ankle ahead of the hip by `overstride` at contact
            ankle0 = foot.stance_ankle(0.0, pitch_stance[:1])[0]
            flat_x = v * ic + overstride - ankle0[0]
            ankle = foot.stance_ankle(flat_x, pitch_stance)  # (ns, 2)
            times = ic + s_grid * tc
            dx = ankle[:, 0] - v * times
            horizontal = np.sqrt(dx**2 + lateral_offset**2)
            d = np.maximum(leg_len, horizontal + 1e-3)
            if np.any(horizontal >= thigh + shank):
                raise ValueError(f'runner parameters are infeasible: the stance foot is '
                                 f'{np.abs(dx).max():.2f} m from the hip, the leg is '
                                 f'{thigh + shank:.2f} m (lower speed x contact time or '
                                 'overstride)')
            hip_z = ankle[:, 1] + np.sqrt(d**2 - horizontal**2)
            stance[side].append((times, ankle, flat_x))
            stance_hip_z.append((times, hip_z))

    # pelvis height: stance from IK, flight ballistic between consecutive stances
    stance_hip_z.sort(key=lambda item: item[0][0])
    knots_t, knots_z = [], []
    for i, (times, hip_z) in enumerate(stance_hip_z):
        knots_t.append(times)
        knots_z.append(hip_z)
        if i + 1 < len(stance_hip_z):
            t_a, z_a = times[-1], hip_z[-1]
            t_b, z_b = stance_hip_z[i + 1][0][0], stance_hip_z[i + 1][1][0]
            tf = np.linspace(t_a, t_b, 12)[1:-1]
            tau, T = tf - t_a, t_b - t_a
            knots_t.append(tf)
            knots_z.append(z_a + (z_b - z_a) * tau / T + 0.5 * GRAVITY * tau * (T - tau))
    root_z = np.interp(t, np.concatenate(knots_t), np.concatenate(knots_z))
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
    via_t = np.array([t_to, t_to + 0.3 * T, t_to + 0.75 * T, t_ic])
    via_x = np.array([start[0], start[0] + 0.12 * H, end[0] + 0.06 * H, end[0]])
    via_z = np.array([start[1], recovery_height, end[1] + 0.06 * H, end[1]])
    # ankle velocity relative to the hip: stance ankle moves back at ~-v when it leaves
    # and arrives moving back slowly (swing retraction)
    vel_to = (ankle_a[-1] - ankle_a[-2]) / (times_a[-1] - times_a[-2]) - [v, 0.0]
    # the foot lands moving down (heel touchdown speed; stance then starts at rest)
    vel_ic = (ankle_b[1] - ankle_b[0]) / (times_b[1] - times_b[0]) - \
        [v, p.touchdown_speed_mps]
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


def sample_runner_params(rng: np.random.Generator, treadmill: Optional[bool] = None) -> RunnerParams:
    """Random runner for training augmentation: height 1.50-2.00 m with each segment's
    proportion varied (SD 5 %), 2.5-7 m/s, cadence rising with speed, duty factor falling
    with speed, all strike patterns."""
    speed = rng.uniform(2.5, 7.0)
    cadence = float(np.clip(150 + 7.0 * speed + rng.normal(0, 6), 150, 215))
    duty = float(np.clip(0.42 - 0.022 * speed + rng.normal(0, 0.02), 0.22, 0.45))
    return RunnerParams(
        height_m=rng.uniform(1.5, 2.0),
        speed_mps=speed,
        cadence_spm=cadence,
        duty_factor=duty,
        strike=str(rng.choice(['rearfoot', 'midfoot', 'forefoot'], p=[0.6, 0.25, 0.15])),
        overstride_fraction=rng.uniform(0.32, 0.45),
        knee_contact_deg=rng.uniform(12, 24),
        knee_stance_peak_deg=rng.uniform(38, 50),
        knee_toe_off_deg=rng.uniform(14, 26),
        trunk_lean_deg=rng.uniform(2, 14),
        step_width_m=rng.uniform(0.0, 0.12),
        arm_swing_gain=rng.uniform(0.4, 0.9),
        elbow_flexion_deg=rng.uniform(65, 100),
        treadmill=bool(rng.random() < 0.3) if treadmill is None else treadmill,
        # segment proportions differ between people by about 5 % (SD)
        proportions={name: float(np.clip(rng.normal(1.0, 0.05), 0.85, 1.15))
                     for name in SEGMENTS},
    )

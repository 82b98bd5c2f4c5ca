"""The synthetic runner: exact contacts, rigid segments, running-like kinematics."""
import numpy as np
import pytest

from runningpose_mm.mocap import RunnerParams, sample_runner_params, synthesize_run
from runningpose_mm.skeleton import runningpose19

SK = runningpose19()


def _angle_deg(a, b, c):
    u, v = a - b, c - b
    cos = np.sum(u * v, -1) / np.linalg.norm(u, axis=-1) / np.linalg.norm(v, axis=-1)
    return np.degrees(np.arccos(np.clip(cos, -1, 1)))


@pytest.mark.parametrize('rate_hz', [25.0, 60.0, 240.0])
@pytest.mark.parametrize('speed, cadence, duty', [(2.5, 160, 0.42), (4.0, 176, 0.33),
                                                  (6.5, 196, 0.26)])
def test_contacts_follow_cadence_and_duty_factor(rate_hz, speed, cadence, duty):
    run = synthesize_run(RunnerParams(speed_mps=speed, cadence_spm=cadence,
                                      duty_factor=duty), duration_s=4.0, rate_hz=rate_hz)
    assert run.joints_m.shape == (int(4.0 * rate_hz), 19, 3)
    assert np.isfinite(run.joints_m).all()
    stride = 120.0 / cadence
    for side in ('left', 'right'):
        c = run.contacts_s[side]
        assert len(c) >= 4
        np.testing.assert_allclose(np.diff(c[:, 0]), stride, atol=1e-9)
        np.testing.assert_allclose(c[:, 1] - c[:, 0], duty * stride, atol=1e-9)
    # left contacts half a stride after right ones: alternating steps with flight
    assert abs((run.contacts_s['left'][0, 0] - run.contacts_s['right'][0, 0]) % stride
               - stride / 2) < 1e-9


def test_stance_foot_rolls_without_sliding_and_swing_foot_lifts():
    p = RunnerParams(strike='forefoot', speed_mps=4.0)
    run = synthesize_run(p, duration_s=3.0, rate_hz=500)
    t = run.times_s
    for side in ('left', 'right'):
        fore = run.joints_m[:, SK.index(f'{side}_forefoot')]
        ankle = run.joints_m[:, SK.index(f'{side}_ankle')]
        stance = np.zeros(len(t), bool)
        for ic, to in run.contacts_s[side]:
            inside = (t >= ic) & (t <= to)
            stance |= inside
            # forefoot strike: the forefoot stays planted (no sliding) until the foot
            # rolls onto the toes in the last part of the push-off ...
            planted = inside & (t <= ic + 0.7 * (to - ic))
            assert np.ptp(fore[planted, 0]) < 1e-6 and np.ptp(fore[planted, 2]) < 1e-6
            # ... then it lifts a little while the toes are still down (Hamner's treadmill
            # runner: 1.2-1.8 cm at the force plates' toe-off) ...
            assert 0.01 < fore[inside, 2].max() - fore[planted, 2].min() < 0.025
            # ... and the ankle, rolled over the forefoot and toes, has moved forward over
            # the ground and risen (Hamner: 16-18 cm and about 9 cm)
            moved = ankle[inside][-1] - ankle[inside][0]
            assert 0.08 < moved[0] < 0.20 and 0.07 < moved[2] < 0.15
        assert ankle[~stance, 2].max() > 0.25  # swing: the foot comes up behind
        assert fore[stance, 2].max() < fore[~stance, 2].max()


@pytest.mark.parametrize('speed, cadence, duty', [(2.5, 160, 0.42), (4.0, 176, 0.33),
                                                  (6.5, 196, 0.26)])
def test_pelvis_moves_like_a_body_under_gravity(speed, cadence, duty):
    """The ground pushes and never pulls: the pelvis never falls faster than gravity lets
    it, falls freely in flight, and its velocity has no jumps."""
    rate = 1000.0
    run = synthesize_run(RunnerParams(speed_mps=speed, cadence_spm=cadence,
                                      duty_factor=duty), duration_s=2.0, rate_hz=rate)
    z = run.joints_m[:, SK.index('root'), 2]
    t = run.times_s
    velocity = np.diff(z) * rate
    accel = np.diff(z, 2) * rate**2
    assert accel.min() > -9.81 * 1.01
    assert np.abs(np.diff(velocity)).max() < 9.81 * 3 / rate  # no kink (was 0.6 m/s)
    flight = np.ones(len(t), bool)
    for c in run.contacts_s.values():
        for ic, to in c:
            flight &= ~((t >= ic - 2 / rate) & (t <= to + 2 / rate))
    flight &= (t > run.contacts_s['right'][0, 0]) & (t < run.contacts_s['right'][-1, 1])
    np.testing.assert_allclose(accel[flight[1:-1]], -9.81, atol=0.05)
    # a running pelvis rises and falls by 3-10 cm per step
    assert 0.03 < np.ptp(z[t > 0.5]) < 0.10


def test_segments_are_rigid_and_knee_angles_are_running_like(rng):
    for _ in range(10):
        p = sample_runner_params(rng)
        run = synthesize_run(p, duration_s=2.5, rate_hz=100)
        for name, length in SK.bone_lengths(run.joints_m).items():
            assert np.ptp(length) < 1e-6 * max(1, length.mean()), name
        knee = 180 - _angle_deg(*(run.joints_m[:, SK.index(f'right_{j}')]
                                  for j in ('hip', 'knee', 'ankle')))
        t = run.times_s
        ic = run.contacts_s['right'][:, 0]
        at_contact = np.interp(ic, t, knee)
        assert np.all((at_contact > 5) & (at_contact < 35))
        assert 30 < knee.max() < 170


def test_treadmill_removes_forward_progression():
    over = synthesize_run(RunnerParams(treadmill=False), duration_s=2.0, rate_hz=100)
    tread = synthesize_run(RunnerParams(treadmill=True), duration_s=2.0, rate_hz=100)
    assert np.ptp(over.joints_m[:, 0, 0]) > 6.0   # 3.5 m/s for 2 s
    assert np.ptp(tread.joints_m[:, 0, 0]) < 1e-9
    np.testing.assert_allclose(over.contacts_s['left'], tread.contacts_s['left'])


def test_infeasible_or_non_running_parameters_are_refused():
    with pytest.raises(ValueError, match='flight phase'):
        synthesize_run(RunnerParams(duty_factor=0.6))
    with pytest.raises(ValueError, match='touchdown_forward_fraction'):
        synthesize_run(RunnerParams(touchdown_forward_fraction=1.5))
    with pytest.raises(ValueError, match='infeasible'):
        synthesize_run(RunnerParams(speed_mps=11, cadence_spm=110, duty_factor=0.45))


def test_modelled_upper_body_is_the_synthetic_runners_own_in_any_direction():
    """``model_upper_body`` on measured legs: given a synthetic runner's legs alone,
    running in another direction, it rebuilds that runner's trunk, head and arms exactly
    (the same model, driven by the same thighs; body height from the legs); joints the
    input has are never changed."""
    from runningpose_mm.mocap import model_upper_body
    from runningpose_mm.mocap.synthetic import UPPER_BODY
    run = synthesize_run(RunnerParams(height_m=1.68, arm_swing_gain=0.9), 3.0, 50.0)
    upper = [SK.index(n) for n in UPPER_BODY]
    legs = run.joints_m.copy()
    legs[:, upper] = np.nan
    turn = np.radians(125.0)  # running along (-0.57, 0.82) instead of +x
    rot = np.array([[np.cos(turn), -np.sin(turn), 0], [np.sin(turn), np.cos(turn), 0],
                    [0, 0, 1]])
    filled = model_upper_body(legs @ rot.T, RunnerParams(arm_swing_gain=0.9)) @ rot
    np.testing.assert_allclose(filled, run.joints_m, atol=1e-9)
    # another arm carriage gives other arms: the parameters are used
    other = model_upper_body(legs, RunnerParams(arm_swing_gain=0.3))
    assert np.abs(other[:, SK.index('left_wrist')] - run.joints_m[:, SK.index('left_wrist')]
                  ).max() > 0.1
    # a measured joint stays as measured; a frame without a knee has no modelled arm
    partial = legs.copy()
    partial[:, SK.index('head')] = run.joints_m[:, SK.index('head')] + [0, 0, 0.05]
    partial[10, SK.index('left_knee')] = np.nan
    out = model_upper_body(partial)
    np.testing.assert_array_equal(out[:, SK.index('head')], partial[:, SK.index('head')])
    assert np.isnan(out[10, SK.index('left_elbow')]).all()
    assert np.isfinite(out[11, SK.index('left_elbow')]).all()
    no_knees = legs.copy()
    no_knees[:, [SK.index('left_knee'), SK.index('right_knee')]] = np.nan
    with pytest.raises(ValueError, match='needs hips, knees and ankles'):
        model_upper_body(no_knees)

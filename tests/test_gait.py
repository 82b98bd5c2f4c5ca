"""Gait events and measures: synthetic runner (exact events), force plates, bad input."""
import json
import warnings

import numpy as np
import pytest

from runningpose_mm.gait import (GaitInputError, analyse_gait, detect_foot_events,
                                 match_events, write_report)
from runningpose_mm.mocap import (MarkerMap, RunnerParams, contacts_from_grf,
                                  joints_from_markers, read_markers, synthesize_run)
from runningpose_mm.skeleton import runningpose19

from conftest import shared_file

SK = runningpose19()


def _event_errors_ms(run, events):
    ic, to = [], []
    end = (events.num_frames - 1) / events.rate_hz
    for side in ('left', 'right'):
        truth, found = run.contacts_s[side], events.feet[side].contacts_s
        # a contact ending within a few frames of the end cannot be closed: partial
        truth = truth[truth[:, 1] < end - 3 / events.rate_hz]
        pairs = match_events(found[:, 0], truth[:, 0])
        assert len(pairs) == len(truth)  # every true contact found
        ic += list(pairs[:, 1] - pairs[:, 0])
        pairs = match_events(found[:, 1], truth[:, 1])
        to += list(pairs[:, 1] - pairs[:, 0])
    return 1000 * np.abs(ic), 1000 * np.abs(to)


@pytest.mark.parametrize('rate_hz', [25.0, 50.0, 120.0, 250.0])
@pytest.mark.parametrize('params', [
    RunnerParams(speed_mps=2.8, cadence_spm=164, duty_factor=0.40, strike='rearfoot'),
    RunnerParams(speed_mps=4.5, cadence_spm=180, duty_factor=0.32, strike='midfoot',
                 treadmill=True),
    RunnerParams(speed_mps=6.5, cadence_spm=196, duty_factor=0.26, strike='forefoot'),
], ids=['rearfoot-2.8', 'midfoot-4.5-treadmill', 'forefoot-6.5'])
def test_events_match_the_synthetic_runner(rate_hz, params):
    run = synthesize_run(params, duration_s=4.0, rate_hz=rate_hz)
    events = detect_foot_events(run.joints_m, rate_hz)
    ic, to = _event_errors_ms(run, events)
    frame_ms = 1000 / rate_hz
    # mean absolute errors (ms); see the closing notes for the measured table
    assert np.mean(ic) < max(20, frame_ms) and np.mean(to) < max(30, frame_ms)
    analysis = analyse_gait(run.joints_m, rate_hz)
    s = analysis.summary
    # two frames of timing error over the ~3 s span of contacts
    assert abs(s['cadence_spm'] / params.cadence_spm - 1) < max(0.015, 2 / rate_hz / 3.0)
    assert abs(s['contact_time_s']['mean'] - params.contact_time_s) < 0.035
    assert s['foot_strike_left'] == params.strike
    assert s['duty_factor']['mean'] < 0.5


@pytest.mark.parametrize('rate_hz', [50.0, 250.0])
@pytest.mark.parametrize('params, contact_ms', [
    (RunnerParams(speed_mps=2.8, cadence_spm=164, duty_factor=0.40, strike='rearfoot'), 25),
    (RunnerParams(speed_mps=4.5, cadence_spm=180, duty_factor=0.32, strike='midfoot',
                  treadmill=True), 12),
    (RunnerParams(speed_mps=6.5, cadence_spm=196, duty_factor=0.26, strike='forefoot'), 12),
], ids=['rearfoot-2.8', 'midfoot-4.5-treadmill', 'forefoot-6.5'])
def test_pelvis_relative_events_match_the_synthetic_runner(rate_hz, params, contact_ms):
    """What a lifter without a root trajectory gives: the ground is rebuilt, contacts are
    as well timed as in the world frame (measured: initial contact 2-6 ms, contact time
    4-8 ms; 14-19 ms for the slow rearfoot runner, whose long roll onto the toes ends
    late over a rebuilt ground)."""
    run = synthesize_run(params, duration_s=4.0, rate_hz=rate_hz)
    events = detect_foot_events(run.joints_m - run.joints_m[:, :1], rate_hz)
    assert events.frame == 'pelvis'
    ic, contact, truth_count = [], [], 0
    for side in ('left', 'right'):
        found = events.feet[side].contacts_s
        truth = run.contacts_s[side]
        truth = truth[(truth[:, 1] < 3.9) & (truth[:, 0] > 0.01)]  # wholly in the frames
        truth_count += len(truth)
        for a, b in truth:
            j = int(np.argmin(np.abs(found[:, 0] - a)))
            if abs(found[j, 0] - a) < 0.1:
                ic.append(found[j, 0] - a)
                contact.append((found[j, 1] - found[j, 0]) - (b - a))
    # every contact, also one landing in the first frames (the rebuilt ground has nothing
    # before them: it is told from the foot slowing over the ground)
    assert len(ic) == truth_count
    assert 1000 * np.mean(np.abs(ic)) < 8
    assert 1000 * np.mean(np.abs(contact)) < contact_ms
    summary = analyse_gait(run.joints_m - run.joints_m[:, :1], rate_hz).summary
    assert summary['cadence_spm'] == pytest.approx(params.cadence_spm, abs=1.0)


@pytest.mark.parametrize('speed, cadence, duty', [(4.5, 180, 0.30), (6.5, 196, 0.26)])
def test_rebuilt_ground_follows_the_pelvis(speed, cadence, duty):
    """Relative to the pelvis the ground rises and falls 5-8 cm a step; rebuilt from the
    feet (highest curve under them, falling freely in flight) it is within about 1 cm.
    Without the free fall in flight it followed the swinging feet up: 2.5-3 cm RMS."""
    from runningpose_mm.gait.events import ground_height
    run = synthesize_run(RunnerParams(speed_mps=speed, cadence_spm=cadence,
                                      duty_factor=duty), 4.0, 50.0)
    ground = ground_height(run.joints_m - run.joints_m[:, :1], 50.0)
    error = ground + run.joints_m[:, SK.index('root'), 2]  # true ground: -pelvis height
    error -= np.median(error)
    assert np.ptp(run.joints_m[:, SK.index('root'), 2]) > 0.05
    assert np.sqrt(np.mean(error**2)) < 0.015


def test_measures_against_the_model_definition():
    p = RunnerParams(speed_mps=4.0, cadence_spm=176, trunk_lean_deg=9.0, knee_contact_deg=18)
    analysis = analyse_gait(synthesize_run(p, 5.0, 200).joints_m, 200)
    s = analysis.summary
    assert abs(s['speed_mps']['mean'] - 4.0) < 0.02
    assert abs(s['step_length_m']['mean'] - 4.0 * 60 / 176) < 0.02
    assert abs(s['trunk_lean_deg']['mean'] - 9.0) < 0.5
    assert abs(s['knee_flexion_at_contact_deg']['mean'] - 18) < 5
    # the stance knee bends as far as the pelvis' fall under gravity asks (Hamner's
    # treadmill runner at 3 m/s: hip-ankle distance 0.85 m at contact, 0.78 m mid-stance)
    assert 35 < s['knee_flexion_peak_stance_deg']['mean'] < 60
    assert 0.1 < s['overstride_m']['mean'] < 0.5
    assert 45 < s['contact_time_balance_left_pct'] < 55
    treadmill = analyse_gait(synthesize_run(RunnerParams(treadmill=True), 4.0, 100).joints_m,
                             100)
    assert 'speed_mps' in treadmill.unavailable and 'speed_mps' not in treadmill.summary


def test_lifted_3d_with_a_trajectory_keeps_it_but_times_events_pelvis_relative():
    """events_frame='pelvis': contacts from the pelvis-relative joints (lifted feet are too
    noisy for heights over a fixed floor), while the trajectory still gives speed and
    step length."""
    p = RunnerParams(speed_mps=4.0, cadence_spm=176)
    run = synthesize_run(p, 4.0, 50)
    pelvis = analyse_gait(run.joints_m, 50, events_frame='pelvis')
    world = analyse_gait(run.joints_m, 50)
    assert pelvis.events.frame == 'pelvis' and world.events.frame == 'world'
    assert abs(pelvis.summary['speed_mps']['mean'] - 4.0) < 0.05
    assert abs(pelvis.summary['cadence_spm'] - 176) < 1
    for side, truth in run.contacts_s.items():
        found = pelvis.events.feet[side].contacts_s
        for ic, to in truth[(truth[:, 0] > 0.1) & (truth[:, 1] < 3.9)]:
            k = np.argmin(np.abs(found[:, 0] - ic))
            assert abs(found[k, 0] - ic) < 0.02 and abs(found[k, 1] - to) < 0.02
    with pytest.raises(ValueError, match='events_frame'):
        analyse_gait(run.joints_m, 50, events_frame='camera')


def test_hamner_force_plate_contacts():
    trc = shared_file('hamner2013_subject04', 'run300_markers.trc')
    truth = contacts_from_grf(shared_file('hamner2013_subject04', 'run300_grf.mot'))
    markers = read_markers(trc)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        joints = joints_from_markers(markers, MarkerMap.load('hamner_opensim'))
    analysis = analyse_gait(joints.joints_m, joints.rate_hz)
    pelvis = analyse_gait(joints.joints_m - joints.joints_m[:, :1], joints.rate_hz)
    assert pelvis.events.frame == 'pelvis' and analysis.events.frame == 'world'
    start = markers.metadata['start_time_s']
    contact_errors = {}
    for name, result in (('world', analysis), ('pelvis', pelvis)):
        errors = []
        for side in ('left', 'right'):
            found = result.events.feet[side].contacts_s
            ref = truth.contacts_s[side] - start
            ic = match_events(found[:, 0], ref[:, 0], tolerance_s=0.15)
            to = match_events(found[:, 1], ref[:, 1])
            assert len(ic) >= 2 and len(to) >= 2
            # toe-off within 20 ms of the force plates in both frames
            assert np.mean(np.abs(to[:, 1] - to[:, 0])) < 0.02
            errors.append(np.mean(ic[:, 1] - ic[:, 0]))
        contact_errors[name] = errors
    # both frames time the landing where the foot stops moving over the ground, within
    # 25 ms (by height alone the ankle of this rearfoot striker, from heel and toe
    # markers, is still high when the heel lands: 30-60 ms late)
    assert all(abs(e) < 0.025 for e in contact_errors['world'])
    assert all(abs(e) < 0.025 for e in contact_errors['pelvis'])
    # force plates: 3 m/s, about 0.29 s contacts at ~160 steps/min; cadence over the
    # steps seen within 1.5 steps/min of the force plates' in both frames (a contact at
    # the very end, whose foot has not yet stopped over the ground, times no step)
    ics = np.sort(np.concatenate([c[:, 0] for c in truth.contacts_s.values()]))
    cadence = 60 * (len(ics) - 1) / (ics[-1] - ics[0])
    assert 150 < cadence < 170
    assert analysis.summary['cadence_spm'] == pytest.approx(cadence, abs=1.5)
    assert pelvis.summary['cadence_spm'] == pytest.approx(cadence, abs=1.5)
    assert 'knee_flexion_at_contact_deg' in analysis.unavailable


def test_sprint_start_block_phase_makes_no_steps():
    """In the blocks both feet push together: running has no double support, so those
    contacts time no step (pelvis-relative, the blocks are ground like any other)."""
    path = shared_file('qualisys_tindra', 'Tindra2.txt')
    joints = joints_from_markers(read_markers(path, rate_hz=170.0),
                                 MarkerMap.load('runningpose_qualisys45'))
    world = analyse_gait(joints.joints_m, joints.rate_hz)
    pelvis = analyse_gait(joints.joints_m - joints.joints_m[:, :1], joints.rate_hz)
    blocks = [s for s in pelvis.steps
              if s['unmeasured'].get('step_time_s', '').startswith('both feet')]
    assert len(blocks) >= 1 and all(s['ic_s'] < 2.0 for s in blocks)
    measured = [s['step_time_s'] for s in pelvis.steps if np.isfinite(s['step_time_s'])]
    assert 0.2 < min(measured) and max(measured) < 0.35  # sprint steps, none from blocks
    assert pelvis.summary['cadence_spm'] == pytest.approx(world.summary['cadence_spm'],
                                                          abs=6.0)


def test_report_files(tmp_path):
    run = synthesize_run(RunnerParams(), 3.0, 100)
    analysis = analyse_gait(run.joints_m, 100)
    paths = write_report(analysis, run.joints_m, 100, str(tmp_path), source='synthetic')
    data = json.load(open(paths['json']))
    assert data['summary']['cadence_spm'] == pytest.approx(172, abs=1)
    assert len(open(paths['csv']).read().splitlines()) == len(analysis.steps) + 1
    page = open(paths['html']).read()
    assert 'Ground contact time' in page and page.count('data:image/png;base64') == 3
    import matplotlib.image as mpimg
    assert mpimg.imread(paths['angles']).std() > 0.01


def test_cycle_curves_give_the_foot_angle_the_steps_report():
    """The report's foot curve is the foot's angle from flat (its mid-stance pitch), the
    quantity of ``foot_angle_at_contact_deg``: a source whose foot points sit elsewhere
    on the foot (another pitch when flat) draws the same curve."""
    from runningpose_mm.gait.metrics import sagittal_angles
    from runningpose_mm.gait.report import cycle_curves
    run = synthesize_run(RunnerParams(strike='rearfoot'), 4.0, 100)
    analysis = analyse_gait(run.joints_m, 100)
    curves = cycle_curves(run.joints_m, 100, analysis)
    for side in ('left', 'right'):
        foot = curves['foot_angle'][side]
        assert len(foot) >= 2
        at_contact = [s['foot_angle_at_contact_deg'] for s in analysis.steps
                      if s['side'] == side]
        assert np.mean(foot[:, 0]) == pytest.approx(np.nanmean(at_contact), abs=1.5)
        assert np.mean(foot[:, 0]) > 8  # a rearfoot strike: toes up at contact
        toe_off = np.mean(curves['toe_off_pct'][side])
        mid = foot[:, int(toe_off / 3):int(2 * toe_off / 3) + 1]
        assert np.abs(np.median(mid, axis=1)).max() < 1.5  # flat in mid-stance
    # a forefoot point 3 cm higher on the foot (another marker set): the ankle -> forefoot
    # line is pitched 12 deg more toes-up throughout, the curve stays
    forward = np.asarray(analysis.extras['forward'], float)
    axis = np.cross(forward, [0.0, 0.0, 1.0])
    axis /= np.linalg.norm(axis)
    theta = np.radians(12.0)
    higher = run.joints_m.copy()
    for side in ('left', 'right'):
        ankle, fore = SK.index(f'{side}_ankle'), SK.index(f'{side}_forefoot')
        v = higher[:, fore] - higher[:, ankle]
        # Rodrigues: v turned by theta about the lateral axis (toes up)
        v = v * np.cos(theta) + np.cross(axis, v) * np.sin(theta) + \
            np.outer(v @ axis, axis) * (1 - np.cos(theta))
        higher[:, fore] = higher[:, ankle] + v
    moved_analysis = analyse_gait(higher, 100)
    moved = cycle_curves(higher, 100, moved_analysis)
    turned = sagittal_angles(higher, 'left', forward)['foot_pitch'] - \
        sagittal_angles(run.joints_m, 'left', forward)['foot_pitch']
    assert np.nanmedian(turned) == pytest.approx(12.0, abs=0.5)
    for side in ('left', 'right'):
        n = min(len(moved['foot_angle'][side]), len(curves['foot_angle'][side]))
        assert np.abs(moved['foot_angle'][side][:n].mean(axis=0) -
                      curves['foot_angle'][side][:n].mean(axis=0)).max() < 2


def test_too_short_for_a_stride_is_partial_not_fabricated():
    run = synthesize_run(RunnerParams(), 0.45, 100)
    analysis = analyse_gait(run.joints_m, 100)
    assert analysis.partial
    assert 'stride_time_s' not in analysis.summary
    assert any('partial' in w for w in analysis.warnings)
    # a cadence from one step is printed with what it rests on
    run = synthesize_run(RunnerParams(), 0.8, 100)
    analysis = analyse_gait(run.joints_m, 100)
    assert analysis.summary['step_time_s']['n'] < 3
    assert 'too few to trust' in analysis.format_summary().splitlines()[0]
    full = analyse_gait(synthesize_run(RunnerParams(), 4.0, 100).joints_m, 100)
    assert 'too few' not in full.format_summary()


def test_standing_person_has_no_contacts():
    run = synthesize_run(RunnerParams(), 0.1, 100)
    standing = np.repeat(run.joints_m[:1], 200, axis=0)
    events = detect_foot_events(standing, 100)
    assert all(len(f.contacts_s) == 0 for f in events.feet.values())
    assert any('standing' in w for w in events.warnings)


def test_missing_feet_and_nan_runs():
    run = synthesize_run(RunnerParams(), 4.0, 100)
    joints = run.joints_m.copy()
    for name in ('left_ankle', 'left_forefoot'):
        joints[:, SK.index(name)] = np.nan
    analysis = analyse_gait(joints, 100)
    assert 'left' not in analysis.events.feet
    assert any('left foot has no ankle or forefoot' in w for w in analysis.warnings)
    joints = run.joints_m.copy()
    joints[:, [SK.index('right_ankle'), SK.index('right_forefoot')]] = np.nan
    joints[:, [SK.index('left_ankle'), SK.index('left_forefoot')]] = np.nan
    with pytest.raises(GaitInputError, match='neither foot'):
        detect_foot_events(joints, 100)
    # a long gap inside a contact: its initial contact is kept (it times the step before
    # the gap), the contact is partial with the reason, the other contacts stay whole
    joints = run.joints_m.copy()
    ic, to = run.contacts_s['right'][1]
    gap = slice(int(ic * 100) + 3, int(ic * 100) + 18)  # 150 ms, longer than any swing
    joints[gap, SK.index('right_ankle')] = np.nan
    joints[gap, SK.index('right_forefoot')] = np.nan
    events = detect_foot_events(joints, 100)
    right = events.feet['right']
    assert any(reason == 'toe-off in missing samples' for *_, reason in right.partial_s)
    assert any(reason == 'initial contact in missing samples' for *_, reason in right.partial_s)
    assert len(right.contacts_s) == len(run.contacts_s['right']) - 1
    assert np.min(np.abs(right.initial_contacts_s - ic)) < 0.02
    assert len(events.gaps_s) == 1
    with pytest.raises(GaitInputError, match=r'\(T, 19, 3\)'):
        detect_foot_events(np.zeros((10, 17, 3)), 100)


def test_report_command_on_camera_frame_3d_and_on_a_video(tmp_path):
    """The lifted output of tools/infer.py (camera frame) and a video go through the same
    command; the camera-frame path recovers the cadence of the runner."""
    import subprocess
    import sys
    import os.path as osp
    from runningpose_mm.mocap.cameras import Camera, look_at
    from conftest import REPO
    p = RunnerParams(treadmill=True, cadence_spm=170)
    run = synthesize_run(p, 4.0, 50)
    cam = Camera('c', look_at([0.5, -5, 1.2], [0, 0, 1.0]), [0.5, -5, 1.2], [1000, 1000],
                 [960, 540], 1920, 1080)
    cam3d = cam.world_to_camera(run.joints_m)
    np.savez(tmp_path / 'lifted.npz', keypoints_3d=cam3d - cam3d[:, :1], fps=50.0,
             root=cam3d[:, 0])
    tool = osp.join(REPO, 'tools', 'gait_report.py')
    out = subprocess.run([sys.executable, tool, str(tmp_path / 'lifted.npz'), '--out',
                          str(tmp_path / 'r')], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    data = json.load(open(tmp_path / 'r' / 'gait.json'))
    assert abs(data['summary']['cadence_spm'] - 170) < 2
    assert data['frame'] == 'pelvis'  # lifted 3D, even with its root trajectory
    from test_inferencer import make_video
    video = make_video(tmp_path / 'clip.mp4', frames=12)
    out = subprocess.run([sys.executable, tool, video, '--out', str(tmp_path / 'v'),
                          '--lifter-config', osp.join(REPO, 'configs', 'runningpose_tcn_27frm.py'),
                          '--lifter-weights', 'random', '--pose2d-weights', 'random',
                          '--det-model', 'whole_image'],
                         capture_output=True, text=True, timeout=300)
    # random weights give no meaningful gait, but the command runs through and reports
    assert out.returncode == 0, out.stderr[-2000:]
    assert osp.isfile(tmp_path / 'v' / 'report.html')


def _step_table(analysis):
    return {round(s['ic_s'], 2): s for s in analysis.steps}


@pytest.mark.parametrize('where', ['contact', 'flight', 'two'])
def test_gaps_never_make_steps(where):
    """Missing samples inside a contact, inside a flight, or two gaps in a row: cadence,
    flight and contact times stay those of the complete clip, no step spans a gap, and
    what could not be measured is named per step."""
    run = synthesize_run(RunnerParams(speed_mps=4.0, cadence_spm=176, duty_factor=0.35),
                         4.0, 100)
    clean = analyse_gait(run.joints_m, 100)
    ic, to = run.contacts_s['right'][2]
    spans = dict(contact=[(ic + 0.08, ic + 0.13)], flight=[(to - 0.02, to + 0.03)],
                 two=[(ic + 0.05, ic + 0.10), (to + 0.03, to + 0.08)])[where]
    joints = run.joints_m.copy()
    for a, b in spans:
        joints[int(round(a * 100)):int(round(b * 100))] = np.nan  # 50 ms each
    gapped = analyse_gait(joints, 100)
    for key in ('contact_time_s', 'flight_time_s', 'step_time_s'):
        assert gapped.summary[key]['mean'] == pytest.approx(clean.summary[key]['mean'],
                                                            abs=0.006), key
        assert gapped.summary[key]['mean'] < 0.4
    assert gapped.summary['cadence_spm'] == pytest.approx(176, abs=1.0)
    # every measured step joins alternating feet with no gap in between
    step_times = [s['step_time_s'] for s in gapped.steps if np.isfinite(s['step_time_s'])]
    assert max(step_times) < 0.36
    if where == 'flight':  # a toe-off in the gap: that step's flight is named unmeasured
        assert any('flight_time_s' in s['unmeasured'] and 'missing samples' in
                   s['unmeasured']['flight_time_s'] for s in gapped.steps)
    # strides for the cycle curves never span a gap
    for side, a, _, b in gapped.extras['strides']:
        assert not gapped.events.gap_between(a, b)


def test_a_missed_contact_does_not_make_a_long_step():
    """Feet must alternate: if one contact of the left foot is lost entirely, the two
    right contacts around it do not make a step."""
    run = synthesize_run(RunnerParams(cadence_spm=170), 4.0, 100)
    clean = analyse_gait(run.joints_m, 100)
    left_ic = float(clean.events.feet['left'].contacts_s[2, 0])
    events = clean.events
    foot = events.feet['left']
    keep = np.abs(foot.contacts_s[:, 0] - left_ic) > 1e-9
    from runningpose_mm.gait import FootEvents
    events.feet['left'] = FootEvents(foot.contacts_s[keep], [], foot.points)
    analysis = analyse_gait(run.joints_m, 100, events=events)
    assert all(s['step_time_s'] < 0.4 for s in analysis.steps if np.isfinite(s['step_time_s']))
    assert any('do not alternate' in s['unmeasured'].get('step_time_s', '')
               for s in analysis.steps)
    assert analysis.summary['cadence_spm'] == pytest.approx(170, abs=1.0)

"""Force files as labs write them: OpenSim R_/L_ and numbered plates, one treadmill plate
under both feet, a sample-counting force table (RBDS), C3D force platforms; and the
marker table and map of the Running Biomechanics Data Set."""
import warnings

import numpy as np
import pytest

from runningpose_mm.mocap import (JointData, MarkerMap, MocapFormatError, contacts_from_grf,
                                  joints_from_markers, read_force_plates, read_markers)
from runningpose_mm.skeleton import runningpose19

from conftest import shared_file

RATE = 200.0
#: two alternating contacts per foot (right first), 0.25 s each
CONTACTS = {'right': [(0.2, 0.45), (0.9, 1.15)], 'left': [(0.55, 0.8), (1.25, 1.5)]}


def _force(t, intervals):
    f = np.zeros_like(t)
    for a, b in intervals:
        inside = (t > a) & (t < b)
        f[inside] = 1500 * np.sin(np.pi * (t[inside] - a) / (b - a))
    return f


def _expected(intervals):
    s = 0.25 * np.arcsin(50 / 1500) / np.pi  # where 1500 sin reaches 50 N
    return np.array([[a + s, b - s] for a, b in intervals])


def _joints(t0=0.0, duration=1.8):
    """Feet that are down during their CONTACTS and 20 cm up otherwise (100 Hz)."""
    sk = runningpose19()
    t = t0 + np.arange(0, duration, 0.01)
    joints = np.zeros((len(t), 19, 3))
    for side, intervals in CONTACTS.items():
        up = np.full(len(t), 0.2)
        for a, b in intervals:
            up[(t >= a) & (t <= b)] = 0.0
        for joint in ('ankle', 'forefoot'):
            joints[:, sk.index(f'{side}_{joint}'), 2] = up + 0.05
    return JointData(joints, np.ones(joints.shape[:2], bool), 100.0, 'feet',
                     start_time_s=t0)


def _mot(path, columns):
    t = np.arange(0, 1.8, 1 / RATE)
    data = [t] + [values(t) for values in columns.values()]
    path.write_text('name grf\nendheader\n' + '\t'.join(['time', *columns]) + '\n' + '\n'.join(
        '\t'.join(f'{v:.4f}' for v in row) for row in np.array(data).T) + '\n')
    return str(path)


def test_each_mot_plate_layout_gives_the_same_contacts(tmp_path):
    both = lambda t: _force(t, CONTACTS['right'] + CONTACTS['left'])  # noqa: E731
    layouts = {
        'sides': {'R_ground_force_vy': lambda t: _force(t, CONTACTS['right']),
                  'L_ground_force_vy': lambda t: _force(t, CONTACTS['left'])},
        # numbered plates, each stepped on by either foot (plate 1 first contacts)
        'numbered': {'ground_force_1_vy': lambda t: _force(t, [CONTACTS['right'][0],
                                                               CONTACTS['left'][0]]),
                     '2_ground_force_vy': lambda t: _force(t, [CONTACTS['right'][1],
                                                               CONTACTS['left'][1]])},
        'treadmill': {'ground_force_vy': both},
    }
    for name, columns in layouts.items():
        path = _mot(tmp_path / f'{name}.mot', columns)
        plates = read_force_plates(path)
        assert len(plates.vertical_n) == len(columns)
        needs_feet = name != 'sides'
        if needs_feet:
            with pytest.raises(MocapFormatError, match='carries either foot; give the trial'):
                contacts_from_grf(path)
        contacts = contacts_from_grf(path, joints=_joints() if needs_feet else None)
        for side in ('left', 'right'):
            np.testing.assert_allclose(contacts.contacts_s[side], _expected(CONTACTS[side]),
                                       atol=3e-3, err_msg=f'{name} {side}')

    # numbered plates with the feet named explicitly: no joints needed
    numbered = str(tmp_path / 'numbered.mot')
    contacts = contacts_from_grf(numbered, plate_sides={'ground_force_1_vy': 'right',
                                                        '2_ground_force_vy': 'left'})
    assert len(contacts.contacts_s['right']) == 2 and len(contacts.contacts_s['left']) == 2
    np.testing.assert_allclose(contacts.contacts_s['right'][0], _expected(CONTACTS['right'])[0],
                               atol=3e-3)  # plate 1's first contact (right)
    with pytest.raises(MocapFormatError, match="no plate 'ground_force_3_vy'"):
        contacts_from_grf(numbered, plate_sides={'ground_force_3_vy': 'left'})
    # the feet on another time axis than the forces: refused, not guessed
    with pytest.raises(MocapFormatError, match='outside the joints. time axis'):
        contacts_from_grf(str(tmp_path / 'treadmill.mot'), joints=_joints(t0=30.0))
    # a plate that never exceeds the threshold: no contacts (and no error)
    quiet = _mot(tmp_path / 'quiet.mot', {'ground_force_vy': lambda t: 0.01 * both(t)})
    assert all(len(c) == 0 for c in contacts_from_grf(quiet, joints=_joints()).contacts_s
               .values())
    with pytest.raises(MocapFormatError, match='no vertical force column'):
        contacts_from_grf(_mot(tmp_path / 'none.mot', {'Fx': both}))


def test_force_table_counting_samples_needs_the_rate(tmp_path):
    t = np.arange(0, 1.8, 1 / 300)
    force = _force(t, CONTACTS['right'] + CONTACTS['left'])
    (tmp_path / 'forces.txt').write_text('Time\tFx\tFy\tFz\n' + '\n'.join(
        f'{k + 1}\t0\t{f:.2f}\t0' for k, f in enumerate(force)) + '\n')
    with pytest.raises(MocapFormatError, match=r'counts samples \(1, 2, ...\); give the '
                                               'sampling rate'):
        contacts_from_grf(str(tmp_path / 'forces.txt'), joints=_joints())
    contacts = contacts_from_grf(str(tmp_path / 'forces.txt'), joints=_joints(), rate_hz=300)
    for side in ('left', 'right'):
        np.testing.assert_allclose(contacts.contacts_s[side], _expected(CONTACTS[side]),
                                   atol=4e-3)


def test_rbds_marker_table_map_and_treadmill_plate():
    """RBDS subject 001 at 2.5 m/s (tables) and 3.5 m/s (C3D with the plate inside):
    every force-plate contact is found, alternating feet, at the data set's contact
    times, and our events agree with them."""
    from runningpose_mm.gait import analyse_gait, compare_with_reference, match_events
    for markers_file, force_file, rate, contact_s in (
            ('RBDS001runT25markers.txt', 'RBDS001runT25forces.txt', 300.0, (0.26, 0.29)),
            ('RBDS001runT35.c3d', 'RBDS001runT35.c3d', None, (0.21, 0.24))):
        markers = read_markers(shared_file('fukuchi2017_rbds001', markers_file))
        assert markers.num_frames == 4500 and abs(markers.rate_hz - 150) < 0.01
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            joints = joints_from_markers(markers, MarkerMap.load('rbds_lowerbody'))
        sk = runningpose19()
        # the ankle estimate stands above the heel and the forefoot on the ground
        for side in ('left', 'right'):
            ankle = joints.joints_m[:, sk.index(f'{side}_ankle'), 2]
            assert 0.05 < np.percentile(ankle, 1) < 0.09, (markers_file, side)
        contacts = contacts_from_grf(shared_file('fukuchi2017_rbds001', force_file),
                                     joints=joints, rate_hz=rate)
        ics = sorted((c[0], side) for side, cs in contacts.contacts_s.items() for c in cs)
        assert len(ics) > 75
        assert all(a[1] != b[1] for a, b in zip(ics, ics[1:]))  # feet alternate
        for side in ('left', 'right'):
            assert contact_s[0] < np.mean(contacts.contact_times_s(side)) < contact_s[1]
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            events = analyse_gait(joints.joints_m, joints.rate_hz).events
        for side in ('left', 'right'):
            pairs = match_events(events.feet[side].contacts_s[:, 0],
                                 contacts.contacts_s[side][:, 0] - joints.start_time_s)
            assert len(pairs) >= len(contacts.contacts_s[side]) - 1
            assert np.mean(np.abs(pairs[:, 1] - pairs[:, 0])) < 0.006  # IC within 6 ms
        # the same markers made pelvis-relative (what a lifter without a trajectory
        # gives): toe-off and contact time within 10 ms of the plate too (measured:
        # contact 8.5 / 6.1 ms, toe-off 7.8 / 5.9 ms; 31 / 25 ms late from the clearance
        # over the rebuilt ground alone)
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            pelvis = analyse_gait(joints.joints_m - joints.joints_m[:, :1],
                                  joints.rate_hz).events
        assert pelvis.frame == 'pelvis'
        found = compare_with_reference(pelvis, {side: c - joints.start_time_s for side, c
                                                in contacts.contacts_s.items()})
        assert sum(f['matched'] for f in found.values()) >= len(ics) - 2
        for key in ('to_error_s', 'contact_error_s'):
            error = np.concatenate([f[key] for f in found.values()])
            assert 1000 * np.mean(np.abs(error)) < 10, (markers_file, key)


def test_rearfoot_striker_events_on_the_force_plates():
    """Hamner subject 04 (rearfoot striker, 2 and 3 m/s, markers at 100 Hz, ankles
    estimated from the shoe markers): world-frame initial contact and toe-off within
    10 ms of the plates on average and without a bias over 5 ms. (Before the toes-up
    landing level and the 1.45 cm toe-off height: initial contact +8.5 / +16.3 ms, toe-off
    +14.2 / +2.0 ms; measured now: IC 5.3 (-1.4) / 6.4 (+3.3), TO 7.6 (+3.1) / 4.0 (-4.0).)"""
    from runningpose_mm.gait import analyse_gait, compare_with_reference
    for trial in ('run200', 'run300'):
        markers = read_markers(shared_file('hamner2013_subject04', f'{trial}_markers.trc'))
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            joints = joints_from_markers(markers, MarkerMap.load('hamner_opensim'))
            events = analyse_gait(joints.joints_m, joints.rate_hz).events
        contacts = contacts_from_grf(shared_file('hamner2013_subject04', f'{trial}_grf.mot'),
                                     joints=joints)
        assert events.frame == 'world'
        found = compare_with_reference(events, {side: c - joints.start_time_s for side, c
                                                in contacts.contacts_s.items()})
        assert sum(f['matched'] for f in found.values()) >= 4
        for key in ('ic_error_s', 'to_error_s'):
            error = 1000 * np.concatenate([f[key] for f in found.values()])
            assert np.mean(np.abs(error)) < 10 and abs(np.mean(error)) < 5, (trial, key, error)


def test_gait_report_compares_with_the_force_plates(tmp_path):
    """tools/gait_report.py --grf: the report's validation table and timeline, the same
    figures in gait.json and on the console."""
    import json
    import subprocess
    import sys
    from conftest import REPO
    trc = shared_file('hamner2013_subject04', 'run300_markers.trc')
    grf = shared_file('hamner2013_subject04', 'run300_grf.mot')
    out = subprocess.run([sys.executable, f'{REPO}/tools/gait_report.py', trc, '--marker-map',
                          'hamner_opensim', '--grf', grf, '--out', str(tmp_path / 'r')],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    with open(tmp_path / 'r' / 'gait.json') as f:
        validation = json.load(f)['validation']
    for side in ('left', 'right'):
        assert validation[side]['n'] == 3 and validation[side]['matched'] == 3
        assert validation[side]['ic_mae_ms'] < 10  # measured 4.7 / 8.0 ms (world frame)
        assert f'{side}: initial contact' in out.stdout
    page = (tmp_path / 'r' / 'report.html').read_text()
    assert 'Against the force plates' in page and 'run300_grf.mot' in page
    # a force file whose samples count frames, without the rate: an error, no traceback
    t = np.arange(0, 2.0, 1 / 300)
    (tmp_path / 'f.txt').write_text('Time\tFy\n' + '\n'.join(
        f'{k + 1}\t{f:.1f}' for k, f in enumerate(_force(t, CONTACTS['right']))) + '\n')
    out = subprocess.run([sys.executable, f'{REPO}/tools/gait_report.py', trc, '--marker-map',
                          'hamner_opensim', '--grf', str(tmp_path / 'f.txt'), '--out',
                          str(tmp_path / 'r2')], capture_output=True, text=True, timeout=300)
    assert out.returncode != 0 and 'error:' in out.stderr and 'Traceback' not in out.stderr
    assert 'give the sampling rate' in out.stderr

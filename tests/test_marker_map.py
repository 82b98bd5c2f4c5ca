"""Marker maps -> joint centres: Harrington hips, missing joints, gaps, units, bad input."""
import warnings

import numpy as np
import pytest

from runningpose_mm.mocap import (MarkerData, MarkerMap, MarkerMapError, MissingJointWarning,
                                  MocapFormatError, available_marker_maps,
                                  harrington_hip_centre, joints_from_markers, read_markers)
from runningpose_mm.mocap.timeseries import fill_short_gaps
from runningpose_mm.skeleton import runningpose19

from conftest import shared_file


def test_shipped_maps_define_all_19_joints():
    assert {'runningpose_qualisys45', 'hamner_opensim'} <= set(available_marker_maps())
    for name in ('runningpose_qualisys45', 'hamner_opensim'):
        m = MarkerMap.load(name)
        assert set(m.joints) == set(runningpose19().names)
    assert set(MarkerMap.load('hamner_opensim').missing_joints()) == {
        'left_knee', 'right_knee', 'head', 'neck_base'}


def test_harrington_hip_centre_in_an_axis_aligned_pelvis():
    # x anterior, y superior, z right; ASIS 240 mm apart, sacrum 160 mm behind
    lasi = np.array([[0.0, 0.0, -120.0]])
    rasi = np.array([[0.0, 0.0, 120.0]])
    psis = np.array([[-160.0, 0.0, 0.0]])
    right = harrington_hip_centre(lasi, rasi, psis, 'right')[0]
    left = harrington_hip_centre(lasi, rasi, psis, 'left')[0]
    pw, pd = 240.0, 160.0
    np.testing.assert_allclose(right, [-0.24 * pd - 9.9, -0.30 * pw - 10.9, 0.33 * pw + 7.3])
    np.testing.assert_allclose(left, [-0.24 * pd - 9.9, -0.30 * pw - 10.9, -0.33 * pw - 7.3])


def test_harrington_is_rotation_invariant(rng):
    from scipy.spatial.transform import Rotation
    pts = np.array([[0.0, 0.0, -120.0], [0.0, 0.0, 120.0], [-160.0, 10.0, 0.0]])
    R = Rotation.random(random_state=3).as_matrix()
    moved = pts @ R.T + np.array([500.0, -20.0, 900.0])
    a = harrington_hip_centre(*[p[None] for p in pts], 'right')[0]
    b = harrington_hip_centre(*[p[None] for p in moved], 'right')[0]
    np.testing.assert_allclose(b, R @ a + np.array([500.0, -20.0, 900.0]), atol=1e-9)


def _hamner_like_markers(num_frames=20, units='mm', scale=1.0):
    names = MarkerMap.load('hamner_opensim').required_markers()
    rng = np.random.default_rng(0)
    base = rng.uniform(-300, 300, (len(names), 3)) + np.array([0, 1000, 0])
    pos = np.repeat(base[None], num_frames, axis=0) * scale
    return MarkerData(names, pos, 100.0, units, 'y', 'generated.trc')


def test_missing_joints_are_named_in_a_warning_and_never_invented():
    with pytest.warns(MissingJointWarning, match='left_knee.*no knee epicondyle'):
        joints = joints_from_markers(_hamner_like_markers(), MarkerMap.load('hamner_opensim'))
    sk = runningpose19()
    for name in ('left_knee', 'right_knee', 'head'):
        assert not joints.visible[:, sk.index(name)].any()
        assert np.isnan(joints.joints_m[:, sk.index(name)]).all()
    assert joints.visible[:, sk.index('root')].all()


def test_unknown_marker_names_list_what_the_map_needs_and_the_file_has():
    data = _hamner_like_markers()
    data.names = [n.lower() for n in data.names]
    with pytest.raises(MarkerMapError) as err:
        joints_from_markers(data, MarkerMap.load('hamner_opensim'))
    message = str(err.value)
    assert 'the map needs' in message and "'RASI'" in message
    assert 'the file has' in message and "'rasi'" in message


def test_all_nan_marker_is_reported():
    data = _hamner_like_markers()
    data.positions[:, data.names.index('C7')] = np.nan
    with pytest.raises(MarkerMapError, match=r"\['C7'\] have no valid sample"):
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', MissingJointWarning)
            joints_from_markers(data, MarkerMap.load('hamner_opensim'))


@pytest.mark.parametrize('scale, hint', [(1e-3, "'m'"), (1e3, None)])
def test_wrong_units_are_detected(scale, hint):
    data = _hamner_like_markers(scale=scale)
    with pytest.raises(MocapFormatError, match='declared unit .mm. is probably wrong') as err:
        joints_from_markers(data, MarkerMap.load('hamner_opensim'))
    if hint:
        assert hint in str(err.value)


def test_short_gaps_are_filled_long_gaps_stay_missing():
    t = np.arange(100, dtype=float)
    series = np.stack([np.sin(t / 10), np.cos(t / 10), t / 50], axis=-1)[:, None]
    holed = series.copy()
    holed[20:25] = np.nan   # 5 frames: filled
    holed[50:70] = np.nan   # 20 frames: left
    holed[:3] = np.nan      # at the start: never extrapolated
    filled = fill_short_gaps(holed, max_gap_frames=10)
    np.testing.assert_allclose(filled[20:25], series[20:25], atol=2e-3)
    assert np.isnan(filled[50:70]).all() and np.isnan(filled[:3]).all()


def test_gap_filling_in_joints_from_markers():
    data = _hamner_like_markers(40)
    data.positions[10:14, data.names.index('C7')] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', MissingJointWarning)
        short = joints_from_markers(data, MarkerMap.load('hamner_opensim'), max_gap_frames=5)
        none = joints_from_markers(data, MarkerMap.load('hamner_opensim'), max_gap_frames=0)
    thorax = runningpose19().index('thorax')
    assert short.visible[:, thorax].all()
    assert not none.visible[10:14, thorax].any() and none.visible[14:, thorax].all()


def test_real_qualisys_skeleton_has_rigid_segments():
    data = read_markers(shared_file('qualisys_tindra', 'Tindra1.txt'))
    joints = joints_from_markers(data, MarkerMap.load('runningpose_qualisys45'))
    assert joints.visible.all() and joints.joints_m.shape == (685, 19, 3)
    bones = runningpose19().bone_lengths(joints.joints_m)
    for bone in ('left_knee-left_ankle', 'right_knee-right_ankle', 'left_hip-left_knee'):
        length = bones[bone]
        assert 0.3 < np.mean(length) < 0.45          # metres: thigh/shank of an adult
        assert np.std(length) / np.mean(length) < 0.06  # skin markers: a few % at most
    # the pelvis starts low (crouched sprint start) and rises as she accelerates
    root_z = joints.joints_m[:, 0, 2]
    assert root_z[0] < 0.55 and root_z.max() > 0.75


def test_real_hamner_trial_reports_its_missing_joints():
    data = read_markers(shared_file('hamner2013_subject04', 'run300_markers.trc'))
    with pytest.warns(MissingJointWarning):
        joints = joints_from_markers(data, MarkerMap.load('hamner_opensim'))
    sk = runningpose19()
    assert set(joints.missing_joints) == {'left_knee', 'right_knee', 'head', 'neck_base'}
    # the ankles come from the heel, toe and 5th-metatarsal markers: planted, 3-9 cm
    # above the planted forefoot, as ankle joints are
    planted = {p: np.percentile(joints.joints_m[:, sk.index(f'right_{p}'), 2], 5)
               for p in ('ankle', 'forefoot')}
    assert 0.03 < planted['ankle'] - planted['forefoot'] < 0.09
    # z up after conversion: pelvis about 0.9-1.0 m above the treadmill
    assert 0.8 < np.median(joints.joints_m[:, sk.index('root'), 2]) < 1.1


def test_ankle_from_heel_and_metatarsal_markers_where_the_malleoli_are_known():
    """The foot_frame operation (used for marker sets without malleoli) against the
    malleolus midpoint of the Qualisys trials: offset learned on one trial, tested on
    the other (the figures the Hamner map states)."""
    from runningpose_mm.mocap.marker_map import foot_frame
    learn, test = (read_markers(shared_file('qualisys_tindra', f'{t}.txt'), rate_hz=170.0)
                   .in_metres().z_up() for t in ('Tindra1', 'Tindra2'))

    def axes(m, s, side):
        f, a, u, length = foot_frame(m.marker(f'{s}HeelBack'), m.marker(f'{s}Forefoot2'),
                                     m.marker(f'{s}Forefoot5'), side)
        ankle = (m.marker(f'{s}AnkleOut') + m.marker(f'{s}AnkleIn')) / 2
        return f, a, u, length, m.marker(f'{s}HeelBack'), ankle
    offsets = []
    for s, side in (('L', 'left'), ('R', 'right')):
        f, a, u, length, heel, ankle = axes(learn, s, side)
        d = (ankle - heel) / length
        offsets.append(np.stack([np.sum(d * f, 1), np.sum(d * u, 1), np.sum(d * a, 1)], 1))
    offset = np.median(np.concatenate(offsets), axis=0)
    np.testing.assert_allclose(offset, [0.304, 0.126, -0.062], atol=0.015)
    errors = []
    for s, side in (('L', 'left'), ('R', 'right')):
        f, a, u, length, heel, ankle = axes(test, s, side)
        estimate = heel + length * (offset[0] * f + offset[1] * u + offset[2] * a)
        errors.append(np.linalg.norm(estimate - ankle, axis=1))
    errors = np.concatenate(errors)
    assert np.median(errors) < 0.012 and np.percentile(errors, 95) < 0.025


def test_functional_knee_and_head_estimates_where_the_markers_give_both():
    """The estimates the Hamner evaluation map uses for joints its markers lack, on the
    Qualisys sprints whose markers give them: the knee from thigh and shank clusters
    within 40 mm (median) of the epicondyle midpoint, plain SCoRE's choice along the
    flexion axis 36-50 mm; the head from the trunk within 50 mm of mid-ears."""
    from runningpose_mm.mocap.marker_map import functional_knee_centre, trunk_offset_point
    sk = runningpose19()
    for trial in ('Tindra1', 'Tindra2'):
        raw = read_markers(shared_file('qualisys_tindra', f'{trial}.txt'), rate_hz=170.0)
        joints = joints_from_markers(raw, MarkerMap.load('runningpose_qualisys45')).joints_m
        m = raw.in_metres().z_up()
        for s, side in (('L', 'left'), ('R', 'right')):
            hip, knee, ankle = (joints[:, sk.index(f'{side}_{j}')]
                                for j in ('hip', 'knee', 'ankle'))
            estimate = functional_knee_centre(
                [hip, m.marker(f'{s}Thigh2'), m.marker(f'{s}ThighFrontLow')],
                [m.marker(f'{s}ShinFrontHigh'), m.marker(f'{s}AnkleOut'),
                 m.marker(f'{s}AnkleIn')], hip, ankle)
            assert np.median(np.linalg.norm(estimate - knee, axis=1)) < 0.040, (trial, side)
        root, thorax, head = (joints[:, sk.index(j)] for j in ('root', 'thorax', 'head'))
        estimate = trunk_offset_point(root, thorax, m.marker('SpineThoracic2'),
                                      m.marker('Chest'), 0.50, 0.01)
        assert np.median(np.linalg.norm(estimate - head, axis=1)) < 0.050, trial


def test_a_functional_knee_without_enough_cluster_frames_is_a_clear_error():
    from runningpose_mm.mocap.marker_map import functional_knee_centre
    points = [np.full((50, 3), np.nan)] * 3  # a cluster never seen
    leg = np.zeros((50, 3))
    with pytest.raises(MarkerMapError, match='fewer than 10 frames with both clusters'):
        functional_knee_centre(points, points, leg, leg + [0, 0, -0.8])


def assert_legs(joints_m, length_range, rigid):
    """Thigh and shank: median length in ``length_range`` (m), left and right within 3 %,
    the left one's SD below ``rigid`` of its length over the trial."""
    bones = runningpose19().bone_lengths(joints_m)
    for bone in ('hip-knee', 'knee-ankle'):
        left, right = (np.median(bones[f'{s}_{bone.replace("-", f"-{s}_")}'])
                       for s in ('left', 'right'))
        assert length_range[0] < left < length_range[1] and abs(left - right) / left < 0.03, \
            bone
        assert np.std(bones[f'left_{bone.replace("-", "-left_")}']) / left < rigid, bone


def test_a_map_with_a_base_redefines_joints_after_the_base_ones():
    """hamner_opensim_estimated: the Hamner map with knees and head estimated, evaluated
    after the joints they use; a real trial gives every joint, legs symmetric."""
    base, estimated = (MarkerMap.load(n) for n in ('hamner_opensim', 'hamner_opensim_estimated'))
    assert set(base.missing_joints()) == {'left_knee', 'right_knee', 'head', 'neck_base'}
    assert not estimated.missing_joints()
    order = list(estimated.joints)
    assert order.index('right_knee') > order.index('right_ankle')
    assert estimated.joints['right_hip'] == base.joints['right_hip']
    data = read_markers(shared_file('hamner2013_subject04', 'run200_markers.trc'))
    joints = joints_from_markers(data, estimated)
    assert joints.visible.all()
    assert_legs(joints.joints_m, (0.35, 0.5), rigid=0.03)


def test_map_fallbacks_when_a_marker_is_absent(tmp_path):
    """A trial without LMT5: the Hamner map falls back to the toe marker for the forefoot
    and leaves the ankle missing (its lateral direction is unknown), with a warning that
    names both; without the toe marker too, nothing is left for the forefoot: an error
    that lists what the map needs and what the file has."""
    import warnings as w
    from runningpose_mm.mocap import read_markers
    from runningpose_mm.mocap.marker_map import FallbackWarning
    from runningpose_mm.mocap.writers import write_trc
    markers = read_markers(shared_file('hamner2013_subject04', 'run300_markers.trc'))
    full = joints_from_markers(markers, MarkerMap.load('hamner_opensim'))
    keep = [i for i, n in enumerate(markers.names) if n != 'LMT5']
    write_trc(str(tmp_path / 'no_lmt5.trc'), [markers.names[i] for i in keep],
              markers.positions[:, keep], markers.rate_hz)
    with w.catch_warnings(record=True) as caught:
        w.simplefilter('always')
        joints = joints_from_markers(read_markers(str(tmp_path / 'no_lmt5.trc')),
                                     MarkerMap.load('hamner_opensim'))
    fallback = [str(c.message) for c in caught if c.category is FallbackWarning]
    assert len(fallback) == 1 and 'left_forefoot from mean of LTOE (LMT5 absent)' in \
        fallback[0] and 'left_ankle from nothing: left missing' in fallback[0]
    sk = runningpose19()
    assert 'left_ankle' in joints.missing_joints and not joints.visible[:, sk.index(
        'left_ankle')].any()
    np.testing.assert_allclose(joints.joints_m[:, sk.index('right_ankle')],
                               full.joints_m[:, sk.index('right_ankle')], atol=1e-4)
    # the forefoot moves from between toe and MT5 to the toe marker: a few centimetres
    shift = np.linalg.norm(joints.joints_m[:, sk.index('left_forefoot')] -
                           full.joints_m[:, sk.index('left_forefoot')], axis=-1)
    assert 0.01 < np.median(shift) < 0.06
    keep = [i for i, n in enumerate(markers.names) if n not in ('LMT5', 'LTOE')]
    write_trc(str(tmp_path / 'no_left_toes.trc'), [markers.names[i] for i in keep],
              markers.positions[:, keep], markers.rate_hz)
    with pytest.raises(MarkerMapError, match=r"needs markers \['LTOE', 'LMT5'\] that the file "
                                             r'does not have \(and gives no fallback'):
        joints_from_markers(read_markers(str(tmp_path / 'no_left_toes.trc')),
                            MarkerMap.load('hamner_opensim'))


def test_rbds_knees_from_its_four_marker_clusters():
    """rbds_lowerbody_estimated: RBDS's knees from three markers of each thigh and shank
    cluster; legs of one length on both sides, rigid over the trial, knee flexion
    running-like; the upper body stays missing (no marker above the pelvis)."""
    data = read_markers(shared_file('fukuchi2017_rbds001', 'RBDS001runT25markers.txt'))
    marker_map = MarkerMap.load('rbds_lowerbody_estimated')
    assert 'left_knee' not in marker_map.missing_joints()
    assert len(marker_map.missing_joints()) == 10
    with pytest.warns(MissingJointWarning):
        joints = joints_from_markers(data, marker_map)
    assert_legs(joints.joints_m, (0.42, 0.52), rigid=0.02)
    sk = runningpose19()
    hip, knee, ankle = (joints.joints_m[:, sk.index(f'left_{j}')] for j in ('hip', 'knee', 'ankle'))
    u, v = hip - knee, ankle - knee
    flexion = 180 - np.degrees(np.arccos(np.sum(u * v, -1) / np.linalg.norm(u, axis=-1) /
                                         np.linalg.norm(v, axis=-1)))
    low, high = np.percentile(flexion, [1, 99])
    assert 0 < low < 20 and 75 < high < 120  # stance near straight, swing deeply flexed


def test_a_map_file_that_is_not_a_valid_map_is_a_clear_error(tmp_path):
    bad_yaml = tmp_path / 'bad.yaml'
    bad_yaml.write_text('name: x\ndescription: a: b\njoints: {}\n')
    with pytest.raises(MarkerMapError, match='bad.yaml: not valid YAML'):
        MarkerMap.load(str(bad_yaml))
    four = tmp_path / 'four.yaml'
    four.write_text('base: rbds_lowerbody\njoints:\n  left_knee:\n    functional_knee: {thigh: '
                    '[A, B, C, D], shank: [E, F, G], hip: left_hip, ankle: left_ankle}\n')
    with pytest.raises(MarkerMapError, match="'left_knee': functional_knee takes three "
                                             'markers for each of thigh and shank'):
        MarkerMap.load(str(four))

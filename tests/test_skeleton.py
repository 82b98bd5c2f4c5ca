"""The runningpose19 definition, as MMPose parses it."""
import numpy as np
import pytest

import runningpose_mm  # noqa: F401
from runningpose_mm.skeleton import metainfo, runningpose19

H36M_NAMES = ['root', 'right_hip', 'right_knee', 'right_ankle', 'left_hip', 'left_knee',
              'left_ankle', 'spine', 'thorax', 'neck_base', 'head', 'left_shoulder',
              'left_elbow', 'left_wrist', 'right_shoulder', 'right_elbow', 'right_wrist']


def test_mmpose_parses_19_keypoints_with_exact_flip_indices():
    info = metainfo()
    assert info['dataset_name'] == 'runningpose19'
    assert info['num_keypoints'] == 19
    # H36M's 17 in MMPose's order, then the forefeet
    assert [info['keypoint_id2name'][i] for i in range(19)] == H36M_NAMES + [
        'left_forefoot', 'right_forefoot']
    assert info['flip_indices'] == [0, 4, 5, 6, 1, 2, 3, 7, 8, 9, 10, 14, 15, 16, 11, 12,
                                    13, 18, 17]
    assert {tuple(sorted(pair)) for pair in info['flip_pairs']} == {
        (1, 4), (2, 5), (3, 6), (11, 14), (12, 15), (13, 16), (17, 18)}


def test_every_left_joint_mirrors_to_its_right_twin():
    sk = runningpose19()
    for i, name in enumerate(sk.names):
        mirror = sk.names[sk.flip_indices[i]]
        if name.startswith('left_'):
            assert mirror == 'right_' + name[5:]
        elif name.startswith('right_'):
            assert mirror == 'left_' + name[6:]
        else:
            assert mirror == name
    assert len(sk.left_indices) == len(sk.right_indices) == 7


def test_links_form_a_tree_with_ankle_to_forefoot():
    sk = runningpose19()
    assert (sk.index('left_ankle'), sk.index('left_forefoot')) in sk.links
    assert (sk.index('right_ankle'), sk.index('right_forefoot')) in sk.links
    parents = sk.parents
    assert parents[0] == -1 and (parents[1:] >= 0).all()  # every joint but the root
    assert len(sk.links) == 18



def test_mmpose_skeleton_links_include_the_feet():
    links = [tuple(link) for link in metainfo()['skeleton_links']]
    assert (6, 17) in links and (3, 18) in links


def test_pelvis_heading_is_the_one_running_direction():
    """Where a pose faces, for the cameras and the gait measures alike: a runner along +x
    faces (1, 0); turned by 30 deg about the vertical, so is the heading; no hips, no
    heading."""
    from runningpose_mm.mocap import RunnerParams, synthesize_run
    from runningpose_mm.gait.events import GaitInputError, pelvis_heading
    sk = runningpose19()
    joints = synthesize_run(RunnerParams(treadmill=True), 1.0, 50).joints_m
    np.testing.assert_allclose(sk.pelvis_heading(joints), [1, 0], atol=1e-9)
    a = np.deg2rad(30)
    turn = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
    np.testing.assert_allclose(sk.pelvis_heading(joints @ turn.T), [np.cos(a), np.sin(a)],
                               atol=1e-9)
    joints[:, [sk.index('left_hip'), sk.index('right_hip')]] = np.nan
    with pytest.raises(ValueError, match='no frame has both hips'):
        sk.pelvis_heading(joints)
    with pytest.raises(GaitInputError, match='no frame has both hips'):
        pelvis_heading(joints)


def test_a_hidden_limb_takes_the_seen_ones_length_and_keeps_its_directions():
    """The far arm of a side view, lifted 15 % long and seen in 2 % of the frames, comes
    out as long as the near arm; legs lifted 6 % apart and both seen meet at their mean;
    every bone keeps its direction and the root stays."""
    from runningpose_mm.mocap import RunnerParams, synthesize_run
    sk = runningpose19()
    truth = synthesize_run(RunnerParams(treadmill=True), 2.0, 50).joints_m
    truth = truth - truth[:, :1]
    lifted = sk.scale_bones(truth, {
        (sk.index('right_shoulder'), sk.index('right_elbow')): 1.15,
        (sk.index('right_elbow'), sk.index('right_wrist')): 1.15,
        (sk.index('left_hip'), sk.index('left_knee')): 1.06})
    seen = np.ones(truth.shape[:2], bool)
    seen[:, [sk.index('right_elbow'), sk.index('right_wrist')]] = False
    seen[::50, [sk.index('right_elbow'), sk.index('right_wrist')]] = True  # 2 %
    lifted[7] = np.nan  # a frame without a pose stays without one
    out, factors = sk.equalise_left_right(lifted, seen)
    factor = dict(zip(sk.links, factors))
    truth_bones, out_bones = sk.bone_lengths(truth), sk.bone_lengths(out)
    for bone in ('right_shoulder-right_elbow', 'right_elbow-right_wrist',
                 'left_shoulder-left_elbow', 'left_elbow-left_wrist'):
        np.testing.assert_allclose(np.nanmedian(out_bones[bone]),
                                   np.nanmedian(truth_bones[bone]), rtol=0.01)
    assert factor[(sk.index('right_shoulder'), sk.index('right_elbow'))] == \
        pytest.approx(1 / 1.15, rel=0.01)
    assert factor[(sk.index('left_shoulder'), sk.index('left_elbow'))] == pytest.approx(1, abs=1e-3)
    left, right = (np.nanmedian(out_bones[f'{s}_hip-{s}_knee']) for s in ('left', 'right'))
    assert left == pytest.approx(right, rel=1e-9)
    assert left == pytest.approx(np.nanmedian(truth_bones['left_hip-left_knee']) * 1.03,
                                 rel=0.005)
    assert np.isnan(out[7]).all() and np.isfinite(np.delete(out, 7, 0)).all()
    np.testing.assert_array_equal(out[:, 0], lifted[:, 0])
    for p, c in sk.links:
        a, b = lifted[:, c] - lifted[:, p], out[:, c] - out[:, p]
        cos = (a * b).sum(-1) / np.linalg.norm(a, axis=-1) / np.linalg.norm(b, axis=-1)
        assert np.nanmin(cos) > 1 - 1e-9, (sk.names[p], sk.names[c])

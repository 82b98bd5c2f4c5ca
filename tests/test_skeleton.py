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

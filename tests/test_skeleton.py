"""The runningpose19 definition, as MMPose parses it."""
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

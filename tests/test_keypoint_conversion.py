"""2D keypoints of foot-aware MMPose models -> runningpose19, and MMPose's converter."""
import numpy as np
import pytest

import runningpose_mm  # noqa: F401
from runningpose_mm.apis.keypoint_conversion import (NoFootKeypointsError,
                                                     source_keypoint_names, to_runningpose19)
from runningpose_mm.skeleton import runningpose19

SK = runningpose19()


def _named(dataset, rng):
    names = source_keypoint_names(dataset)
    kpts = rng.uniform(0, 1000, (3, len(names), 2))
    return names, kpts, {n: kpts[:, i] for i, n in enumerate(names)}


@pytest.mark.parametrize('dataset, count, toe', [('halpe26', 26, 'big_toe'),
                                                 ('coco_wholebody', 133, 'big_toe'),
                                                 ('mediapipe33', 33, 'foot_index')])
def test_forefoot_lies_over_the_metatarsal_heads_and_limbs_map_one_to_one(
        dataset, count, toe, rng):
    names, kpts, by_name = _named(dataset, rng)
    assert len(names) == count
    scores = rng.uniform(0.2, 1.0, kpts.shape[:2])
    out, out_scores = to_runningpose19(kpts, scores, dataset)
    assert out.shape == (3, 19, 2) and out_scores.shape == (3, 19)
    # 70 % of the way from the heel to the toe tip (the definition file's fraction)
    assert SK.forefoot_fraction == pytest.approx(0.70)
    np.testing.assert_allclose(out[:, SK.index('left_forefoot')],
                               0.3 * by_name['left_heel'] + 0.7 * by_name[f'left_{toe}'])
    np.testing.assert_allclose(out[:, SK.index('right_knee')], by_name['right_knee'])
    np.testing.assert_allclose(out[:, SK.index('root')],
                               (by_name['left_hip'] + by_name['right_hip']) / 2)
    np.testing.assert_allclose(out[:, SK.index('spine')],
                               (out[:, SK.index('root')] + out[:, SK.index('thorax')]) / 2)
    # a derived joint is as confident as its weakest source keypoint
    i, j = names.index('left_heel'), names.index(f'left_{toe}')
    np.testing.assert_allclose(out_scores[:, SK.index('left_forefoot')],
                               np.minimum(scores[:, i], scores[:, j]))


def test_a_model_without_feet_gets_a_clear_error(rng):
    with pytest.raises(NoFootKeypointsError, match='no toes.*Halpe-26.*COCO-WholeBody'):
        to_runningpose19(rng.uniform(size=(1, 17, 2)), np.ones((1, 17)), 'coco')


def test_mmpose_converter_knows_runningpose19_and_keeps_h36m(rng):
    from mmpose.apis import convert_keypoint_definition
    from mmpose.visualization import local_visualizer_3d
    assert local_visualizer_3d.convert_keypoint_definition is convert_keypoint_definition
    names, kpts, by_name = _named('halpe26', rng)
    out = convert_keypoint_definition(kpts.astype(np.float32), 'halpe26', 'runningpose19')
    assert out.shape == (3, 19, 2) and out.dtype == np.float32
    np.testing.assert_allclose(out[:, 18], 0.3 * by_name['right_heel'] +
                               0.7 * by_name['right_big_toe'], rtol=1e-5)
    coco = rng.uniform(size=(2, 17, 2))
    h36m = convert_keypoint_definition(coco, 'coco', 'h36m')  # MMPose's own path
    np.testing.assert_allclose(h36m[:, 0], (coco[:, 11] + coco[:, 12]) / 2)

"""Pose errors: MPJPE, P-MPJPE, N-MPJPE, per joint, velocity, with visibility masks."""
import numpy as np
from scipy.spatial.transform import Rotation

import runningpose_mm  # noqa: F401
from runningpose_mm.evaluation import RunningPoseMetric
from runningpose_mm.evaluation import functional as F


def _poses(rng, n=6):
    return rng.normal(0, 0.3, (n, 19, 3))


def test_procrustes_removes_similarity_transforms_only(rng):
    gt = _poses(rng)
    R = Rotation.random(6, random_state=2).as_matrix()
    pred = 1.3 * np.einsum('nij,nkj->nki', R, gt) + rng.normal(0, 1, (6, 1, 3))
    mask = np.ones((6, 19), bool)
    assert F.mpjpe(F.align_procrustes(pred, gt, mask), gt, mask) < 1e-9
    assert F.mpjpe(pred, gt, mask) > 0.1
    # a non-rigid change survives alignment
    bent = gt.copy()
    bent[:, 3] += 0.1
    assert F.mpjpe(F.align_procrustes(bent, gt, mask), gt, mask) > 0.001


def test_masked_joints_do_not_count(rng):
    gt = _poses(rng)
    pred = gt.copy()
    pred[:, 5] += 10.0  # wildly wrong, but not visible
    mask = np.ones((6, 19), bool)
    mask[:, 5] = False
    assert F.mpjpe(pred, gt, mask) == 0
    assert F.mpjpe(F.align_procrustes(pred, gt, mask), gt, mask) < 1e-9
    assert np.isnan(F.per_joint_mpjpe(pred, gt, mask)[5])


def test_scale_alignment(rng):
    gt = _poses(rng)
    mask = np.ones((6, 19), bool)
    assert F.mpjpe(F.align_scale(0.7 * gt, gt, mask), gt, mask) < 1e-12


def test_velocity_error_only_within_runs(rng):
    gt = _poses(rng, 10)
    pred = gt + np.arange(10)[:, None, None] * np.array([0.01, 0, 0])  # drifts 1 cm/frame
    mask = np.ones((10, 19), bool)
    np.testing.assert_allclose(F.mpjve(pred, gt, mask, np.zeros(10)), 0.01)
    # each row its own run: no pairs
    assert np.isnan(F.mpjve(pred, gt, mask, np.arange(10)))


def test_metric_reports_millimetres_root_relative_and_feet(rng):
    metric = RunningPoseMetric()
    metric.dataset_meta = {}
    gt = _poses(rng, 8)
    pred = gt + np.array([5.0, 0, 0])  # a global shift: removed by root alignment
    pred[:, 17] += np.array([0, 0.02, 0])  # left forefoot 20 mm off
    samples = []
    for i in range(8):
        samples.append(dict(
            pred_instances=dict(keypoints=pred[i][None]),
            gt_instances=dict(lifting_target=gt[i][None],
                              lifting_target_visible=np.ones((1, 19))),
            sequence_name='s', target_frame=i))
    metric.process([], samples)
    out = metric.compute_metrics(metric.results)
    np.testing.assert_allclose(out['MPJPE/left_forefoot'], 20.0, atol=1e-6)
    # as in Human3.6M evaluation, the (zero-error) root is one of the 19 joints averaged
    np.testing.assert_allclose(out['MPJPE'], 20.0 / 19, atol=1e-6)
    np.testing.assert_allclose(out['MPJPE/feet'], 5.0, atol=1e-6)
    assert out['MPJPE/body'] < 1e-6 and out['MPJVE'] < 1e-6
    # least-squares alignment spreads one joint's error over all (P- and N-MPJPE are not
    # bounded by MPJPE), but it stays far below that joint's 20 mm
    assert 0 < out['P-MPJPE'] < 5 and 0 < out['N-MPJPE'] < 5

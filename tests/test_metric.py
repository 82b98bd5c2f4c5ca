"""Pose errors: MPJPE, P-MPJPE, N-MPJPE, per joint, velocity, with visibility masks."""
import numpy as np
import pytest
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


def test_mpjpe_over_common_joints_is_comparable_across_marker_sets():
    """MPJPE counts the root's zero error (Human3.6M protocol), so a marker set missing
    joints weighs it more; MPJPE/common scores only the non-root joints all sequences
    have."""
    from runningpose_mm.evaluation import RunningPoseMetric
    from runningpose_mm.skeleton import runningpose19
    sk = runningpose19()
    metric = RunningPoseMetric()
    rng = np.random.default_rng(0)
    samples = []
    missing = [sk.index(n) for n in ('left_knee', 'right_knee', 'head', 'neck_base')]
    for seq, lacks in (('full', []), ('hamner_like', missing)):
        for frame in range(20):
            gt = rng.normal(0, 0.3, (19, 3))
            pred = gt + 0.05 * np.eye(3)[frame % 3]  # every joint 50 mm off...
            pred[0] = gt[0]                          # ...except the root
            visible = np.ones(19)
            visible[lacks] = 0
            samples.append(dict(pred_instances=dict(keypoints=pred[None]),
                                gt_instances=dict(lifting_target=gt[None],
                                                  lifting_target_visible=visible[None]),
                                sequence_name=seq, target_frame=frame))
    metric.process([], samples)
    out = metric.compute_metrics(metric.results)
    # MPJPE: 50 mm on 18 of 19 joints in one sequence, 14 of 15 in the other
    assert out['MPJPE'] == pytest.approx(50 * (20 * 18 + 20 * 14) / (20 * 19 + 20 * 15))
    assert out['MPJPE/common'] == pytest.approx(50.0)
    from runningpose_mm.evaluation import format_error_table
    assert 'compare across marker sets' in format_error_table(out)

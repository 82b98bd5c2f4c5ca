"""Pose-error functions, vectorised over frames (VideoPose3D style, with visibility masks).

All take predictions and ground truth of shape (N, K, 3) in the same unit, root-relative
or not (the caller decides), and a mask (N, K) of joints to score.
"""
import numpy as np


def _masked_mean_error(pred: np.ndarray, gt: np.ndarray, mask: np.ndarray) -> float:
    if not mask.any():
        raise ValueError('no visible joint to score')
    return float(np.linalg.norm(pred - gt, axis=-1)[mask].mean())


def align_scale(pred: np.ndarray, gt: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Scale each frame's prediction by the least-squares factor (N-MPJPE).

    Args:
        pred, gt (np.ndarray): (N, K, 3). mask (np.ndarray): (N, K) bool.

    Returns:
        np.ndarray: (N, K, 3) scaled predictions.
    """
    m = mask[..., None]
    num = np.sum(pred * gt * m, axis=(1, 2))
    den = np.sum(pred * pred * m, axis=(1, 2))
    scale = np.where(den > 0, num / np.maximum(den, 1e-12), 1.0)
    return pred * scale[:, None, None]


def align_procrustes(pred: np.ndarray, gt: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Similarity-align each frame (rotation, scale, translation) on visible joints.

    Args:
        pred, gt (np.ndarray): (N, K, 3). mask (np.ndarray): (N, K) bool.

    Returns:
        np.ndarray: (N, K, 3) aligned predictions (P-MPJPE).
    """
    w = mask[..., None].astype(np.float64)
    count = np.maximum(w.sum(axis=1, keepdims=True), 1.0)
    mu_p = (pred * w).sum(axis=1, keepdims=True) / count
    mu_g = (gt * w).sum(axis=1, keepdims=True) / count
    p0, g0 = (pred - mu_p) * w, (gt - mu_g) * w  # masked joints drop out of the fit
    norm_p = np.sqrt(np.maximum((p0**2).sum(axis=(1, 2), keepdims=True), 1e-12))
    norm_g = np.sqrt(np.maximum((g0**2).sum(axis=(1, 2), keepdims=True), 1e-12))
    p0, g0 = p0 / norm_p, g0 / norm_g
    u, s, vt = np.linalg.svd(np.matmul(g0.transpose(0, 2, 1), p0))
    v = vt.transpose(0, 2, 1)
    r = np.matmul(v, u.transpose(0, 2, 1))
    # avoid reflections
    det_sign = np.sign(np.linalg.det(r))
    v[:, :, -1] *= det_sign[:, None]
    s[:, -1] *= det_sign
    r = np.matmul(v, u.transpose(0, 2, 1))
    scale = (s.sum(axis=1)[:, None, None] * norm_g / norm_p)
    return scale * np.matmul(pred - mu_p, r) + mu_g


def mpjpe(pred: np.ndarray, gt: np.ndarray, mask: np.ndarray) -> float:
    """Mean per-joint position error over visible joints, in the input unit."""
    return _masked_mean_error(pred, gt, mask)


def per_joint_mpjpe(pred: np.ndarray, gt: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """(K,) mean error of each joint over the frames where it is visible (NaN if never)."""
    err = np.linalg.norm(pred - gt, axis=-1)
    counts = mask.sum(axis=0)
    sums = np.where(mask, err, 0).sum(axis=0)
    return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def mpjve(pred: np.ndarray, gt: np.ndarray, mask: np.ndarray,
          sequence_ids: np.ndarray) -> float:
    """Mean per-joint velocity error (first differences within each sequence).

    Args:
        pred, gt (np.ndarray): (N, K, 3) ordered by frame within each sequence.
        mask (np.ndarray): (N, K) bool.
        sequence_ids (np.ndarray): (N,) sequence of every row; differences are taken only
            between consecutive rows of the same sequence.

    Returns:
        float: error per frame step, in the input unit (NaN when no pair exists).
    """
    same = sequence_ids[1:] == sequence_ids[:-1]
    pair_mask = mask[1:] & mask[:-1] & same[:, None]
    if not pair_mask.any():
        return float('nan')
    return _masked_mean_error(np.diff(pred, axis=0), np.diff(gt, axis=0), pair_mask)

import numpy as np
from scipy.interpolate import CubicSpline


def gap_runs(missing: np.ndarray):
    """Runs of True in a 1-D bool array, as (start, stop) index pairs (stop exclusive)."""
    padded = np.concatenate([[False], missing, [False]])
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return list(zip(edges[::2], edges[1::2]))


def fill_short_gaps(values: np.ndarray, max_gap_frames: int) -> np.ndarray:
    """Fill interior NaN gaps of at most ``max_gap_frames`` samples along axis 0.

    A cubic spline through the valid samples of each channel fills the gap; gaps longer
    than ``max_gap_frames`` and gaps touching either end are left NaN (extrapolating a
    marker is inventing it).

    Args:
        values (np.ndarray): (T, ...) trajectories; a sample is missing if any of its last
            axis is NaN.
        max_gap_frames (int): longest gap to fill (0 fills nothing).

    Returns:
        np.ndarray: a filled copy, same shape.
    """
    if max_gap_frames < 0:
        raise ValueError(f'max_gap_frames must be >= 0, got {max_gap_frames}')
    out = np.array(values, dtype=np.float64, copy=True)
    if max_gap_frames == 0:
        return out
    num_frames = out.shape[0]
    flat = out.reshape(num_frames, -1, out.shape[-1])
    t = np.arange(num_frames)
    for m in range(flat.shape[1]):
        series = flat[:, m]
        missing = ~np.isfinite(series).all(axis=-1)
        if not missing.any() or missing.all():
            continue
        runs = [(a, b) for a, b in gap_runs(missing)
                if a > 0 and b < num_frames and b - a <= max_gap_frames]
        if not runs:
            continue
        valid = ~missing
        if valid.sum() < 4:
            spline = None
        else:
            spline = CubicSpline(t[valid], series[valid], axis=0)
        for a, b in runs:
            if spline is not None:
                series[a:b] = spline(t[a:b])
            else:  # too few samples for a spline: linear between the neighbours
                w = ((t[a:b] - (a - 1)) / (b - (a - 1)))[:, None]
                series[a:b] = (1 - w) * series[a - 1] + w * series[b]
    return out

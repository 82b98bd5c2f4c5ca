"""Time series of samples (markers, joints, keypoints): gaps and resampling, one of each
for every source."""
import numpy as np
from scipy.interpolate import CubicSpline


def gap_runs(missing: np.ndarray):
    """Runs of True in a 1-D bool array, as (start, stop) index pairs (stop exclusive)."""
    padded = np.concatenate([[False], missing, [False]])
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return list(zip(edges[::2], edges[1::2]))


def longest_run(mask: np.ndarray):
    """The longest run of True in a 1-D bool array as (start, stop) (stop exclusive; the
    first of equally long runs), or (0, 0) when there is none."""
    return max(gap_runs(mask) or [(0, 0)], key=lambda r: r[1] - r[0])


def fill_short_gaps(values: np.ndarray, max_gap_frames: int,
                    method: str = 'cubic') -> np.ndarray:
    """Fill interior NaN gaps of at most ``max_gap_frames`` samples along axis 0.

    ``'cubic'`` (markers): a cubic spline through the valid samples of each channel fills
    the gap (linear where a channel has fewer than 4 samples); ``'linear'`` (detector
    keypoints, whose jitter a spline would swing with): a straight line between the
    gap's neighbours. Gaps longer than ``max_gap_frames`` and gaps touching either end
    are left NaN (extrapolating a marker is inventing it).

    Args:
        values (np.ndarray): (T, ...) trajectories; a sample is missing if any of its last
            axis is NaN.
        max_gap_frames (int): longest gap to fill (0 fills nothing).
        method (str): 'cubic' or 'linear'.

    Returns:
        np.ndarray: a filled copy, same shape.
    """
    if max_gap_frames < 0:
        raise ValueError(f'max_gap_frames must be >= 0, got {max_gap_frames}')
    if method not in ('cubic', 'linear'):
        raise ValueError(f"method must be 'cubic' or 'linear', got {method!r}")
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
        if method == 'linear' or valid.sum() < 4:
            spline = None
        else:
            spline = CubicSpline(t[valid], series[valid], axis=0)
        for a, b in runs:
            if spline is not None:
                series[a:b] = spline(t[a:b])
            else:  # linear (asked, or too few samples for a spline): between neighbours
                w = ((t[a:b] - (a - 1)) / (b - (a - 1)))[:, None]
                series[a:b] = (1 - w) * series[a - 1] + w * series[b]
    return out


def resample_in_time(values: np.ndarray, rate_hz: float, target_hz: float) -> np.ndarray:
    """Resample (T, ...) samples (3D joints, 2D keypoints) to ``target_hz`` by linear
    interpolation in time, from the first sample to the last.

    A sample is NaN where either neighbour is NaN (a gap is not bridged by resampling).
    """
    values = np.asarray(values)
    if abs(rate_hz - target_hz) < 1e-9:
        return values.copy()
    duration = (values.shape[0] - 1) / rate_hz
    t_new = np.arange(int(np.floor(duration * target_hz + 1e-9)) + 1) / target_hz
    pos = t_new * rate_hz
    lo = np.clip(np.floor(pos).astype(int), 0, values.shape[0] - 1)
    hi = np.clip(lo + 1, 0, values.shape[0] - 1)
    w = (pos - lo).reshape((-1,) + (1,) * (values.ndim - 1))
    return (1 - w) * values[lo] + w * values[hi]

"""Cadence straight from 2D keypoints, independent of lifting and event detection.

In any view that is not straight from the front or back, the horizontal image distance
between the left and right foot swings once per stride (left foot ahead, then right
foot ahead). Its spectral peak gives the stride frequency; cadence (steps/min) is twice
that times 60. Used as a check of the 3D path on real clips (the two must agree).
"""
import warnings

import numpy as np

from ..skeleton import runningpose19


def cadence_from_2d(keypoints_2d: np.ndarray, fps: float, min_spm: float = 100.0,
                    max_spm: float = 240.0) -> float:
    """Cadence (steps/min) from runningpose19 2D keypoints.

    Args:
        keypoints_2d (np.ndarray): (T, 19, 2) pixels, NaN where absent (short gaps are
            bridged linearly; the signal needs a few strides).
        fps (float): frame rate.
        min_spm, max_spm (float): cadence search range.

    Returns:
        float: cadence, or NaN when fewer than two strides are seen.
    """
    sk = runningpose19()
    kp = np.asarray(keypoints_2d, dtype=np.float64)
    pairs = np.stack([kp[:, sk.index(f'left_{p}'), 0] - kp[:, sk.index(f'right_{p}'), 0]
                      for p in ('ankle', 'forefoot')])
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', RuntimeWarning)  # frames without feet stay NaN
        separation = np.nanmean(pairs, axis=0)
    seen = np.flatnonzero(np.isfinite(separation))
    if len(seen) < 2 or (seen[-1] - seen[0]) / fps * min_spm / 120 < 2:
        return float('nan')
    signal = separation[seen[0]:seen[-1] + 1]
    t = np.arange(len(signal))
    ok = np.isfinite(signal)
    signal = np.interp(t, t[ok], signal[ok])
    signal = (signal - signal.mean()) * np.hanning(len(signal))
    size = max(1 << 16, 8 * len(signal))
    power = np.abs(np.fft.rfft(signal, size))**2
    freq = np.fft.rfftfreq(size, 1.0 / fps)
    band = (freq >= min_spm / 120) & (freq <= max_spm / 120)
    k = np.flatnonzero(band)[np.argmax(power[band])]
    if 0 < k < len(power) - 1:  # parabolic refinement of the peak
        a, b, c = np.log(power[k - 1:k + 2] + 1e-300)
        k = k + 0.5 * (a - c) / (a - 2 * b + c)
    return float(120.0 * k * fps / size)

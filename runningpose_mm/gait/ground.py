"""The highest curve under a bound whose upward curvature is limited.

Used by the gait events: the ground under a runner seen from the pelvis never rises
faster than gravity lets the pelvis fall, and in flight it rises exactly that fast.
"""
from typing import Optional

import numpy as np

from ..mocap.timeseries import gap_runs


def highest_curve_below(upper: np.ndarray, max_second_difference: float,
                        at_bound: Optional[np.ndarray] = None) -> np.ndarray:
    """The highest sequence y with ``y <= upper`` whose second difference
    ``y[t-1] - 2 y[t] + y[t+1]`` is at most ``max_second_difference``.

    Solved as a linear programme (maximise the sum of y; HiGHS) per run of finite
    ``upper``: the solution touches ``upper`` where it bends within the bounds and
    bridges the rest with parabolas of the extreme allowed curvature.

    Args:
        upper (np.ndarray): (T,) upper bound; NaN splits the sequence (NaN out).
        max_second_difference (float): upper bound on the second difference (same unit
            as ``upper``; a curvature c per s^2 at rate r Hz is c / r^2).
        at_bound (np.ndarray): (T,) bool, optional: samples where the second difference
            must equal the bound (the curve is known to bend exactly that much there).

    Returns:
        np.ndarray: (T,) the curve.
    """
    from scipy import sparse
    from scipy.optimize import linprog
    upper = np.asarray(upper, dtype=np.float64)
    out = np.full(len(upper), np.nan)
    for a, b in gap_runs(np.isfinite(upper)):
        n = b - a
        if n < 3:
            out[a:b] = upper[a:b]
            continue
        second = sparse.diags([np.ones(n - 2), -2 * np.ones(n - 2), np.ones(n - 2)],
                              [0, 1, 2], shape=(n - 2, n))
        exact = {}
        if at_bound is not None and np.asarray(at_bound)[a + 1:b - 1].any():
            rows = np.flatnonzero(np.asarray(at_bound)[a + 1:b - 1])
            exact = dict(A_eq=second.tocsr()[rows],
                         b_eq=np.full(len(rows), max_second_difference))
        result = linprog(-np.ones(n), A_ub=sparse.vstack([sparse.eye(n), second]).tocsr(),
                         b_ub=np.concatenate([upper[a:b],
                                              np.full(n - 2, max_second_difference)]),
                         bounds=[(None, None)] * n, method='highs', **exact)
        if result.status != 0:
            raise RuntimeError(f'highest_curve_below: the linear programme failed '
                               f'({result.message})')
        out[a:b] = result.x
    return out

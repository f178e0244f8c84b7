"""Squared norm compiled by Numba: one loop, accumulated in float64, one thread.

``fastmath={"reassoc"}`` lets LLVM reorder the additions into several SIMD partial
sums, the one change that frees the loop from waiting on each addition in turn; it
allows nothing else (no fused multiply-add, no assumptions about NaN). Elements are
widened to float64 before squaring, so float32 inputs are summed in double precision.
"""

import numpy as np
from numba import njit


@njit(nogil=True, fastmath={"reassoc"})
def _norm_squared(v):
    total = 0.0
    for i in range(v.size):
        x = np.float64(v[i])
        total += x * x
    return total


def compute(v: np.ndarray) -> float:
    """The sum of the squares of the elements of ``v``."""
    return _norm_squared(v)

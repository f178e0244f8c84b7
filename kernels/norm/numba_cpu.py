"""Squared norm compiled by Numba: one loop, accumulated in float64, one thread."""

import numpy as np
from numba import njit

from ._numba_sum import FASTMATH, norm_squared

_norm_squared = njit(nogil=True, fastmath=FASTMATH)(norm_squared)


def compute(v: np.ndarray) -> float:
    """The sum of the squares of the elements of ``v``."""
    return _norm_squared(v)

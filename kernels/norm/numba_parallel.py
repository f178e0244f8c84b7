"""Squared norm with Numba ``prange``: each thread sums its share, then the shares are added."""

import numpy as np
from numba import njit

from ._numba_sum import FASTMATH, norm_squared

_norm_squared = njit(parallel=True, nogil=True, fastmath=FASTMATH)(norm_squared)


def compute(v: np.ndarray) -> float:
    """The sum of the squares of the elements of ``v``, on every thread Numba has."""
    return _norm_squared(v)

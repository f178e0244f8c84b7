"""Squared norm with Numba ``prange``: each thread sums its share, then the shares are added.

Numba recognises ``total +=`` in a ``prange`` loop as a reduction: every thread keeps
its own partial sum (vectorised as in ``numba_cpu``) and they are combined at the end.
"""

import numpy as np
from numba import njit, prange


@njit(parallel=True, nogil=True, fastmath={"reassoc"})
def _norm_squared(v):
    total = 0.0
    for i in prange(v.size):
        x = np.float64(v[i])
        total += x * x
    return total


def compute(v: np.ndarray) -> float:
    """The sum of the squares of the elements of ``v``, on every thread Numba has."""
    return _norm_squared(v)

"""Julia set compiled by Numba in nopython mode: the book's loop, one point at a time."""

import numpy as np
from numba import njit


@njit(nogil=True)
def _iterate(zs, c, max_iter, out):
    for i in range(zs.size):
        z = zs[i]
        n = 0
        while abs(z) < 2 and n < max_iter:
            z = z * z + c
            n += 1
        out[i] = n


def compute(zs, c, max_iter):
    """Iteration count per starting point (int32 array)."""
    out = np.empty(zs.size, dtype=np.int32)
    _iterate(zs, zs.dtype.type(c), max_iter, out)
    return out

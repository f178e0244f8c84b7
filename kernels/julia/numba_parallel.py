"""Julia set with Numba ``prange``, scheduled in small chunks.

Points inside the set cost ``max_iter`` iterations and points outside only a few,
so equal contiguous shares per thread would leave threads idle. Small chunks
handed out dynamically (``numba.parallel_chunksize``) balance the load.
"""

import numpy as np
from numba import njit, parallel_chunksize, prange

CHUNK_POINTS = 512


@njit(parallel=True, nogil=True)
def _iterate(zs, c, max_iter, out):
    for i in prange(zs.size):
        z = zs[i]
        n = 0
        while abs(z) < 2 and n < max_iter:
            z = z * z + c
            n += 1
        out[i] = n


def compute(zs, c, max_iter):
    """Iteration count per starting point (int32 array), on every thread Numba has."""
    out = np.empty(zs.size, dtype=np.int32)
    with parallel_chunksize(CHUNK_POINTS):
        _iterate(zs, zs.dtype.type(c), max_iter, out)
    return out

"""Julia set in Numba with ``abs(z) < 2``: the book's first Numba step, a named variant.

The book's pure-Python loop compiled as it stands (complex ``z``, ``abs``): each step
pays a ``hypot`` call for the escape test. ``numba_cpu`` is the same loop with the
expanded math; compare the two to see what the step is worth (``VARIANTS``).
"""

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

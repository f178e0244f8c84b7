"""Matrix multiply with Numba ``prange``: blocks of rows of C shared out among the threads.

Each block of ``ROW_BLOCK`` rows is numba_cpu's cache-blocked i-k-j loop; rows cost
the same, so Numba's default equal shares balance the load. Threads write disjoint
rows of C, so they need no synchronisation.
"""

import numpy as np
from numba import njit, prange

from .numba_cpu import ROW_BLOCK, multiply_rows


@njit(parallel=True, nogil=True)
def _multiply(a, b, c):
    rows = a.shape[0]
    for block in prange((rows + ROW_BLOCK - 1) // ROW_BLOCK):
        first_row = block * ROW_BLOCK
        multiply_rows(a, b, c, first_row, min(first_row + ROW_BLOCK, rows))


def compute(a, b):
    """The product of ``a`` and ``b`` (a new array of their dtype), on every thread Numba has."""
    c = np.zeros((a.shape[0], b.shape[1]), dtype=a.dtype)
    _multiply(a, b, c)
    return c

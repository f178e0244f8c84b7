"""Matrix multiply compiled by Numba: a cache-blocked i-k-j loop, as one writes it by hand.

``np.dot`` inside Numba would call BLAS (measured already by the ``numpy`` backend);
this is the loop Numba itself compiles. The innermost loop runs along a row of B and
a row of C (unit stride, so LLVM vectorises it), adding a[i, k] * b[k, :] to c[i, :].
Blocking keeps a K_BLOCK x J_BLOCK panel of B in the L2 cache while every row of A
passes over it, and the slice of c[i, :] being updated in the L1 cache.
``fastmath={"contract"}`` lets LLVM fuse the multiply and the add into one FMA (nothing
else): exact either way for the kernel's whole-number inputs, and half the instructions.
"""

import numpy as np
from numba import njit

#: Rows of C per task (numba_parallel shares these out among threads).
ROW_BLOCK = 64
#: A K_BLOCK x J_BLOCK panel of B: 512 KiB in float64, within a core's L2 cache.
K_BLOCK = 128
J_BLOCK = 512


@njit(nogil=True, fastmath={"contract"})
def multiply_rows(a, b, c, first_row, last_row):
    """Add rows ``first_row`` .. ``last_row - 1`` of ``a @ b`` into ``c``."""
    inner, columns = b.shape
    for j0 in range(0, columns, J_BLOCK):
        j1 = min(j0 + J_BLOCK, columns)
        for k0 in range(0, inner, K_BLOCK):
            k1 = min(k0 + K_BLOCK, inner)
            for i in range(first_row, last_row):
                c_row = c[i, j0:j1]
                for k in range(k0, k1):
                    a_ik = a[i, k]
                    b_row = b[k, j0:j1]
                    for j in range(c_row.size):
                        c_row[j] += a_ik * b_row[j]


@njit(nogil=True)
def _multiply(a, b, c):
    for first_row in range(0, a.shape[0], ROW_BLOCK):
        multiply_rows(a, b, c, first_row, min(first_row + ROW_BLOCK, a.shape[0]))


def compute(a, b):
    """The product of ``a`` and ``b`` (a new array of their dtype)."""
    c = np.zeros((a.shape[0], b.shape[1]), dtype=a.dtype)
    _multiply(a, b, c)
    return c

"""The sum of squares shared by the Numba CPU implementations of norm.

``numba_cpu`` and ``numba_parallel`` compile the same :func:`norm_squared` source, the
first without ``parallel=True`` (where Numba runs ``prange`` as a plain ``range``), the
second with it: each thread then keeps its own partial sum of ``total +=`` (a ``prange``
reduction) and the partial sums are added at the end.

Both compile with ``fastmath={"reassoc"}``, which lets LLVM reorder the additions into
several SIMD partial sums, the one change that frees the loop from waiting on each
addition in turn; it allows nothing else (no fused multiply-add, no assumptions about
NaN). Elements are widened to float64 before squaring, so float32 inputs are summed in
double precision.
"""

import numpy as np
from numba import prange

#: The Numba options both implementations compile with.
FASTMATH = {"reassoc"}


def norm_squared(v):
    """The sum of the squares of the elements of ``v``, accumulated in float64."""
    total = 0.0
    for i in prange(v.size):
        x = np.float64(v[i])
        total += x * x
    return total

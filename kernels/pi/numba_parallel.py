"""Monte Carlo pi with Numba ``prange``: blocks of darts shared out among the threads.

Every dart costs the same, so equal blocks balance the load; each block is counted
by numba_cpu's compiled loop and the block counts are summed (a ``prange`` reduction).
"""

import numpy as np
from numba import njit, prange

from .numba_cpu import count_inside

BLOCK_DARTS = 1 << 16


@njit(parallel=True, nogil=True)
def _count_blocks(samples, seed):
    blocks = (samples + BLOCK_DARTS - 1) // BLOCK_DARTS
    inside = 0
    for block in prange(blocks):
        first = block * BLOCK_DARTS
        inside += count_inside(first, min(first + BLOCK_DARTS, samples), seed)
    return inside


def compute(samples, seed):
    """The number of ``samples`` darts inside the quarter circle, on every thread Numba has."""
    return int(_count_blocks(samples, seed.view(np.uint64)[0]))

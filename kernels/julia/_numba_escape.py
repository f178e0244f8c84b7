"""The escape loop shared by the Numba CPU implementations of Julia.

``numba_cpu`` and ``numba_parallel`` compile the same :func:`iterate` source, the first
without ``parallel=True`` (Numba then runs ``prange`` as a plain ``range``), the second
with it.

The iteration is the book's expanded math (Table 7-2): real and imaginary parts by hand
and the escape test ``zr*zr + zi*zi < 4``, whose two squares are the ones the next step
needs anyway, so one step costs three multiplies and five adds. ``abs(z) < 2`` costs a
``hypot`` call per step on top (the named variant ``numba_abs`` keeps it, to show the
step; 0.23 -> 0.09 s at the book's size). ``zi = 2*zr*zi + ci`` is written
``t + t`` with ``t = zr*zi``: the same value as the reference's ``zr*zi + zi*zr`` (the two
products are equal and doubling is exact) and no float literal that would promote a
complex64 grid's float32 arithmetic to float64.

Load balance: rows inside the set cost ``max_iter`` steps and rows outside a few, so the
points are cut into blocks of ``BLOCK_POINTS`` and the blocks dealt to ``lanes`` lanes in
turn (block b to lane b mod lanes). ``prange`` gives each thread an equal run of lanes,
that is an even sample of blocks from the whole grid: a static schedule that is balanced
without a work queue.
"""

import numba
import numpy as np
from numba import njit, prange

#: 256 complex128 points: 4 KiB, a quarter of a row at the book's size.
BLOCK_POINTS = 256
#: Lanes per thread for numba_parallel: a thread gets this many interleaved lanes.
LANES_PER_THREAD = 8


@njit(nogil=True)
def escape_count(zr, zi, cr, ci, max_iter, four):
    """Steps of z <- z*z + c from z = zr + i*zi while |z|^2 < 4, at most ``max_iter``."""
    zr2 = zr * zr
    zi2 = zi * zi
    n = 0
    while n < max_iter and zr2 + zi2 < four:
        twice = zr * zi
        zi = twice + twice + ci
        zr = zr2 - zi2 + cr
        zr2 = zr * zr
        zi2 = zi * zi
        n += 1
    return n


def iterate(zs, cr, ci, max_iter, out, four, lanes):
    """Write the escape count of every point of ``zs`` into ``out``, block b by lane b % lanes."""
    size = zs.size
    blocks = (size + BLOCK_POINTS - 1) // BLOCK_POINTS
    for lane in prange(lanes):
        for block in range(lane, blocks, lanes):
            for i in range(block * BLOCK_POINTS, min((block + 1) * BLOCK_POINTS, size)):
                z = zs[i]
                out[i] = escape_count(z.real, z.imag, cr, ci, max_iter, four)


def compute_with(compiled_iterate, parallel: bool):
    """A ``compute(zs, c, max_iter)`` that runs ``compiled_iterate`` (an :func:`iterate`)."""

    def compute(zs: np.ndarray, c: complex, max_iter: int) -> np.ndarray:
        """Iteration count per starting point (int32 array)."""
        real = np.empty(0, zs.dtype).real.dtype.type  # float64 or float32
        out = np.empty(zs.size, dtype=np.int32)
        lanes = LANES_PER_THREAD * numba.get_num_threads() if parallel else 1
        compiled_iterate(zs, real(c.real), real(c.imag), max_iter, out, real(4), lanes)
        return out

    return compute

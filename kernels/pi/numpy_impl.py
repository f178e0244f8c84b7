"""Monte Carlo pi with NumPy: darts in slices, every step of the generator in place.

The book's NumPy version draws all darts into two big arrays; here a slice of
darts small enough for the L2 cache is generated and tested at a time, into
buffers allocated once, so the generator's ten array operations per coordinate run
from cache instead of from memory. uint64 arrays wrap on overflow, as the generator needs.
"""

import numpy as np

from . import COORDINATE_BITS, GAMMA, MIX1, MIX2, RADIUS_SQUARED

SLICE_DARTS = 1 << 14
_GAMMA, _MIX1, _MIX2 = np.uint64(GAMMA), np.uint64(MIX1), np.uint64(MIX2)
_SHIFT = np.uint64(64 - COORDINATE_BITS)


def _mix(z, scratch):
    """SplitMix64's output function applied to ``z`` in place."""
    for shift, multiplier in ((30, _MIX1), (27, _MIX2)):
        np.right_shift(z, np.uint64(shift), out=scratch)
        z ^= scratch
        z *= multiplier
    np.right_shift(z, np.uint64(31), out=scratch)
    z ^= scratch


def compute(samples, seed):
    """The number of ``samples`` darts inside the quarter circle (an int)."""
    # Dart i's x is output 2i, the stream's state seed + (2i + 1) * GAMMA; its y the next.
    seed = int(seed.view(np.uint64)[0])
    offsets = np.arange(SLICE_DARTS, dtype=np.uint64) * np.uint64(2 * GAMMA % 2**64)
    x, y, scratch = (np.empty(SLICE_DARTS, dtype=np.uint64) for _ in range(3))
    inside = 0
    for first in range(0, samples, SLICE_DARTS):
        n = min(SLICE_DARTS, samples - first)
        xs, ys, tmp = x[:n], y[:n], scratch[:n]
        np.add(offsets[:n], np.uint64((seed + (2 * first + 1) * GAMMA) % 2**64), out=xs)
        np.add(xs, _GAMMA, out=ys)
        for coordinate in (xs, ys):
            _mix(coordinate, tmp)
            coordinate >>= _SHIFT
            coordinate *= coordinate
        xs += ys
        inside += n - int(np.count_nonzero(xs >= np.uint64(RADIUS_SQUARED)))
    return inside

"""Monte Carlo pi compiled by Numba: one loop over the darts, the generator inlined.

Each dart jumps straight to its own two outputs of the SplitMix64 stream, so the
loop carries no state from one dart to the next and LLVM vectorises it (64-bit
multiplies in SIMD lanes where the CPU has them).
"""

import numpy as np
from numba import njit

from . import COORDINATE_BITS, GAMMA, MIX1, MIX2, RADIUS_SQUARED

_GAMMA, _MIX1, _MIX2 = np.uint64(GAMMA), np.uint64(MIX1), np.uint64(MIX2)
_SHIFT = np.uint64(64 - COORDINATE_BITS)
_R2 = np.uint64(RADIUS_SQUARED)
_ONE, _S27, _S30, _S31 = np.uint64(1), np.uint64(27), np.uint64(30), np.uint64(31)


@njit(nogil=True)
def count_inside(first, last, seed):
    """How many of darts ``first`` .. ``last - 1`` of the stream ``seed`` land inside."""
    inside = 0
    for i in range(first, last):
        squared = np.uint64(0)
        for c in range(2):  # x, then y: outputs 2i and 2i + 1 of the stream
            z = seed + (np.uint64(2 * i + c) + _ONE) * _GAMMA
            z = (z ^ (z >> _S30)) * _MIX1
            z = (z ^ (z >> _S27)) * _MIX2
            coordinate = (z ^ (z >> _S31)) >> _SHIFT
            squared += coordinate * coordinate
        if squared < _R2:
            inside += 1
    return inside


def compute(samples, seed):
    """The number of ``samples`` darts inside the quarter circle (an int)."""
    return int(count_inside(0, samples, seed.view(np.uint64)[0]))

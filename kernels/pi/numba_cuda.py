"""Monte Carlo pi as a Numba CUDA kernel: per-thread counts, summed per block, then globally.

Each thread walks its darts in a grid-stride loop, jumping to each dart's two
outputs of the SplitMix64 stream, and counts in a register. A block adds its
threads' counts in shared memory and one thread per block adds the block's total
to the result, so global atomics number the blocks, not the threads or the darts.
The grid comes from :func:`accel.kernels._cuda.launch_config`.
"""

import numpy as np
from numba import cuda

from .._cuda import launch_config
from .._numba_cuda import numba_reset
from . import COORDINATE_BITS, GAMMA, MIX1, MIX2, RADIUS_SQUARED

_GAMMA, _MIX1, _MIX2 = np.uint64(GAMMA), np.uint64(MIX1), np.uint64(MIX2)
_SHIFT = np.uint64(64 - COORDINATE_BITS)
_R2 = np.uint64(RADIUS_SQUARED)
_ONE, _S27, _S30, _S31 = np.uint64(1), np.uint64(27), np.uint64(30), np.uint64(31)


@cuda.jit
def count_inside(samples, seed, total):
    """Add the number of darts inside to ``total[0]``; ``seed`` is ``[bits]`` (int64)."""
    block_total = cuda.shared.array(1, dtype=np.int64)
    if cuda.threadIdx.x == 0:
        block_total[0] = 0
    cuda.syncthreads()
    stream = np.uint64(seed[0])
    inside = 0
    for i in range(cuda.grid(1), samples, cuda.gridsize(1)):
        squared = np.uint64(0)
        for c in range(2):  # x, then y: outputs 2i and 2i + 1 of the stream
            z = stream + (np.uint64(2 * i + c) + _ONE) * _GAMMA
            z = (z ^ (z >> _S30)) * _MIX1
            z = (z ^ (z >> _S27)) * _MIX2
            coordinate = (z ^ (z >> _S31)) >> _SHIFT
            squared += coordinate * coordinate
        if squared < _R2:
            inside += 1
    cuda.atomic.add(block_total, 0, inside)
    cuda.syncthreads()
    if cuda.threadIdx.x == 0:
        cuda.atomic.add(total, 0, block_total[0])


def workspace(samples, seed):
    """The one-element count, allocated once per run so that a timed call allocates nothing."""
    return {"total": cuda.device_array(1, dtype=np.int64)}


def compute(samples, seed, total=None):
    """The number of ``samples`` darts inside the quarter circle (a 1-element device array:
    ``total``, zeroed on the device first, where given)."""
    if total is None:
        total = workspace(samples, seed)["total"]
    numba_reset(total)
    blocks, threads = launch_config(samples)
    count_inside[blocks, threads](samples, seed, total)
    return total

"""Squared norm with Numba CUDA: grid-stride partial sums, a block reduction, one atomic per block.

Each thread sums the squares of elements ``start, start + stride, ...`` in the input's
dtype; the block's threads then halve their partial sums pairwise in shared memory
(any whole number of warps works, not only powers of two), and thread 0 adds the
block's total to the one-element result with ``cuda.atomic.add``. The result lives in a
buffer from :func:`workspace` (allocated once per run) and is zeroed on the device at
each call: no allocation and no copy from the host inside a call.
"""

import functools

import numba
import numpy as np
from numba import cuda

from .._cuda import launch_config
from .._numba_cuda import numba_reset

#: Shared memory is sized for the largest block any NVIDIA GPU allows.
MAX_THREADS_PER_BLOCK = 1024


@functools.cache
def _kernel(dtype: np.dtype):
    """The reduction kernel for ``dtype`` (shared arrays need their type at compile time)."""
    element = numba.from_dtype(dtype)

    @cuda.jit
    def norm_squared(v, out):
        partials = cuda.shared.array(MAX_THREADS_PER_BLOCK, element)
        total = element(0)
        for i in range(cuda.grid(1), v.size, cuda.gridsize(1)):
            total += v[i] * v[i]
        thread, threads = cuda.threadIdx.x, cuda.blockDim.x
        partials[thread] = total
        cuda.syncthreads()
        half = 1
        while half * 2 < threads:
            half *= 2
        while half > 0:
            if thread < half and thread + half < threads:
                partials[thread] += partials[thread + half]
            cuda.syncthreads()
            half //= 2
        if thread == 0:
            cuda.atomic.add(out, 0, partials[0])

    return norm_squared


def workspace(v):
    """The one-element result, allocated once per run so that a timed call allocates nothing."""
    return {"out": cuda.device_array(1, dtype=v.dtype)}


def compute(v, out=None):
    """The sum of the squares of the elements of ``v``, as a one-element device array
    (``out``, zeroed on the device first, where given)."""
    if out is None:
        out = workspace(v)["out"]
    numba_reset(out)
    blocks, threads = launch_config(max(v.size, 1))
    _kernel(v.dtype)[blocks, threads](v, out)
    return out

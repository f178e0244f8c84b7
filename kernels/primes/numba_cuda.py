"""Primes by trial division as a Numba CUDA kernel: one thread per number, grid-stride.

Each thread tests its numbers and counts the primes in a register; a block adds
its threads' counts in shared memory and one thread per block adds the block's
total to the result. Threads of a warp that hold a prime keep dividing while their
neighbours with composites wait: the uneven cost shows up as warp divergence.
64-bit integer division is slow on a GPU; NVVM takes each remainder in 32 bits when
both operands fit (a run-time check it inserts itself). The grid comes from
:func:`accel.kernels._cuda.launch_config`.
"""

import numpy as np
from numba import cuda

from .._cuda import launch_config
from .._numba_cuda import numba_reset


@cuda.jit
def count_primes(numbers, total):
    """Add how many of ``numbers`` are prime to ``total[0]``."""
    block_total = cuda.shared.array(1, dtype=np.int64)
    if cuda.threadIdx.x == 0:
        block_total[0] = 0
    cuda.syncthreads()
    count = 0
    for i in range(cuda.grid(1), numbers.size, cuda.gridsize(1)):
        n = numbers[i]
        prime = n == 2 or (n > 2 and n % 2 == 1)
        divisor = 3
        while prime and divisor * divisor <= n:
            prime = n % divisor != 0
            divisor += 2
        if prime:
            count += 1
    cuda.atomic.add(block_total, 0, count)
    cuda.syncthreads()
    if cuda.threadIdx.x == 0:
        cuda.atomic.add(total, 0, block_total[0])


def workspace(numbers):
    """The one-element count, allocated once per run so that a timed call allocates nothing."""
    return {"total": cuda.device_array(1, dtype=np.int64)}


def compute(numbers, total=None):
    """How many of ``numbers`` (an int64 device array) are prime (a 1-element device array:
    ``total``, zeroed on the device first, where given)."""
    if total is None:
        total = workspace(numbers)["total"]
    numba_reset(total)
    blocks, threads = launch_config(max(1, numbers.size))
    count_primes[blocks, threads](numbers, total)
    return total

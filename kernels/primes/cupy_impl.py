"""Primes by trial division in CuPy: the CUDA C kernel of ``primes.cu``, as a RawKernel.

The kernel is compiled by NVRTC on first use (CuPy caches it on disk); the grid
comes from :func:`accel.kernels._cuda.launch_config` for the current device.
"""

from pathlib import Path

import cupy
import numpy as np

from .._cuda import cupy_device_limits, cupy_function, launch_config

SOURCE = Path(__file__).with_name("primes.cu")


def workspace(numbers):
    """The one-element count, allocated once per run (a timed call allocates nothing)."""
    return {"total": cupy.empty(1, dtype=np.uint64)}


def compute(numbers, total=None):
    """How many of ``numbers`` (an int64 cupy array) are prime (a 1-element uint64 array:
    ``total``, zeroed on the device first, where given)."""
    total = workspace(numbers)["total"] if total is None else total
    total.fill(0)
    blocks, threads = launch_config(max(1, numbers.size), cupy_device_limits())
    cupy_function(SOURCE, "primes_count")(
        (blocks,), (threads,), (numbers, np.int64(numbers.size), total)
    )
    return total

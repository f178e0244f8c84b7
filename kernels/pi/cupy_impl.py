"""Monte Carlo pi in CuPy: the CUDA C kernel of ``pi.cu``, launched as a RawKernel.

The kernel is compiled by NVRTC on first use (CuPy caches it on disk); the grid
comes from :func:`accel.kernels._cuda.launch_config` for the current device.
"""

from pathlib import Path

import cupy
import numpy as np

from .._cuda import cupy_device_limits, cupy_function, launch_config

SOURCE = Path(__file__).with_name("pi.cu")


def workspace(samples, seed):
    """The one-element count, allocated once per run (a timed call allocates nothing)."""
    return {"total": cupy.empty(1, dtype=np.uint64)}


def compute(samples, seed, total=None):
    """The number of ``samples`` darts inside the quarter circle (a 1-element uint64 array:
    ``total``, zeroed on the device first, where given)."""
    total = workspace(samples, seed)["total"] if total is None else total
    total.fill(0)
    blocks, threads = launch_config(samples, cupy_device_limits())
    cupy_function(SOURCE, "pi_count_inside")(
        (blocks,), (threads,), (np.int64(samples), seed, total)
    )
    return total

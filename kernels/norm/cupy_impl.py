"""Squared norm with CuPy: the CUDA C reduction kernel in ``norm.cu``."""

from pathlib import Path

import cupy
import numpy as np

from .._cuda import cupy_device_limits, cupy_function, launch_config

SOURCE = Path(__file__).with_name("norm.cu")
KERNELS = {
    np.dtype(np.float64): "norm_squared_float64",
    np.dtype(np.float32): "norm_squared_float32",
}


def compute(v: cupy.ndarray) -> cupy.ndarray:
    """The sum of the squares of the elements of ``v``, as a one-element CuPy array."""
    out = cupy.zeros(1, dtype=v.dtype)
    blocks, threads = launch_config(max(v.size, 1), cupy_device_limits())
    cupy_function(SOURCE, KERNELS[v.dtype])((blocks,), (threads,), (v, np.int64(v.size), out))
    return out

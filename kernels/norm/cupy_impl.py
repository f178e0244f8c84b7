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


def workspace(v: cupy.ndarray) -> dict[str, cupy.ndarray]:
    """The one-element result, allocated once per run (a timed call allocates nothing)."""
    return {"out": cupy.empty(1, dtype=v.dtype)}


def compute(v: cupy.ndarray, out: cupy.ndarray | None = None) -> cupy.ndarray:
    """The sum of the squares of the elements of ``v``, as a one-element CuPy array
    (``out``, zeroed on the device first, where given)."""
    out = workspace(v)["out"] if out is None else out
    out.fill(0)
    blocks, threads = launch_config(max(v.size, 1), cupy_device_limits())
    cupy_function(SOURCE, KERNELS[v.dtype])((blocks,), (threads,), (v, np.int64(v.size), out))
    return out

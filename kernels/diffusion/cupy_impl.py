"""2D diffusion with CuPy: the CUDA C kernel in ``diffusion.cu``, one launch per step."""

from pathlib import Path

import cupy
import numpy as np

from .._cuda import cupy_device_limits, cupy_function, launch_config

SOURCE = Path(__file__).with_name("diffusion.cu")
KERNELS = {
    np.dtype(np.float64): "diffusion_step_float64",
    np.dtype(np.float32): "diffusion_step_float32",
}


def compute(grid: cupy.ndarray, steps: int, dt: float, D: float) -> cupy.ndarray:
    """The grid after ``steps`` steps, as a new CuPy array of the input's dtype."""
    kernel = cupy_function(SOURCE, KERNELS[grid.dtype])
    current, spare = grid.copy(), cupy.empty_like(grid)
    rows, cols = grid.shape
    blocks, threads = launch_config(grid.size, cupy_device_limits())
    arguments = (np.int64(rows), np.int64(cols), grid.dtype.type(dt * D))
    for _ in range(steps):
        kernel((blocks,), (threads,), (current, spare, *arguments))
        current, spare = spare, current
    return current

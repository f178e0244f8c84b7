"""2D diffusion with CuPy: the CUDA C kernel in ``diffusion.cu``, one launch per step.

The two buffers the steps alternate between come from :func:`workspace`, allocated once
per run; the first step reads the input grid itself, so a timed call neither allocates
nor copies it.
"""

from pathlib import Path

import cupy
import numpy as np

from .._cuda import cupy_device_limits, cupy_function, launch_config

SOURCE = Path(__file__).with_name("diffusion.cu")
KERNELS = {
    np.dtype(np.float64): "diffusion_step_float64",
    np.dtype(np.float32): "diffusion_step_float32",
}


def workspace(grid, steps, dt, D):
    """The two buffers the steps alternate between, allocated once per run."""
    return {"buffers": (cupy.empty_like(grid), cupy.empty_like(grid))}


def compute(grid: cupy.ndarray, steps: int, dt: float, D: float, buffers=None) -> cupy.ndarray:
    """The grid after ``steps`` steps, in one of ``buffers`` (two CuPy arrays shaped like
    the grid; new ones where not given). The input is never changed."""
    current, spare = buffers if buffers is not None else workspace(grid, steps, dt, D)["buffers"]
    return launch_steps(grid, steps, dt * D, current, spare)


def launch_steps(
    grid: cupy.ndarray, steps: int, factor: float, current: cupy.ndarray, spare: cupy.ndarray
) -> cupy.ndarray:
    """Queue ``steps`` steps from ``grid`` on the current stream, alternating between
    ``current`` and ``spare``; returns the one the last step writes (``cupy_graph``
    captures exactly these launches)."""
    if steps == 0:
        current[...] = grid  # device to device
        return current
    kernel = cupy_function(SOURCE, KERNELS[grid.dtype])
    rows, cols = grid.shape
    blocks, threads = launch_config(grid.size, cupy_device_limits())
    arguments = (np.int64(rows), np.int64(cols), grid.dtype.type(factor))
    kernel((blocks,), (threads,), (grid, current, *arguments))
    for _ in range(steps - 1):
        kernel((blocks,), (threads,), (current, spare, *arguments))
        current, spare = spare, current
    return current

"""2D diffusion in C (``c_native.c``), called through ctypes (built as ``_native`` describes).

The same declaration serves ``c_native`` (serial, the baseline Numba is measured
against) and ``c_openmp`` (each step's rows shared among threads).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from .._native import DOUBLE, FLOAT, INT, INT64, POINTER, CFunction, NativeFunctions, pointer

NATIVE = NativeFunctions(
    Path(__file__).with_name("c_native.c"),
    {
        np.dtype(dtype): CFunction(name, (POINTER,) * 3 + (INT64,) * 3 + (value,), INT)
        for dtype, name, value in (
            (np.float64, "diffusion_float64", DOUBLE),
            (np.float32, "diffusion_float32", FLOAT),
        )
    },
)


def compute_with(native: NativeFunctions) -> Callable[..., np.ndarray]:
    """A ``compute`` that calls ``native``'s serial or OpenMP library."""

    def compute(grid: np.ndarray, steps: int, dt: float, D: float) -> np.ndarray:
        """The grid after ``steps`` steps, as a new array of the input's dtype."""
        grid = np.ascontiguousarray(grid)
        if steps == 0:
            return grid.copy()
        buffers = (np.empty_like(grid), np.empty_like(grid))
        rows, cols = grid.shape
        which = native[grid.dtype](
            pointer(grid), pointer(buffers[0]), pointer(buffers[1]), rows, cols, steps, dt * D
        )
        return buffers[which]

    return compute


compute = compute_with(NATIVE)

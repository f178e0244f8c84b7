"""2D diffusion in C (``c_native.c``), compiled at first call and called through ctypes.

The same source serves ``c_native`` (serial, the baseline Numba is measured
against) and ``c_openmp`` (built with ``-fopenmp``, each step's rows shared among
threads). The library is compiled, or found in the cache, on the first call, so the
run record's first-call time includes compiling, as Numba's includes JIT compiling.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .._native import load_library, pointer

SOURCE = Path(__file__).with_name("c_native.c")
#: NumPy dtype of the grid -> (C function, C type of one value).
FUNCTIONS = {
    np.dtype(np.float64): ("diffusion_float64", ctypes.c_double),
    np.dtype(np.float32): ("diffusion_float32", ctypes.c_float),
}


def _declare(library: ctypes.CDLL) -> dict[np.dtype, Callable[..., int]]:
    """The library's functions by dtype, with their C signatures declared."""
    declared = {}
    for dtype, (name, value) in FUNCTIONS.items():
        function = getattr(library, name)
        function.argtypes = [ctypes.c_void_p] * 3 + [ctypes.c_int64] * 3 + [value]
        function.restype = ctypes.c_int
        declared[dtype] = function
    return declared


def compute_with(openmp: bool) -> Callable[..., np.ndarray]:
    """A ``compute`` that builds (once) and calls the serial or the OpenMP library."""
    functions: dict[np.dtype, Callable[..., int]] = {}

    def compute(grid: np.ndarray, steps: int, dt: float, D: float) -> np.ndarray:
        """The grid after ``steps`` steps, as a new array of the input's dtype."""
        if not functions:
            functions.update(_declare(load_library(SOURCE, openmp=openmp)))
        grid = np.ascontiguousarray(grid)
        if steps == 0:
            return grid.copy()
        buffers = (np.empty_like(grid), np.empty_like(grid))
        rows, cols = grid.shape
        function = functions[grid.dtype]
        which = function(
            pointer(grid), pointer(buffers[0]), pointer(buffers[1]), rows, cols, steps, dt * D
        )
        return buffers[which]

    return compute


compute = compute_with(openmp=False)

"""Matrix multiply in C (``c_native.c``), compiled at first call and called through ctypes.

The same source serves ``c_native`` (serial, the baseline Numba is measured
against) and ``c_openmp`` (built with ``-fopenmp``, blocks of rows per thread).
The library is compiled, or found in the cache, on the first call, so the run
record's first-call time includes compiling, as Numba's includes JIT compiling.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .._native import load_library, pointer

SOURCE = Path(__file__).with_name("c_native.c")
#: NumPy dtype of the matrices -> the C function for it.
FUNCTIONS = {np.dtype(np.float64): "matmul_float64", np.dtype(np.float32): "matmul_float32"}


def compute_with(openmp: bool) -> Callable[..., np.ndarray]:
    """A ``compute`` that builds (once) and calls the serial or the OpenMP library."""
    functions: dict[np.dtype, Callable[..., None]] = {}

    def compute(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """The product of the square matrices ``a`` and ``b`` (a new array of their dtype)."""
        if not functions:
            library = load_library(SOURCE, openmp=openmp)
            for dtype, name in FUNCTIONS.items():
                function = getattr(library, name)
                function.argtypes = [ctypes.c_void_p] * 3 + [ctypes.c_int64]
                function.restype = None
                functions[dtype] = function
        a, b = np.ascontiguousarray(a), np.ascontiguousarray(b)
        c = np.zeros(a.shape, dtype=a.dtype)
        functions[a.dtype](pointer(a), pointer(b), pointer(c), a.shape[0])
        return c

    return compute


compute = compute_with(openmp=False)

"""Squared norm in C (``c_native.c``), compiled at first call and called through ctypes.

The same source serves ``c_native`` (serial, the baseline Numba is measured
against) and ``c_openmp`` (built with ``-fopenmp``, blocks shared among threads).
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
#: NumPy dtype of the vector -> C function.
FUNCTIONS = {
    np.dtype(np.float64): "norm_squared_float64",
    np.dtype(np.float32): "norm_squared_float32",
}


def _declare(library: ctypes.CDLL) -> dict[np.dtype, Callable[..., float]]:
    """The library's functions by dtype, with their C signatures declared."""
    declared = {}
    for dtype, name in FUNCTIONS.items():
        function = getattr(library, name)
        function.argtypes = [ctypes.c_void_p, ctypes.c_int64]
        function.restype = ctypes.c_double
        declared[dtype] = function
    return declared


def compute_with(openmp: bool) -> Callable[..., float]:
    """A ``compute`` that builds (once) and calls the serial or the OpenMP library."""
    functions: dict[np.dtype, Callable[..., float]] = {}

    def compute(v: np.ndarray) -> float:
        """The sum of the squares of the elements of ``v``."""
        if not functions:
            functions.update(_declare(load_library(SOURCE, openmp=openmp)))
        v = np.ascontiguousarray(v)
        return functions[v.dtype](pointer(v), v.size)

    return compute


compute = compute_with(openmp=False)

"""Julia set in C (``c_native.c``), compiled at first call and called through ctypes.

The same source serves ``c_native`` (serial, the baseline Numba is measured
against) and ``c_openmp`` (built with ``-fopenmp``, dynamic chunks of points).
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
#: NumPy dtype of the points -> (C function, C type of one real part).
FUNCTIONS = {
    np.dtype(np.complex128): ("julia_complex128", ctypes.c_double),
    np.dtype(np.complex64): ("julia_complex64", ctypes.c_float),
}


def _declare(library: ctypes.CDLL) -> dict[np.dtype, Callable[..., None]]:
    """The library's functions by dtype, with their C signatures declared."""
    declared = {}
    for dtype, (name, real) in FUNCTIONS.items():
        function = getattr(library, name)
        function.argtypes = [
            ctypes.c_void_p,
            ctypes.c_int64,
            real,
            real,
            ctypes.c_int32,
            ctypes.c_void_p,
        ]
        function.restype = None
        declared[dtype] = function
    return declared


def compute_with(openmp: bool) -> Callable[..., np.ndarray]:
    """A ``compute`` that builds (once) and calls the serial or the OpenMP library."""
    functions: dict[np.dtype, Callable[..., None]] = {}

    def compute(zs: np.ndarray, c: complex, max_iter: int) -> np.ndarray:
        """Iteration count per starting point (int32 array)."""
        if not functions:
            functions.update(_declare(load_library(SOURCE, openmp=openmp)))
        zs = np.ascontiguousarray(zs)
        out = np.empty(zs.size, dtype=np.int32)
        functions[zs.dtype](pointer(zs), zs.size, c.real, c.imag, max_iter, pointer(out))
        return out

    return compute


compute = compute_with(openmp=False)

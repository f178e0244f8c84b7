"""Julia set in C (``c_native.c``), called through ctypes (built as ``_native`` describes).

The same declaration serves ``c_native`` (serial, the baseline Numba is measured
against) and ``c_openmp`` (blocks of points dealt to the threads in turn).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from .._native import DOUBLE, FLOAT, INT32, INT64, POINTER, CFunction, NativeFunctions, pointer

NATIVE = NativeFunctions(
    Path(__file__).with_name("c_native.c"),
    {
        np.dtype(dtype): CFunction(name, (POINTER, INT64, real, real, INT32, POINTER))
        for dtype, name, real in (
            (np.complex128, "julia_complex128", DOUBLE),
            (np.complex64, "julia_complex64", FLOAT),
        )
    },
)


def compute_with(native: NativeFunctions) -> Callable[..., np.ndarray]:
    """A ``compute`` that calls ``native``'s serial or OpenMP library."""

    def compute(zs: np.ndarray, c: complex, max_iter: int) -> np.ndarray:
        """Iteration count per starting point (int32 array)."""
        zs = np.ascontiguousarray(zs)
        out = np.empty(zs.size, dtype=np.int32)
        native[zs.dtype](pointer(zs), zs.size, c.real, c.imag, max_iter, pointer(out))
        return out

    return compute


compute = compute_with(NATIVE)

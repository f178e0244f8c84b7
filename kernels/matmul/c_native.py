"""Matrix multiply in C (``c_native.c``), called through ctypes (built as ``_native`` describes).

The same declaration serves ``c_native`` (serial, the baseline Numba is measured
against) and ``c_openmp`` (blocks of rows per thread).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from .._native import INT64, POINTER, CFunction, NativeFunctions, pointer

NATIVE = NativeFunctions(
    Path(__file__).with_name("c_native.c"),
    {
        np.dtype(dtype): CFunction(f"matmul_{np.dtype(dtype).name}", (POINTER,) * 3 + (INT64,))
        for dtype in (np.float64, np.float32)
    },
)


def compute_with(native: NativeFunctions) -> Callable[..., np.ndarray]:
    """A ``compute`` that calls ``native``'s serial or OpenMP library."""

    def compute(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """The product of the square matrices ``a`` and ``b`` (a new array of their dtype)."""
        a, b = np.ascontiguousarray(a), np.ascontiguousarray(b)
        c = np.zeros(a.shape, dtype=a.dtype)
        native[a.dtype](pointer(a), pointer(b), pointer(c), a.shape[0])
        return c

    return compute


compute = compute_with(NATIVE)

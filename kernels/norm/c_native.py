"""Squared norm in C (``c_native.c``), called through ctypes (built as ``_native`` describes).

The same declaration serves ``c_native`` (serial, the baseline Numba is measured
against) and ``c_openmp`` (blocks shared among threads).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from .._native import DOUBLE, INT64, POINTER, CFunction, NativeFunctions, pointer

NATIVE = NativeFunctions(
    Path(__file__).with_name("c_native.c"),
    {
        np.dtype(np.float64): CFunction("norm_squared_float64", (POINTER, INT64), DOUBLE),
        np.dtype(np.float32): CFunction("norm_squared_float32", (POINTER, INT64), DOUBLE),
    },
)


def compute_with(native: NativeFunctions) -> Callable[..., float]:
    """A ``compute`` that calls ``native``'s serial or OpenMP library."""

    def compute(v: np.ndarray) -> float:
        """The sum of the squares of the elements of ``v``."""
        v = np.ascontiguousarray(v)
        return native[v.dtype](pointer(v), v.size)

    return compute


compute = compute_with(NATIVE)

"""Primes by trial division in C (``c_native.c``), called through ctypes (see ``_native``).

The same declaration serves ``c_native`` (serial, the baseline Numba is measured
against) and ``c_openmp`` (dynamic chunks of numbers).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from .._native import INT64, POINTER, CFunction, NativeFunctions, pointer

NATIVE = NativeFunctions(
    Path(__file__).with_name("c_native.c"),
    {"count": CFunction("primes_count", (POINTER, INT64), INT64)},
)


def compute_with(native: NativeFunctions) -> Callable[..., int]:
    """A ``compute`` that calls ``native``'s serial or OpenMP library."""

    def compute(numbers: np.ndarray) -> int:
        """How many of ``numbers`` (an int64 array) are prime."""
        numbers = np.ascontiguousarray(numbers, dtype=np.int64)
        return native["count"](pointer(numbers), numbers.size)

    return compute


compute = compute_with(NATIVE)

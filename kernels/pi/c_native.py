"""Monte Carlo pi in C (``c_native.c``), called through ctypes (built as ``_native`` describes).

The same declaration serves ``c_native`` (serial, the baseline Numba is measured
against) and ``c_openmp``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from .._native import INT64, POINTER, CFunction, NativeFunctions, pointer

NATIVE = NativeFunctions(
    Path(__file__).with_name("c_native.c"),
    {"count": CFunction("pi_count_inside", (INT64, POINTER), INT64)},
)


def compute_with(native: NativeFunctions) -> Callable[..., int]:
    """A ``compute`` that calls ``native``'s serial or OpenMP library."""

    def compute(samples: int, seed: np.ndarray) -> int:
        """The number of ``samples`` darts inside the quarter circle (an int)."""
        return native["count"](samples, pointer(np.ascontiguousarray(seed, dtype=np.int64)))

    return compute


compute = compute_with(NATIVE)

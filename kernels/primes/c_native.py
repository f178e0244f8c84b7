"""Primes by trial division in C (``c_native.c``), compiled at first call, called through ctypes.

The same source serves ``c_native`` (serial, the baseline Numba is measured
against) and ``c_openmp`` (built with ``-fopenmp``, dynamic chunks of numbers).
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


def compute_with(openmp: bool) -> Callable[..., int]:
    """A ``compute`` that builds (once) and calls the serial or the OpenMP library."""
    functions: list[Callable[..., int]] = []

    def compute(numbers: np.ndarray) -> int:
        """How many of ``numbers`` (an int64 array) are prime."""
        if not functions:
            function = load_library(SOURCE, openmp=openmp).primes_count
            function.argtypes = [ctypes.c_void_p, ctypes.c_int64]
            function.restype = ctypes.c_int64
            functions.append(function)
        numbers = np.ascontiguousarray(numbers, dtype=np.int64)
        return functions[0](pointer(numbers), numbers.size)

    return compute


compute = compute_with(openmp=False)

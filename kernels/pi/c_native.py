"""Monte Carlo pi in C (``c_native.c``), compiled at first call and called through ctypes.

The same source serves ``c_native`` (serial, the baseline Numba is measured
against) and ``c_openmp`` (built with ``-fopenmp``). The library is compiled, or
found in the cache, on the first call, so the run record's first-call time
includes compiling, as Numba's includes JIT compiling.
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

    def compute(samples: int, seed: np.ndarray) -> int:
        """The number of ``samples`` darts inside the quarter circle (an int)."""
        if not functions:
            function = load_library(SOURCE, openmp=openmp).pi_count_inside
            function.argtypes = [ctypes.c_int64, ctypes.c_void_p]
            function.restype = ctypes.c_int64
            functions.append(function)
        return functions[0](samples, pointer(np.ascontiguousarray(seed, dtype=np.int64)))

    return compute


compute = compute_with(openmp=False)

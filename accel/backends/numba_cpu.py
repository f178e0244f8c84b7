"""Numba on the CPU: nopython-mode compiled loops, one thread.

In a simulated-counters run (:mod:`accel.cachesim`) every ``@njit`` is made to keep its
machine code in ``NUMBA_CACHE_DIR``: a native pass compiles it there, so the pass under
valgrind loads machine code instead of running LLVM at valgrind's pace (seconds natively,
5 to 25 s under valgrind). Both passes compile for the same CPU (``NUMBA_CPU_NAME``), the
one valgrind executes, so the loaded code is the code Numba would compile there.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from ..callgrind_region import NUMBA_CACHE_ENV
from ..kernels import KernelSpec
from .base import Availability, Backend, missing_module

NUMBA_FIX = "pip install numba (or use conda/environment.yml)"
KERNELS_PACKAGE = "accel.kernels."


class NumbaCpuBackend(Backend):
    name = "numba_cpu"
    libraries = ("numpy", "numba", "llvmlite")

    def _check_available(self) -> Availability:
        return missing_module("numba", NUMBA_FIX) or Availability(True)

    def load(self, kernel: KernelSpec) -> Callable[..., Any]:
        if os.environ.get(NUMBA_CACHE_ENV):
            cache_every_jit()
        return super().load(kernel)


def cache_every_jit() -> None:
    """From here on, every CPU ``@jit``/``@njit`` of accel's kernels is ``cache=True``.

    Numba has no setting for it, so its decorator's worker, ``numba.core.decorators._jit``,
    is wrapped. Left as they are: Numba's own jitted overloads (not cacheable), functions
    inlined into their callers, and functions Numba cannot cache (without a source file).
    """
    from numba.core import decorators

    original = decorators._jit
    if getattr(original, "caches_every_jit", False):
        return

    def caching(sigs, locals, target, cache, targetoptions, **dispatcher_args):
        plain = original(sigs, locals, target, cache, targetoptions, **dispatcher_args)
        if target != "cpu" or cache or targetoptions.get("inline", "never") != "never":
            return plain  # an inlined function's code lives in its callers
        kept = original(sigs, locals, target, True, targetoptions, **dispatcher_args)

        def wrapper(func):
            if not getattr(func, "__module__", "").startswith(KERNELS_PACKAGE):
                return plain(func)  # Numba's own overloads, a kernel defined elsewhere
            try:
                return kept(func)
            except RuntimeError:  # "cannot cache function ...: no locator available"
                return plain(func)

        return wrapper

    caching.caches_every_jit = True  # type: ignore[attr-defined]
    decorators._jit = caching


BACKEND = NumbaCpuBackend

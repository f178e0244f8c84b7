"""Numba on the CPU: nopython-mode compiled loops, one thread."""

from __future__ import annotations

from .base import Availability, Backend, missing_module

NUMBA_FIX = "pip install numba (or use conda/environment.yml)"


class NumbaCpuBackend(Backend):
    name = "numba_cpu"
    libraries = ("numpy", "numba", "llvmlite")

    def _check_available(self) -> Availability:
        return missing_module("numba", NUMBA_FIX) or Availability(True)


BACKEND = NumbaCpuBackend

"""Numba on the CPU with ``parallel=True`` and ``prange``, on every thread allowed."""

from __future__ import annotations

from .numba_cpu import NumbaCpuBackend


class NumbaParallelBackend(NumbaCpuBackend):
    name = "numba_parallel"

    def configure(self, threads: int) -> None:
        import numba

        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))


BACKEND = NumbaParallelBackend

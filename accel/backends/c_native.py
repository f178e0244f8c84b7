"""Native C compiled with the system compiler: the baseline each JIT is measured against.

A kernel's ``c_native.c`` is compiled at ``-O3 -march=native`` on the first call
(or found in the cache under ``$ACCEL_HOME/native``) and called through ctypes,
serially. Compiling happens in the first call, so a cold cache shows in the run
record's ``first_call_s`` exactly as Numba's JIT compile does; a warm cache
leaves only loading the library there.
"""

from __future__ import annotations

from .base import Availability, Backend


class CNativeBackend(Backend):
    name = "c_native"
    #: Whether the kernel's C is built with OpenMP.
    openmp = False

    def _check_available(self) -> Availability:
        from ..kernels._native import build_problem, find_compiler

        problem = build_problem(openmp=self.openmp)
        if problem:
            return Availability(False, problem)
        compiler, version = find_compiler()
        return Availability(True, f"available ({compiler}: {version})")

    def versions(self) -> dict[str, str]:
        from ..kernels._native import compile_flags, find_compiler

        compiler, version = find_compiler()
        found = {"compiler": version, "compiler_path": compiler or ""}
        found["cflags"] = " ".join(compile_flags(self.openmp))
        return {**found, **super().versions()}


BACKEND = CNativeBackend

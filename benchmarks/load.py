"""A busy machine on purpose: processes that spin on the CPUs, started and stopped by the caller.

Used by the load target (a parallel backend under other work slows down, it does not
collapse) and by the tests that check disturbed runs are flagged.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass

from accel.record import RunRecord

SPIN = "while True: pass"


@contextlib.contextmanager
def spinning(count: int) -> Iterator[list[subprocess.Popen]]:
    """``count`` processes that each keep one CPU busy for the body of the ``with``.

    Each spinner runs in a session of its own, as other people's work does. Where the
    kernel groups CPU time by session (``/proc/sys/kernel/sched_autogroup_enabled``),
    spinners sharing the caller's session would compete only with the caller, not with
    a worker (which runs in its own session), and leave it a whole core.
    """
    spinners: list[subprocess.Popen] = []
    try:
        for _ in range(count):
            spinners.append(subprocess.Popen([sys.executable, "-c", SPIN], start_new_session=True))
        yield spinners
    finally:
        for process in spinners:
            process.kill()
        for process in spinners:
            process.wait()


#: The load target's problem: julia S (200 x 200, 300 iterations), as the issue measured it.
LOAD_KERNEL, LOAD_PRESET = "julia", "S"
#: Processes that spin while the loaded runs go: two, the cores of the machine it was set on.
SPINNERS = 2


@dataclass(frozen=True)
class LoadFigures:
    """Best-of-rounds medians (seconds) of torch_cpu quiet and loaded, and python loaded."""

    quiet: RunRecord | None
    loaded: RunRecord | None
    python_loaded: RunRecord | None
    rounds: int

    @property
    def slowdown(self) -> float | None:
        if self.quiet is None or self.loaded is None:
            return None
        return self.loaded.median_s / self.quiet.median_s

    @property
    def against_python(self) -> float | None:
        """torch_cpu's loaded time over python's loaded time: below 1 means still faster."""
        if self.loaded is None or self.python_loaded is None:
            return None
        return self.loaded.median_s / self.python_loaded.median_s


def measure_load(rounds: int = 3) -> LoadFigures:
    """torch_cpu on julia S quiet, then torch_cpu and python with SPINNERS spinning; each
    the best of ``rounds`` (load only slows a run down: the least median is the one the
    other work of a shared machine disturbed least)."""
    import accel

    from .rounds import best

    def runs(backend: str) -> RunRecord:
        return accel.run(LOAD_KERNEL, backend, preset=LOAD_PRESET, store=False)

    quiet, loaded, python = [], [], []
    for _ in range(rounds):
        quiet.append(runs("torch_cpu"))
        with spinning(SPINNERS):
            loaded.append(runs("torch_cpu"))
            python.append(runs("python"))
    return LoadFigures(best(quiet), best(loaded), best(python), rounds)

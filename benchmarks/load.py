"""A busy machine on purpose: processes that spin on the CPUs, started and stopped by the caller.

Used by the load target (a parallel backend under other work slows down, it does not
collapse) and by the tests that check disturbed runs are flagged.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator

SPIN = "while True: pass"


@contextlib.contextmanager
def spinning(count: int) -> Iterator[list[subprocess.Popen]]:
    """``count`` processes that each keep one CPU busy for the body of the ``with``."""
    spinners: list[subprocess.Popen] = []
    try:
        for _ in range(count):
            spinners.append(subprocess.Popen([sys.executable, "-c", SPIN]))
        yield spinners
    finally:
        for process in spinners:
            process.kill()
        for process in spinners:
            process.wait()

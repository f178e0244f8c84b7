"""The benchmarks folder is not installed: its tests import it from the repository root."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
if str(REPOSITORY) not in sys.path:
    sys.path.insert(0, str(REPOSITORY))


@pytest.fixture
def record():
    """A factory of run records with chosen timings, CPU figures and transfers."""
    from accel.record import RunRecord, Transfer

    def make(
        backend: str,
        samples: list[float],
        *,
        kernel: str = "julia",
        size: int = 200,
        status: str = "ok",
        threads: int = 2,
        cpu_s: float | None = None,
        utilisation: float | None = None,
        transfer: tuple[float, int, float, int] | None = None,
        pinned: bool | None = None,
    ) -> RunRecord:
        process = None
        if cpu_s is not None or utilisation is not None:
            process = {"cpu_s": cpu_s, "cpu_utilisation": utilisation}
        return RunRecord(
            kernel=kernel,
            backend=backend,
            size=size,
            dtype="float64",
            status=status,  # type: ignore[arg-type]
            reason="" if status == "ok" else "it broke",
            threads=threads,
            samples_s=samples if status == "ok" else [],
            process=process,
            transfer=None if transfer is None else Transfer(*transfer, pinned=pinned),
        )

    return make

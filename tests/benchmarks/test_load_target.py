"""The load target: ratios of best rounds, and spinners that really stop."""

from __future__ import annotations

import psutil
import pytest

from accel.record import RunRecord
from benchmarks.catalogue import catalogue, plan
from benchmarks.load import LoadFigures, spinning


def _record(backend: str, median: float) -> RunRecord:
    return RunRecord(kernel="julia", backend=backend, size=200, dtype="complex128",
                     status="ok", samples_s=[median] * 3)  # fmt: skip


def test_slowdown_and_python_ratio_are_quotients_of_the_medians() -> None:
    found = LoadFigures(_record("torch_cpu", 0.05), _record("torch_cpu", 0.216),
                        _record("python", 0.30), rounds=3)  # fmt: skip
    assert found.slowdown == pytest.approx(4.32)
    assert found.against_python == pytest.approx(0.72)
    assert LoadFigures(None, _record("torch_cpu", 0.2), None, 1).slowdown is None


def test_both_load_targets_are_in_the_catalogue() -> None:
    names = {b.target.name for b in catalogue(plan(True, None))}
    assert {"load.torch_cpu_slowdown", "load.torch_cpu_vs_python"} <= names


def test_spinners_spin_while_asked_and_are_gone_after() -> None:
    with spinning(2) as spinners:
        processes = [psutil.Process(p.pid) for p in spinners]
        busy = [p.cpu_percent(interval=0.5) for p in processes]
        assert all(p.is_running() for p in processes)
    assert min(busy) > 0  # each really takes CPU time (some share of a core, however busy)
    assert all(p.poll() is not None for p in spinners)

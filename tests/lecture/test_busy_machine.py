"""A busy machine made on purpose: runs under spinning processes are flagged disturbed.

Spinners are started and stopped here (two per usable CPU, so the run's one thread
gets about half a core whatever the machine's size); the flag is checked against
what the spinners must cause, not against a time.
"""

from __future__ import annotations

import time

import pytest

import accel
from accel.disturbance import contention, judge, snapshot, watched
from accel.threads import usable_cpus
from benchmarks.load import spinning


def test_judge_reads_the_measured_figures() -> None:
    busy = {"cores_got": 0.5, "cores_asked": 1.0, "waiting_s": 0.5, "on_cpu_s": 0.5,
            "wall_s": 1.0, "cpus": 2, "load_before": 4.0, "load_after": 4.2}  # fmt: skip
    assert judge(busy).startswith("got 0.50 of the 1.00 cores its threads asked for")
    assert "load 4.0 before, 4.2 after on 2 CPUs" in judge(busy)
    # the same figures with 2% of the time waiting: clean
    assert judge({**busy, "waiting_s": 0.01, "on_cpu_s": 0.99}) is None
    # stolen CPU time is disturbance too, whatever the run's own threads saw
    stolen = {**busy, "waiting_s": 0.0, "on_cpu_s": 1.0, "steal_share": 0.2}
    assert judge(stolen).startswith("CPU steal 20%")


def test_a_spinning_region_counts_its_own_cpu_time() -> None:
    """cores_got of a region where this thread spins alone is its CPU time over wall time."""
    before = snapshot([__import__("os").getpid()])
    cpu0 = time.thread_time()
    end = time.perf_counter() + 0.3
    while time.perf_counter() < end:
        pass
    cpu = time.thread_time() - cpu0
    figures = contention(before, snapshot([__import__("os").getpid()]), 1)
    assert figures["on_cpu_s"] == pytest.approx(cpu, rel=0.1, abs=0.02)


def test_spinners_make_the_wait_visible() -> None:
    with spinning(2 * usable_cpus()), watched(usable_cpus()) as region:
        end = time.perf_counter() + 1.0
        while time.perf_counter() < end:
            pass
    assert region.figures["waiting_s"] > 0.2  # about half of the second spent waiting
    assert region.disturbed is not None and "cores its threads asked for" in region.disturbed


def test_a_run_under_spinners_is_flagged_disturbed() -> None:
    with spinning(2 * usable_cpus()):
        record = accel.run("julia", "numpy", preset="S", threads=1, store=False)
    assert record.ok, record.reason
    assert record.disturbed is not None
    assert record.disturbed.startswith("got ")
    contention_figures = record.process["contention"]
    assert contention_figures["cores_asked"] > contention_figures["cores_got"]


def test_selection_says_when_it_had_no_clean_evidence() -> None:
    from accel.kernels import get_kernel

    from accel.record import RunRecord
    from accel.selection import Estimate, Selected
    from accel.store import StoredRun

    def stored(run_id: int, backend: str, disturbed: str | None) -> StoredRun:
        record = RunRecord(kernel="julia", backend=backend, size=200, dtype="complex128",
                           status="ok", samples_s=[0.01] * 5, disturbed=disturbed)  # fmt: skip
        return StoredRun(run_id, "v", "2026-01-01", record)

    def selected(*runs: StoredRun) -> Selected:
        ranking = [Estimate(r.record.backend, 0.01 * (i + 1), (r,)) for i, r in enumerate(runs)]
        return Selected(get_kernel("julia"), 200, "complex128", 2, ranking, {}, [], False)

    clean = selected(stored(1, "numba_cpu", None), stored(2, "numpy", None))
    assert clean.unclean == {} and clean.evidence_note.startswith("evidence: every run")
    busy = selected(stored(1, "numba_cpu", None), stored(2, "numpy", "got 0.3 of the 1.00 cores"))
    assert busy.unclean == {"numpy": "run 2 disturbed: got 0.3 of the 1.00 cores"}
    assert busy.evidence_note.startswith("no clean evidence for numpy")

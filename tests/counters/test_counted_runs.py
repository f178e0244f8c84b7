"""Whole runs with counters: scaling with repetitions, set-up excluded, PyPy's child counted,
process figures against perf, transfer accounting with the real ``pypy`` backend.
"""

from __future__ import annotations

import json
import os
import subprocess

import numpy as np
import psutil
import pytest
from accel.kernels import get_kernel

import accel
from accel.counters import probe

PAGE = os.sysconf("SC_PAGE_SIZE")


@pytest.fixture(scope="module")
def serial_runs(perf_counts_software):
    """numba_cpu Julia at size S, counted over 5 and over 20 timed repetitions."""
    runs = {
        n: accel.run(
            "julia", "numba_cpu", preset="S", repeats=n, counter_source="perf", store=False
        )
        for n in (5, 20)
    }
    for record in runs.values():
        assert record.status == "ok", record.reason + record.stderr_tail
        assert record.counters is not None, record.counters_reason
    return runs


@pytest.fixture(scope="module")
def pypy_run(perf_counts_software):
    record = accel.run("julia", "pypy", preset="S", repeats=5, counter_source="perf", store=False)
    if record.status == "unavailable":
        pytest.skip(f"pypy backend unavailable: {record.reason}")
    assert record.status == "ok", record.reason + record.stderr_tail
    return record


def _event(record, name: str) -> dict:
    return record.counters["events"][name]


def test_counts_are_positive_and_scale_with_repetitions(serial_runs):
    few, many = _event(serial_runs[5], "task-clock"), _event(serial_runs[20], "task-clock")
    assert few["value"] > 0 and many["value"] > 0
    assert 2.5 < many["value"] / few["value"] < 6.0  # 20 / 5 calls = 4
    assert serial_runs[20].counters["repeats"] == 20
    assert many["per_call"] == pytest.approx(many["value"] / 20)


def test_counts_exclude_setup_and_compilation(serial_runs):
    record = serial_runs[20]
    cpu_s = _event(record, "task-clock")["value"] / 1000.0
    # One thread cannot use more CPU than the wall time of the timed calls ...
    assert cpu_s <= sum(record.samples_s) * 1.1 + 0.005
    # ... and the first call (Numba compiling, outside the region) cost more than all of them.
    assert cpu_s < record.first_call_s
    # Each call may at most fault in the pages of its fresh output array (int32 per point).
    output_pages = record.size**2 * 4 // PAGE + 1
    assert _event(record, "page-faults")["value"] <= output_pages * 20 + 50


def test_hardware_events_perf_cannot_count_are_unsupported_never_zero(serial_runs):
    perf = probe(("task-clock",)).perf
    said = subprocess.run(
        [perf, "stat", "-x,", "-e", "cycles", "--", "true"], capture_output=True, text=True
    ).stderr
    cycles = _event(serial_runs[5], "cycles")
    if "<not supported>" in said:
        assert cycles["status"] == "not supported" and cycles["value"] is None
        assert "cycles" in serial_runs[5].counters_reason
        assert "not supported" in serial_runs[5].counters_reason
        assert serial_runs[5].counters["ipc"] is None
    else:
        assert cycles["status"] == "counted" and cycles["value"] > 0


def test_process_cpu_time_agrees_with_perf_task_clock(serial_runs):
    record = serial_runs[20]
    perf_cpu_s = _event(record, "task-clock")["value"] / 1000.0
    assert record.process["cpu_s"] == pytest.approx(perf_cpu_s, rel=0.15, abs=0.02)
    assert record.process["wall_s"] >= sum(record.samples_s)
    assert record.process["peak_rss_bytes"] >= psutil.Process().memory_info().rss / 4
    assert record.process["voluntary_switches"] >= 0 <= record.process["involuntary_switches"]


def test_in_process_backends_record_no_transfer_and_json_says_null(serial_runs):
    record = serial_runs[5]
    assert record.transfer is None
    data = json.loads(record.to_json())
    assert data["transfer"] is None
    assert data["end_to_end_s"] == data["stats"]["median_s"]


def test_pypy_transfer_is_the_shipping_of_inputs_and_results(pypy_run):
    inputs = get_kernel("julia").make_inputs(pypy_run.size, pypy_run.dtype, **pypy_run.params)
    shipped = sum(v.nbytes for v in inputs.values() if isinstance(v, np.ndarray))
    assert shipped == pypy_run.size**2 * 16  # complex128 grid
    t = pypy_run.transfer
    assert t.h2d_bytes == shipped
    assert t.d2h_bytes == pypy_run.size**2 * 8  # one count per point, sent back as int64
    assert t.h2d_s > 0 and t.d2h_s > 0
    assert pypy_run.end_to_end_s == pytest.approx(pypy_run.median_s + t.h2d_s + t.d2h_s)
    data = json.loads(pypy_run.to_json())
    assert data["transfer"]["h2d_bytes"] == shipped
    assert data["end_to_end_s"] == pytest.approx(data["stats"]["median_s"] + t.h2d_s + t.d2h_s)


def test_perf_counts_the_pypy_child_that_runs_the_kernel(pypy_run):
    perf_cpu_s = _event(pypy_run, "task-clock")["value"] / 1000.0
    assert "pypy" in pypy_run.process["measured"]
    assert pypy_run.process["cpu_s"] == pytest.approx(perf_cpu_s, rel=0.15, abs=0.03)
    assert perf_cpu_s > 0.2 * sum(pypy_run.samples_s)  # not just the idle worker waiting


def test_a_parallel_backend_uses_both_cores_and_a_serial_one_uses_one(perf_counts_software):
    if psutil.cpu_count() < 2:
        pytest.skip("one CPU: no parallelism to show")
    busy = psutil.cpu_percent(interval=1.0)
    if busy > 35:
        pytest.skip(f"machine busy ({busy:.0f}% CPU used by other work): core use not shown")
    parallel = accel.run("julia", "numba_parallel", preset="M", threads=2)
    serial = accel.run("julia", "numba_cpu", preset="S", repeats=20)
    assert parallel.status == serial.status == "ok", parallel.reason + serial.reason
    assert parallel.process["cpu_utilisation"] > 1.3
    assert 0.7 < serial.process["cpu_utilisation"] <= 1.1

"""Runs through real worker processes: every CPU backend, and every way a run can go wrong."""

import os
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

import accel
from accel.errors import UsageError

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
CPU_BACKENDS = ["python", "pypy", "numpy", "numba_cpu", "numba_parallel", "torch_cpu"]


@pytest.fixture
def faulty_kernels(monkeypatch):
    """Register the deliberately faulty kernel for this process and its workers."""
    monkeypatch.setenv("ACCEL_EXTRA_KERNELS", "accel_test_kernels.faulty")
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join([str(FIXTURES), os.environ.get("PYTHONPATH", "")])
    )
    monkeypatch.syspath_prepend(str(FIXTURES))


@pytest.mark.parametrize("backend", CPU_BACKENDS)
@pytest.mark.slow
def test_every_cpu_backend_runs_julia_and_passes_its_check(backend):
    record = accel.run("julia", backend, size=60, params={"max_iter": 80}, repeats=3)
    assert record.status == "ok", record.reason + record.stderr_tail
    assert record.check["passed"] and record.check["error"] == 0.0
    assert len(record.samples_s) == 3 and all(s > 0 for s in record.samples_s)
    assert record.first_call_s > 0
    assert record.threads >= 1 and record.size == 60
    if backend == "pypy":
        assert record.transfer.h2d_bytes == 60 * 60 * 16  # complex128 grid shipped
        assert record.transfer.d2h_bytes == 60 * 60 * 8  # int64 counts shipped back
        assert record.versions["pypy"].startswith("7.")
    else:
        assert record.transfer is None


def test_wrong_output_is_invalid_never_ok(faulty_kernels):
    record = accel.run("faulty", "numpy", repeats=1)
    assert record.status == "invalid"
    assert "1 of 256 points differ" in record.reason


def test_missing_output_is_a_failed_check(faulty_kernels):
    record = accel.run("faulty", "python", repeats=1)
    assert record.status == "invalid"
    assert record.check == {"passed": False, "error": float("inf"), "detail": "no output returned"}


def test_a_worker_that_aborts_is_recorded_as_failed_with_its_stderr(faulty_kernels):
    record = accel.run("faulty", "numba_cpu", repeats=1)
    assert record.status == "failed"
    assert "SIGABRT" in record.reason
    assert "about to abort on purpose" in record.stderr_tail


def test_an_exception_in_the_kernel_names_the_phase_and_error(faulty_kernels):
    record = accel.run("faulty", "torch_cpu", repeats=1)
    assert record.status == "failed"
    assert record.reason.startswith("first_call: ZeroDivisionError: deliberate failure")


def test_a_hung_worker_times_out_and_leaves_no_process_behind(faulty_kernels):
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    record = accel.run("faulty", "numba_parallel", repeats=1, timeout=4)
    assert record.status == "timeout"
    assert "4 s" in record.reason
    after = {p.pid for p in psutil.Process().children(recursive=True)}
    assert after <= before


@pytest.mark.slow
def test_compare_carries_on_past_failures(faulty_kernels):
    records = accel.compare("faulty", ["numba_cpu", "torch_cpu", "pypy"], repeats=1)
    assert [r.status for r in records] == ["failed", "failed", "ok"]


def test_unavailable_backend_is_a_record_with_the_fix(monkeypatch):
    monkeypatch.setenv("ACCEL_PYPY", "/nonexistent/pypy3")
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import accel; r = accel.run('julia', 'pypy'); print(r.status, r.reason)",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.startswith("unavailable ACCEL_PYPY=/nonexistent/pypy3")
    assert "apt-get install pypy3 pypy3-venv" in result.stdout


def test_thread_count_is_recorded_and_reaches_the_worker():
    record = accel.run(
        "julia", "numba_parallel", size=40, params={"max_iter": 20}, threads=1, repeats=1
    )
    assert record.status == "ok" and record.threads == 1


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"kernel": "nope", "backend": "numpy"}, "unknown kernel 'nope'; choose one of: julia"),
        ({"kernel": "julia", "backend": "gpu9000"}, "unknown backend 'gpu9000'"),
        ({"kernel": "julia", "backend": "numpy", "size": 0}, "size must be a positive"),
        ({"kernel": "julia", "backend": "numpy", "size": -5}, "size must be a positive"),
        ({"kernel": "julia", "backend": "numpy", "preset": "XL"}, "choose one of: S, M, L, book"),
        (
            {"kernel": "julia", "backend": "numpy", "dtype": "int8"},
            "unknown dtype for julia 'int8'",
        ),
        ({"kernel": "julia", "backend": "numpy", "threads": 0}, "threads must be"),
    ],
)
def test_bad_arguments_raise_a_usage_error_before_any_work(kwargs, message):
    with pytest.raises(UsageError, match=message.replace("(", r"\(")):
        accel.run(kwargs.pop("kernel"), kwargs.pop("backend"), **kwargs)

"""Workers that segfault, abort, are killed, run out of memory, raise or hang: recorded, none left.

One real ``accel compare`` over the crashing kernel: every fault becomes a stored run
with its status, reason and stderr tail, the comparison carries on to the end, and no
process it started is alive afterwards.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import accel
from accel.store import Store

pytestmark = pytest.mark.slow  # crashing and hanging workers, up to their timeout

FAULTY_BACKENDS = [
    "numpy", "c_native", "torch_cpu", "c_openmp", "numba_parallel", "numba_cpu", "python"
]  # fmt: skip
TIMEOUT_S = 6


def test_every_fault_is_stored_with_its_reason_and_the_comparison_carries_on(
    fault_kernels, our_processes, tmp_path
):
    store = tmp_path / "results.sqlite"
    result = subprocess.run(
        [
            sys.executable, "-m", "accel", "compare", "crashing",
            "--backends", ",".join(FAULTY_BACKENDS), "--repeats", "1",
            "--memory-limit", "2G", "--timeout", str(TIMEOUT_S),
            "--store", str(store), "--json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr  # some runs failed; the command did not
    printed = {r["backend"]: r for r in json.loads(result.stdout)}
    assert list(printed) == FAULTY_BACKENDS
    with Store(store, readonly=True) as opened:
        stored = {run.record.backend: run.record for run in opened.runs()}
    assert sorted(stored) == sorted(FAULTY_BACKENDS)
    assert {b: r.status for b, r in stored.items()} == {b: r["status"] for b, r in printed.items()}

    assert stored["numpy"].status == "ok" and stored["numpy"].check["passed"]

    segfault = stored["c_native"]
    assert segfault.status == "failed" and "killed by SIGSEGV" in segfault.reason
    assert "about to read address 0" in segfault.stderr_tail

    aborted = stored["torch_cpu"]
    assert aborted.status == "failed" and "killed by SIGABRT" in aborted.reason
    assert "about to abort on purpose" in aborted.stderr_tail

    raised = stored["c_openmp"]
    assert raised.status == "failed"
    assert raised.reason.startswith("first_call: ZeroDivisionError: deliberate failure")
    assert "Traceback" in raised.stderr_tail

    killed = stored["numba_parallel"]
    assert killed.status == "failed"
    assert "killed by SIGKILL (out of memory?" in killed.reason
    assert "about to be killed as the OOM killer kills" in killed.stderr_tail

    hog = stored["numba_cpu"]
    assert hog.status == "failed"
    assert hog.reason.startswith("first_call: MemoryError: Unable to allocate 1.00 GiB")
    assert "memory limit of 2,048 MiB" in hog.reason

    hung = stored["python"]
    assert hung.status == "timeout"
    assert f"no result within {TIMEOUT_S} s" in hung.reason

    assert our_processes() == []


def test_without_a_memory_limit_the_same_allocation_succeeds(fault_kernels):
    """The control: the hog fails above because of the limit, not for another reason."""
    record = accel.run("crashing", "numba_cpu", repeats=1, store=False)
    assert record.status == "ok", record.reason

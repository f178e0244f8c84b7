"""Ctrl-C and SIGTERM during a comparison: finished runs kept, worker stopped, --resume goes on.

A real ``accel compare`` runs the crashing kernel on ``numpy`` (finishes) and then on
``python`` (hangs). Once the numpy run is in the store and the python worker is
running, the signal arrives: as a terminal sends Ctrl-C (SIGINT to the whole process
group) or as a scheduler stops a job (SIGTERM to the process).
"""

from __future__ import annotations

import os
import signal
import time

import psutil
import pytest

from accel.store import Store, StoreError

pytestmark = pytest.mark.slow  # interrupts real comparisons

BACKENDS = "numpy,python"


def _stored(store) -> list[tuple[str, str]]:
    """(backend, status) of every stored run; none while the store is being created."""
    try:
        with Store(store, readonly=True) as opened:
            return sorted((run.record.backend, run.record.status) for run in opened.runs())
    except StoreError as exc:
        assert "no store at" in str(exc), exc
        return []


def _wait_for(condition, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)


def _hanging_worker_running(processes) -> bool:
    for process in processes():
        try:
            if "accel.worker" in process.cmdline():
                return True
        except psutil.Error:  # ended as it was read
            continue
    return False


@pytest.mark.parametrize(
    "signum, send",
    [
        (signal.SIGINT, lambda process: os.killpg(process.pid, signal.SIGINT)),
        (signal.SIGTERM, lambda process: process.send_signal(signal.SIGTERM)),
    ],
    ids=["ctrl-c", "sigterm"],
)
def test_a_signal_keeps_finished_runs_stops_the_worker_and_resume_skips_them(
    signum, send, fault_kernels, our_processes, start_cli, tmp_path
):
    store = tmp_path / "results.sqlite"
    command = start_cli(
        "compare", "crashing", "--backends", BACKENDS, "--repeats", "1",
        "--timeout", "300", "--store", str(store),
        start_new_session=True,  # its own process group, as a shell gives a job
        # Python only turns SIGINT into KeyboardInterrupt if it is not ignored at start.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    _wait_for(lambda: _stored(store) == [("numpy", "ok")], "the numpy run to be stored")
    _wait_for(lambda: _hanging_worker_running(our_processes), "the python worker to start")

    send(command)
    _, stderr = command.communicate(timeout=30)

    assert command.returncode == 128 + signum
    assert stderr.strip().splitlines()[-1] == (
        "accel: interrupted after 1 of 2 runs; rerun with --resume to continue"
    )
    assert _stored(store) == [("numpy", "ok")]
    assert our_processes() == []  # the hanging worker, perf around it: all gone

    resumed = start_cli(
        "compare", "crashing", "--backends", BACKENDS, "--repeats", "1",
        "--timeout", "2", "--store", str(store), "--resume",
    )  # fmt: skip
    resumed.communicate(timeout=120)
    assert resumed.returncode == 1  # the python run timed out this time
    assert _stored(store) == [("numpy", "ok"), ("python", "timeout")]  # numpy not measured again
    assert our_processes() == []


def test_an_interrupted_sweep_counts_the_runs_of_every_size(
    fault_kernels, our_processes, start_cli, tmp_path
):
    store = tmp_path / "results.sqlite"
    command = start_cli(
        "sweep", "crashing", "--sizes", "16,24", "--backends", BACKENDS, "--repeats", "1",
        "--timeout", "300", "--store", str(store),
    )  # fmt: skip
    _wait_for(lambda: _stored(store) == [("numpy", "ok")], "the numpy run to be stored")
    _wait_for(lambda: _hanging_worker_running(our_processes), "the python worker to start")
    command.send_signal(signal.SIGTERM)
    _, stderr = command.communicate(timeout=30)
    assert command.returncode == 128 + signal.SIGTERM
    assert stderr.strip().splitlines()[-1] == (
        "accel: interrupted after 1 of 4 runs; rerun with --resume to continue"
    )
    assert _stored(store) == [("numpy", "ok")]
    assert our_processes() == []

"""Nothing outlives accel: workers die with their parent, probes with their timeout.

Issue 21, faults 3, 4 and 15. A worker runs in a session of its own, so its parent's
death used to leave it running (past its timeout) with its folders behind; probe
scripts (``ACCEL_PYPY``, ``CC``, ``ACCEL_PERF``) that sleep stalled a run for a minute
and left their sleeping children; a PyPy worker killed at its timeout left its
``/dev/shm/accel-pypy-*`` folder.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

pytestmark = pytest.mark.slow  # waits for run timeouts


def _wait_for(condition, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)


def _workers(processes) -> list[psutil.Process]:
    found = []
    for process in processes():
        try:
            if "accel.worker" in process.cmdline():
                found.append(process)
        except psutil.Error:
            continue
    return found


def _run_folders(worker: psutil.Process) -> list[Path]:
    """The folders the worker's parent made for its run (the worker's environment names them)."""
    env = worker.environ()
    assert "ACCEL_RUN_FOLDERS" in env, "the parent names no folders for the worker to remove"
    return [Path(f) for f in env["ACCEL_RUN_FOLDERS"].split(os.pathsep) if f]


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGHUP], ids=["SIGKILL", "SIGHUP"])
def test_a_worker_dies_with_its_parent_and_its_folders_go(
    signum, fault_kernels, our_processes, start_cli, tmp_path
):
    """The crashing kernel's python implementation hangs; its parent is then killed."""
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    timeout = 30
    command = start_cli(
        "run", "crashing", "--backend", "python", "--repeats", "1",
        "--timeout", str(timeout), "--no-store",
        env={**os.environ, "TMPDIR": str(temporary)},
        # SIGHUP as a terminal leaves it: under nohup (an ignored SIGHUP) accel keeps it ignored
        preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_DFL),
    )  # fmt: skip
    _wait_for(lambda: _workers(our_processes), "the hanging worker to start")
    folders = _run_folders(_workers(our_processes)[0])
    assert folders and all(f.is_dir() for f in folders)
    killed_at = time.monotonic()
    command.send_signal(signum)
    command.communicate(timeout=30)
    # Gone before the run's own timeout: nobody is left to enforce it.
    _wait_for(lambda: our_processes() == [], "the worker to end", timeout=timeout)
    assert time.monotonic() - killed_at < timeout
    assert [f for f in folders if f.exists()] == []
    assert list(temporary.iterdir()) == []


@pytest.fixture
def sleepy_script(tmp_path) -> Path:
    """A program that starts a sleeping child and then sleeps itself: a stalled probe."""
    script = tmp_path / "sleepy"
    script.write_text("#!/bin/sh\nsleep 120 &\nsleep 120\n")
    script.chmod(0o755)
    return script


@pytest.mark.parametrize(
    "variable, backend, extra",
    [
        ("ACCEL_PYPY", "pypy", []),
        ("CC", "c_native", []),
        ("ACCEL_PERF", "numpy", ["--counters"]),
    ],
)
def test_a_stalled_probe_ends_within_the_run_timeout_with_its_children(
    variable, backend, extra, sleepy_script, our_processes, start_cli
):
    timeout = 4
    started = time.monotonic()
    command = start_cli(
        "run", "julia", "--backend", backend, "--size", "8", "--repeats", "1",
        "--timeout", str(timeout), "--no-store", *extra,
        env={**os.environ, variable: str(sleepy_script)},
    )  # fmt: skip
    out, err = command.communicate(timeout=120)
    took = time.monotonic() - started
    assert command.returncode in (0, 1), err
    # The probe gave up at the run's timeout (plus start-up), not at its own 30-60 s.
    assert took < 25, f"took {took:.1f} s"
    if backend != "numpy":
        assert "unavailable" in out and "timed out" in out, out
    assert our_processes() == []  # the sleeping grandchild too


def test_a_pypy_worker_killed_at_its_timeout_leaves_no_shared_memory_folder(
    our_processes, start_cli
):
    from accel.backends import get_backend

    if not get_backend("pypy").available():
        pytest.skip(f"pypy: {get_backend('pypy').available().reason}")
    command = start_cli(
        "run", "julia", "--backend", "pypy", "--size", "1000", "--repeats", "100",
        "--timeout", "6", "--no-store",
    )  # fmt: skip
    _wait_for(lambda: _workers(our_processes), "the pypy worker to start")
    folders = _run_folders(_workers(our_processes)[0])
    shipping: list[Path] = []

    def pypy_folder_made() -> bool:
        shipping[:] = [p for f in folders for p in f.glob("accel-pypy-*")]
        return bool(shipping)

    _wait_for(pypy_folder_made, "PyPy's shipping folder in the run's RAM folder")
    out, err = command.communicate(timeout=120)
    assert "timeout" in out, out + err
    assert our_processes() == []
    assert [p for p in [*folders, *shipping] if p.exists()] == []


def test_folders_of_runs_whose_processes_all_died_are_removed_by_the_next_run(tmp_path):
    """Parent and worker killed together leave their folders; the next accel removes them."""
    dead = subprocess.Popen(["true"])  # a pid that is no longer running
    dead.wait()
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    orphan = temporary / f"accel-run-{dead.pid}-abc123"
    alive = temporary / f"accel-run-{os.getpid()}-def456"  # this test's own: still running
    foreign = temporary / "accel-run-nopid"
    for folder in (orphan, alive, foreign):
        folder.mkdir()
        (folder / "spec.json").write_text("{}")
    done = subprocess.run(
        [sys.executable, "-m", "accel", "run", "julia", "--backend", "numpy", "--size", "8",
         "--repeats", "1", "--no-store"],
        capture_output=True, text=True, timeout=300,
        env={**os.environ, "TMPDIR": str(temporary)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert not orphan.exists() and alive.exists() and foreign.exists()

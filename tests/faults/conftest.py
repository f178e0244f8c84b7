"""Fault-injection set-up: the crashing and faulty kernels, process tags, store digests."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import uuid
from pathlib import Path

import psutil
import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
EXTRA_KERNELS = "accel_test_kernels.crashing,accel_test_kernels.faulty"
#: Every process started for one test carries this variable with the test's own value,
#: so that leftovers can be found in the process table whatever else runs on the machine.
TAG = "ACCEL_FAULT_TEST_TAG"


@pytest.fixture
def fault_kernels(monkeypatch):
    """Register the crashing and faulty kernels in this process and in every child."""
    monkeypatch.setenv("ACCEL_EXTRA_KERNELS", EXTRA_KERNELS)
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join([str(FIXTURES), os.environ.get("PYTHONPATH", "")])
    )
    monkeypatch.syspath_prepend(str(FIXTURES))


def _tagged(value: str) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter():
        try:
            if process.status() != psutil.STATUS_ZOMBIE and process.environ().get(TAG) == value:
                found.append(process)
        except psutil.Error:  # ended while listed, or not ours to read
            continue
    return found


@pytest.fixture
def our_processes(monkeypatch):
    """Tag every child of this test; the fixture lists the live (non-zombie) ones so tagged.

    ``our_processes()`` -> processes started by this test (and their children) still alive.
    """
    value = uuid.uuid4().hex
    monkeypatch.setenv(TAG, value)
    return lambda: _tagged(value)


@pytest.fixture
def digest():
    """SHA-256 of a file's bytes, or None when there is no such file."""

    def of(path: Path) -> str | None:
        return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None

    return of


@pytest.fixture
def start_cli():
    """Start the real ``accel`` command line and leave it running: ``start_cli("compare", ...)``."""
    started: list[subprocess.Popen] = []

    def start(*args: str, **popen: object) -> subprocess.Popen:
        process = subprocess.Popen(
            [sys.executable, "-m", "accel", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            **popen,
        )
        started.append(process)
        return process

    yield start
    for process in started:  # a failed test must not leave its command running
        if process.poll() is None:
            process.kill()
        process.communicate()


@pytest.fixture
def one_line_error(capsys):
    """Run the CLI in this process; assert exit code 2 and a single 'accel: error:' line.

    ``one_line_error(argv)`` -> that line.
    """
    from accel.cli import main

    def run(argv: list[str]) -> str:
        try:
            code = main(argv)
        except SystemExit as exit_:  # argparse's own refusals
            code = exit_.code
        err = capsys.readouterr().err
        lines = err.strip().splitlines()
        assert code == 2, err
        assert len(lines) == 1 and lines[0].startswith("accel: error: "), err
        return lines[0]

    return run


@pytest.fixture
def tmpfs(tmp_path):
    """Mount a tmpfs on a new folder: ``tmpfs("ro,size=64k")`` -> the folder (root only;
    skipped with the reason where mounting is not permitted). Unmounted afterwards."""
    mounted: list[Path] = []

    def mount(options: str) -> Path:
        folder = tmp_path / f"tmpfs{len(mounted)}"
        folder.mkdir()
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs ({options}) here: {done.stderr.strip()}")
        mounted.append(folder)
        return folder

    yield mount
    for folder in mounted:
        subprocess.run(["umount", str(folder)], check=False)


@pytest.fixture
def no_worker_may_start(monkeypatch):
    """The measurement loop's worker replaced by a tripwire: a refusal must come first."""
    import accel.loop

    def tripwire(request):
        raise AssertionError(f"a worker was started for {request}")

    monkeypatch.setattr(accel.loop, "execute", tripwire)

"""Odd stores, odd lists, odd modules and an early Ctrl-C: each a one-line error.

Issue 21, faults 11, 13 and the command-line half of 14: ``--store`` naming a FIFO hung
for ever and ``--store /dev/null`` left ``/dev/null-journal``; ``--backends ""`` ran
all eleven and ``numpy,numpy,numpy`` ran three times; ``selftest --kernels ,,`` said no
backend could run; a huge ``history --limit`` blamed the store; a module in
``ACCEL_EXTRA_KERNELS`` that calls ``sys.exit(0)`` made accel exit 0 with no output;
Ctrl-C while the command line loaded printed a traceback.
"""

from __future__ import annotations

import builtins
import os
import signal
import subprocess
import sys
import time

import pytest

import accel.cli
import accel.loop
from accel import _entry
from accel.cli import main
from accel.store import Store


@pytest.fixture
def counted_runs(monkeypatch):
    """The worker replaced by a stand-in that counts the runs it is asked for."""
    asked: list[str] = []

    def stand_in(request):
        asked.append(request.backend)
        passed = {"passed": True, "error": 0.0, "detail": "stand-in"}
        return request.record("ok", "", samples_s=[0.001], first_call_s=0.01, check=passed)

    monkeypatch.setattr(accel.loop, "execute", stand_in)
    return asked


# -- fault 11 ------------------------------------------------------------------------


def test_a_fifo_as_the_store_is_refused_at_once(tmp_path):
    fifo = tmp_path / "store"
    os.mkfifo(fifo)
    for argv in (["history"], ["run", "julia", "--backend", "numpy", "--size", "8"]):
        done = subprocess.run(
            [sys.executable, "-m", "accel", *argv, "--store", str(fifo)],
            capture_output=True,
            text=True,
            timeout=120,  # before: waited for a writer for ever
        )
        assert done.returncode == 2, done.stderr
        assert "not a regular file" in done.stderr


def test_a_device_as_the_store_is_refused_and_nothing_is_made_beside_it(tmp_path, one_line_error):
    try:
        os.mknod(tmp_path / "null", 0o20666, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("making a device node needs root (CAP_MKNOD)")
    line = one_line_error(["history", "--store", str(tmp_path / "null")])
    assert "not a regular file" in line
    line = one_line_error(["run", "julia", "--backend", "numpy", "--store", str(tmp_path / "null")])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["null"]  # no null-journal, no -wal


# -- fault 14, command line -----------------------------------------------------------


@pytest.mark.parametrize("command", ["compare", "sweep"])
def test_an_empty_backend_list_is_refused_not_read_as_all(command, one_line_error, counted_runs):
    extra = ["--sizes", "8"] if command == "sweep" else ["--size", "8"]
    one_line_error([command, "julia", "--backends", "", *extra, "--no-store"])
    assert counted_runs == []


def test_a_backend_named_three_times_runs_and_is_stored_once(tmp_path, counted_runs):
    store = tmp_path / "results.sqlite"
    argv = ["compare", "julia", "--backends", "numpy,numpy, numpy", "--size", "8"]
    assert main([*argv, "--store", str(store)]) == 0
    assert counted_runs == ["numpy"]
    with Store(store, readonly=True) as opened:
        assert opened.count() == 1


def test_selftest_with_a_kernel_list_that_names_nothing_is_refused(one_line_error, counted_runs):
    assert "at least one item" in one_line_error(["selftest", "--kernels", ",,"])
    assert counted_runs == []


@pytest.mark.parametrize("limit", ["100000000000000000000", str(2**63), "0", "-1"])
def test_a_history_limit_out_of_range_is_a_usage_error_not_the_stores_fault(
    tmp_path, one_line_error, limit
):
    store = tmp_path / "results.sqlite"
    Store(store).close()
    line = one_line_error(["history", "--limit", limit, "--store", str(store)])
    assert "limit must be" in line and "move it aside" not in line


# -- fault 13 ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv", [["kernels"], ["run", "quitter", "--backend", "numpy", "--no-store"]]
)
def test_an_extra_kernel_module_that_exits_on_import_is_an_error(tmp_path, argv):
    (tmp_path / "quitter.py").write_text("import sys\nsys.exit(0)\n")
    done = subprocess.run(
        [sys.executable, "-m", "accel", *argv],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "ACCEL_EXTRA_KERNELS": "quitter", "PYTHONPATH": str(tmp_path)},
    )
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "it calls sys.exit(0) on import" in done.stderr


# -- fault 14, Ctrl-C while loading -------------------------------------------------------


def test_ctrl_c_while_the_subcommands_load_is_quiet(monkeypatch, capsys):
    def interrupted():
        raise KeyboardInterrupt

    monkeypatch.setattr(accel.cli, "build_parser", interrupted)
    assert main(["kernels"]) == 130
    assert capsys.readouterr().err == "accel: interrupted\n"


def test_ctrl_c_while_the_command_line_module_imports_is_quiet(monkeypatch, capsys):
    real_import = builtins.__import__

    def interrupted(name, *args, **kwargs):
        if name == "cli" or name.endswith(".cli"):
            raise KeyboardInterrupt
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", interrupted)
    assert _entry.main() == 130
    assert capsys.readouterr().err == "accel: interrupted\n"


@pytest.mark.parametrize("delay", [0.1, 0.15, 0.2, 0.3, 0.5])
def test_an_early_ctrl_c_never_prints_a_traceback_through_accels_code(delay):
    """The real command: only the interpreter's own start-up may still show one."""
    process = subprocess.Popen(
        [sys.executable, "-m", "accel", "compare", "julia", "--size", "8", "--no-store",
         "--backends", "numpy"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    time.sleep(delay)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    package = os.path.dirname(accel.cli.__file__).rsplit(os.sep, 1)[0]
    assert not [line for line in err.splitlines() if "File " in line and package in line], err

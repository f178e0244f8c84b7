"""The PyPy worker when its interpreter is missing, broken, noisy or without NumPy.

Broken interpreters are small shell scripts named by ``ACCEL_PYPY``: they answer the
availability check as a PyPy would, then fail in the way a broken install fails.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

PYPY = shutil.which("pypy3")
needs_pypy = pytest.mark.skipif(PYPY is None, reason="no pypy3 on PATH to build the fakes on")
SAYS_PYPY = 'case "$1" in -c) echo PyPy; exit 0;; esac\n'  # the availability check asks this


def _script(folder: Path, name: str, body: str) -> Path:
    path = folder / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path


def _run(accel_cli, interpreter: Path | str, *args: str) -> tuple[int, list[dict]]:
    result = accel_cli(
        "compare", "julia", "--backends", "pypy,numpy", "--size", "8", "--repeats", "1",
        "--no-counters", "--no-store", "--json", *args,
        env={"ACCEL_PYPY": str(interpreter)},
    )  # fmt: skip
    return result.returncode, json.loads(result.stdout)


def test_an_interpreter_that_is_not_pypy_leaves_the_backend_unavailable(accel_cli):
    code, (pypy, numpy) = _run(accel_cli, "/bin/true")
    assert code == 0  # unavailable is not a failure; the comparison went on
    assert pypy["status"] == "unavailable"
    assert pypy["reason"] == "/bin/true ($ACCEL_PYPY) is not a working PyPy: nothing"
    assert numpy["status"] == "ok"


def test_a_pypy_that_dies_at_start_fails_the_run_with_its_own_words_and_the_fix(
    accel_cli, tmp_path
):
    crash = _script(
        tmp_path, "pypy3", SAYS_PYPY + 'echo "Fatal Python error: no codec" >&2\nexit 1\n'
    )
    code, (pypy, numpy) = _run(accel_cli, crash)
    assert code == 1
    assert pypy["status"] == "failed"
    assert f"{crash} exited (code 1) before answering" in pypy["reason"]
    assert "set ACCEL_PYPY to a working pypy3" in pypy["reason"]
    assert "Fatal Python error: no codec" in pypy["stderr_tail"]
    assert numpy["status"] == "ok"


@needs_pypy
def test_garbage_on_the_protocol_stream_fails_the_run_and_names_the_cause(accel_cli, tmp_path):
    noisy = _script(
        tmp_path, "pypy3", SAYS_PYPY + f'echo "hello from sitecustomize"\nexec {PYPY} "$@"\n'
    )
    code, (pypy, numpy) = _run(accel_cli, noisy)
    assert code == 1
    assert pypy["status"] == "failed"
    assert "answered 'hello from sitecustomize\\n' instead of accel's protocol" in pypy["reason"]
    assert f"run '{noisy} -c pass' and remove what it prints" in pypy["reason"]
    assert numpy["status"] == "ok"


@needs_pypy
def test_the_pypy_backend_needs_no_numpy_in_pypy(accel_cli, tmp_path):
    broken = tmp_path / "site" / "numpy"
    broken.mkdir(parents=True)
    (broken / "__init__.py").write_text("raise ImportError('numpy is broken on purpose')\n")
    log = tmp_path / "started"
    wrapper = _script(
        tmp_path, "pypy3", f'echo "$@" >> {log}\nPYTHONPATH={broken.parent} exec {PYPY} "$@"\n'
    )
    no_numpy = subprocess.run([wrapper, "-c", "import numpy"], capture_output=True, text=True)
    assert no_numpy.returncode != 0 and "numpy is broken on purpose" in no_numpy.stderr
    code, (pypy, _) = _run(accel_cli, wrapper)
    assert code == 0 and pypy["status"] == "ok", pypy["reason"]
    assert pypy["check"]["passed"]
    assert "pypy_server.py" in log.read_text()  # the run really went through the wrapper


@needs_pypy
def test_a_kernel_printing_to_stdout_does_not_corrupt_the_protocol(fault_kernels, accel_cli):
    result = accel_cli(
        "run", "crashing", "--backend", "pypy", "--repeats", "2", "--no-store", "--json",
        env={"ACCEL_PYPY": PYPY},
    )  # fmt: skip
    record = json.loads(result.stdout)
    assert record["status"] == "ok", record["reason"] + record["stderr_tail"]
    assert record["check"]["passed"]

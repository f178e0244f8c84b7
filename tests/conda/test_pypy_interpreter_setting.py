"""ACCEL_PYPY names the PyPy interpreter, as the conda route needs.

A real PyPy at a path no default search looks at (a PyPy virtual environment in a
temporary folder) is found, reported and used for a run; a setting that names no
PyPy makes the backend unavailable with a reason that names ACCEL_PYPY.

The temporary PyPy's site-packages holds a ``.pth`` line that appends the process id
to a log when that interpreter starts, so a run can show which PyPy it started.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from accel.backends.pypy import PYPY_ENV, PyPyBackend, find_pypy

SYSTEM_PYPY = shutil.which("pypy3")
pytestmark = pytest.mark.skipif(
    SYSTEM_PYPY is None,
    reason="no pypy3 here to make a PyPy environment from (apt-get install pypy3 pypy3-venv)",
)


def _run(*command: str | Path) -> str:
    return subprocess.run(
        [str(part) for part in command], capture_output=True, text=True, check=True, timeout=60
    ).stdout.strip()


@pytest.fixture(scope="module")
def pypy_elsewhere(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(a PyPy interpreter in a temporary folder, the log its start-ups append to)."""
    folder = tmp_path_factory.mktemp("elsewhere")
    environment = folder / "pypy-env"
    _run(SYSTEM_PYPY, "-m", "venv", "--without-pip", environment)
    interpreter = environment / "bin" / "pypy3"
    site_packages = _run(interpreter, "-c", "import site; print(site.getsitepackages()[0])")
    log = folder / "started.log"
    Path(site_packages, "accel_started_log.pth").write_text(
        f"import os; open({str(log)!r}, 'a').write('%d\\n' % os.getpid())\n"
    )
    return interpreter, log


def _pypy_row(accel_cli, pypy_setting: str) -> dict:
    result = accel_cli("backends", "--json", env={PYPY_ENV: pypy_setting})
    assert result.returncode == 0, result.stderr
    return next(row for row in json.loads(result.stdout) if row["name"] == "pypy")


@pytest.mark.slow
def test_find_pypy_prefers_accel_pypy_to_the_default_search(monkeypatch, pypy_elsewhere):
    interpreter, log = pypy_elsewhere
    monkeypatch.delenv(PYPY_ENV, raising=False)
    default, _ = find_pypy()
    assert default is not None and default != str(interpreter)
    log.unlink(missing_ok=True)
    _run(default, "-c", "pass")
    assert not log.exists(), "the default PyPy must not write the temporary PyPy's log"

    monkeypatch.setenv(PYPY_ENV, str(interpreter))
    assert find_pypy() == (str(interpreter), f"${PYPY_ENV}")


@pytest.mark.slow
def test_backends_reports_the_interpreter_accel_pypy_names(accel_cli, pypy_elsewhere):
    interpreter, _ = pypy_elsewhere
    row = _pypy_row(accel_cli, str(interpreter))
    assert row["available"] is True
    assert row["reason"] == f"available ({interpreter}, from ${PYPY_ENV})"


@pytest.mark.slow
def test_run_uses_the_interpreter_accel_pypy_names(accel_cli, pypy_elsewhere):
    interpreter, log = pypy_elsewhere
    log.unlink(missing_ok=True)
    result = accel_cli(
        "run", "julia", "--backend", "pypy", "--preset", "S", "--repeats", "2", "--json",
        env={PYPY_ENV: str(interpreter)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["status"] == "ok", record["reason"]
    assert record["check"]["passed"] is True
    assert log.read_text().split(), "the run did not start the PyPy that ACCEL_PYPY names"
    version = _run(interpreter, "-c", "import sys; print('%d.%d.%d' % sys.pypy_version_info[:3])")
    assert record["versions"]["pypy"] == version


@pytest.mark.slow
def test_accel_pypy_naming_no_file_makes_pypy_unavailable(accel_cli, tmp_path):
    missing = tmp_path / "no-such-pypy3"
    row = _pypy_row(accel_cli, str(missing))
    assert row["available"] is False
    assert f"{PYPY_ENV}={missing}" in row["reason"]


@pytest.mark.slow
def test_accel_pypy_naming_cpython_makes_pypy_unavailable(monkeypatch):
    monkeypatch.setenv(PYPY_ENV, sys.executable)
    availability = PyPyBackend().available()
    assert availability.ok is False
    assert f"{sys.executable} (${PYPY_ENV}) is not a working PyPy: CPython" == availability.reason

"""Shared test set-up: an isolated ACCEL_HOME, and the `gpu` skip where there is no GPU."""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

#: Folders of ACCEL_HOME that hold caches (built native libraries, kernel references):
#: shared by every test, so each C kernel is compiled once per session, not once per test.
CACHES = ("native", "reference")


@pytest.fixture(autouse=True, scope="session")
def _isolated_accel_home(tmp_path_factory: pytest.TempPathFactory):
    """Keep stores and caches written by tests out of the user's cache directory.

    This session-wide home holds the caches; each test gets a home of its own for its
    store (``_own_store``). Module- and session-scoped fixtures measure with store=False.
    """
    home = tmp_path_factory.mktemp("accel-home")
    for cache in CACHES:
        (home / cache).mkdir()
    previous = os.environ.get("ACCEL_HOME")
    os.environ["ACCEL_HOME"] = str(home)
    yield home
    if previous is None:
        os.environ.pop("ACCEL_HOME", None)
    else:
        os.environ["ACCEL_HOME"] = previous


@pytest.fixture(autouse=True)
def _own_store(
    _isolated_accel_home: Path,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
):
    """Each test's default store is its own (ACCEL_HOME per test; the caches are shared).

    The home is a folder of its own, not in ``tmp_path``, which the test may list.
    """
    home = tmp_path_factory.mktemp("home")
    for cache in CACHES:
        (home / cache).symlink_to(_isolated_accel_home / cache, target_is_directory=True)
    monkeypatch.setenv("ACCEL_HOME", str(home))
    return home


def _gpu_absent_reason() -> str | None:
    """Why there is no usable NVIDIA GPU here, or None if there is one."""
    if shutil.which("nvidia-smi") is None:
        return "no NVIDIA driver here (nvidia-smi not found)"
    try:
        result = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"nvidia-smi does not run: {exc}"
    if result.returncode != 0 or "GPU" not in result.stdout:
        return "nvidia-smi lists no GPU"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # The marker, not the keyword: every test under tests/gpu/ has the keyword "gpu".
    if not any(item.get_closest_marker("gpu") for item in items):
        return
    reason = _gpu_absent_reason()
    if reason is None:
        return
    for item in items:
        if item.get_closest_marker("gpu"):
            item.add_marker(pytest.mark.skip(reason=f"gpu test: {reason}"))


def _run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 600):
    return subprocess.run(
        [sys.executable, "-m", "accel", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture(scope="session")
def accel_cli():
    """Run the real ``accel`` command line in a subprocess: ``accel_cli("run", ...)``.

    Session-scoped (it keeps no state), so module-scoped fixtures can use it too.
    """
    return _run_cli


def _run_in_cuda_simulator(script: str, *python_options: str) -> list:
    """Run ``script`` in a fresh Python with NUMBA_ENABLE_CUDASIM=1; its JSON lines, parsed.

    The simulator must be switched on before ``numba.cuda`` is first imported, hence a
    subprocess. The script prints one JSON value per outcome.
    """
    result = subprocess.run(
        [sys.executable, *python_options, "-c", script],
        capture_output=True,
        text=True,
        env={**os.environ, "NUMBA_ENABLE_CUDASIM": "1"},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


@pytest.fixture
def run_in_cuda_simulator():
    """``run_in_cuda_simulator(script, *python_options)`` -> the script's JSON lines."""
    return _run_in_cuda_simulator


@functools.cache
def _ptx_absent_reason() -> str | None:
    """Why Numba cannot compile a CUDA kernel to PTX here (no GPU needed), or None.

    Built-in ``numba.cuda`` needs libNVVM; NVIDIA's ``numba-cuda`` also asks NVRTC which
    architectures it can target, so a one-line kernel is compiled to find out.
    """
    try:
        from numba import cuda
        from numba.cuda.cudadrv import nvvm

        if not nvvm.is_available():
            return "Numba finds no libNVVM here: install the CUDA toolkit to compile for a GPU"

        def probe(out):
            out[0] = 1

        cuda.compile_ptx(probe, "void(int32[::1])", cc=(8, 0))
    except Exception as exc:
        first = (str(exc).strip().splitlines() or [""])[0][:200]
        return (
            f"Numba cannot compile a one-line kernel to PTX here ({type(exc).__name__}: "
            f"{first}); numba-cuda needs NVRTC too: pip install 'accel-testbed[cuda]'"
        )
    return None


@pytest.fixture
def compile_ptx():
    """``compile_ptx(python_function, signature, cc)`` -> PTX text from Numba's NVVM, for a
    real GPU (no GPU needed); the test is skipped, with the reason, where Numba cannot."""
    reason = _ptx_absent_reason()
    if reason is not None:
        pytest.skip(reason)
    from numba import cuda

    def compile_for(function, signature: str, cc: tuple[int, int]) -> str:
        return cuda.compile_ptx(function, signature, cc=cc)[0]

    return compile_for

"""Shared by the kernel tests: Numba's CUDA simulator, and nvcc-built host programs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


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


@pytest.fixture
def nvcc() -> str:
    """The nvcc compiler, or a skip that says how to get it."""
    found = shutil.which("nvcc")
    if found is None:
        pytest.skip("nvcc not found: install the CUDA toolkit to compile the CuPy kernels")
    return found


@pytest.fixture
def host_program(nvcc, tmp_path):
    """``host_program(harness, include)``: nvcc builds a C++ harness that #includes a
    kernel's .cu (found in ``include``) into a program for the CPU; its path."""

    def build(harness: str, include: Path) -> Path:
        source, program = tmp_path / "harness.cu", tmp_path / "harness"
        source.write_text(harness)
        result = subprocess.run(
            [nvcc, "-I", str(include), "-o", str(program), str(source)],
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stderr
        return program

    return build

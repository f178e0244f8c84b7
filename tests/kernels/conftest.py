"""Shared by the kernel tests: nvcc-built host programs (the simulator fixture is in
tests/conftest.py)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest


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

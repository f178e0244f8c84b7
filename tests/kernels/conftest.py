"""Shared by the kernel tests: running a script under Numba's CUDA simulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys

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

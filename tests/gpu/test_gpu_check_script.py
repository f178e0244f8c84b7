"""scripts/gpu_check.sh: one command for a GPU machine that stops at once without a GPU,
and never runs past its time budget (each step skipped once the budget is spent)."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "gpu_check.sh"
STEPS = [
    "setup", "backends", "hardware", "selftest", "book-julia", "book-diffusion", "book-norm",
    "book-pi", "book-primes", "pytest-gpu", "benchmarks",
]  # fmt: skip


def _run(tmp_path, path: str, budget: str = "530"):
    out = tmp_path / "out"
    done = subprocess.run(
        ["bash", str(SCRIPT), str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PATH": path, "GPU_CHECK_BUDGET_S": budget},
    )
    return done, out


@pytest.mark.skipif(shutil.which("nvidia-smi") is not None, reason="this machine has nvidia-smi")
def test_without_a_gpu_it_says_so_and_runs_nothing(tmp_path):
    done, out = _run(tmp_path, os.environ["PATH"])
    assert done.returncode == 2, done.stdout + done.stderr
    assert (out / "summary.txt").read_text().startswith("no NVIDIA GPU here")
    assert not (out / "setup.txt").exists()


def test_a_spent_budget_skips_every_step_and_fails(tmp_path):
    fake = tmp_path / "bin"
    fake.mkdir()
    smi = fake / "nvidia-smi"
    smi.write_text("#!/bin/sh\necho 'GPU 0: Stand-in GPU (UUID: GPU-0)'\n")
    smi.chmod(0o755)
    done, out = _run(tmp_path, f"{fake}:{os.environ['PATH']}", budget="0")
    assert done.returncode == 1, done.stdout + done.stderr
    lines = (out / "summary.txt").read_text().splitlines()
    assert lines[: len(STEPS)] == [f"{name}: skipped (budget of 0 s spent)" for name in STEPS]
    assert lines[-1].startswith("total: ")
    assert (out / "nvidia-smi.txt").read_text().startswith("GPU 0: Stand-in GPU")

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
    "book-pi", "book-primes", "pytest-gpu", "benchmarks", "book-diffusion-torch_graph",
    "book-diffusion-cupy_graph",
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


def _stand_in_gpu_and_venv(tmp_path):
    """A PATH with an nvidia-smi that lists a GPU, and a venv whose python and accel only
    write down how they were started (arguments, working folder, environment)."""
    fake = tmp_path / "bin"
    fake.mkdir()
    smi = fake / "nvidia-smi"
    smi.write_text("#!/bin/sh\necho 'GPU 0: Stand-in GPU (UUID: GPU-0)'\n")
    smi.chmod(0o755)
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    for tool in ("python", "accel"):
        script = venv / "bin" / tool
        script.write_text(
            "#!/bin/sh\n"
            f'echo "{tool} $*"\n'
            'echo "cwd $(pwd)"\n'
            'echo "ACCEL_HOME=$ACCEL_HOME"\n'
            'echo "NUMBA_ENABLE_CUDASIM=${NUMBA_ENABLE_CUDASIM-unset}"\n'
        )
        script.chmod(0o755)
    return f"{fake}:{os.environ['PATH']}", venv


def test_every_step_runs_with_its_output_in_the_folder_given_from_where_it_was_run(tmp_path):
    path, venv = _stand_in_gpu_and_venv(tmp_path)
    caller = tmp_path / "caller"
    caller.mkdir()
    done = subprocess.run(
        ["bash", str(SCRIPT), "out"],  # relative: from the caller's folder
        capture_output=True,
        text=True,
        timeout=120,
        cwd=caller,
        env={
            **os.environ,
            "PATH": path,
            "GPU_CHECK_BUDGET_S": "300",
            "GPU_CHECK_VENV": str(venv),
            "NUMBA_ENABLE_CUDASIM": "1",  # a shell set up for the simulator
        },
    )
    out = caller / "out"
    assert done.returncode == 0, done.stdout + done.stderr
    lines = (out / "summary.txt").read_text().splitlines()
    assert [line.split(":")[0] for line in lines[:-1]] == STEPS
    assert all(": exit 0 in " in line for line in lines[:-1]), lines
    for name in STEPS:
        text = (out / f"{name}.txt").read_text()
        # every step sees the check's own store, inside the folder, by an absolute path,
        # and runs on the GPU, not in Numba's simulator
        assert f"ACCEL_HOME={out}/accel-home" in text, text
        assert "NUMBA_ENABLE_CUDASIM=unset" in text, text
    assert (out / "selftest.txt").read_text().startswith("accel selftest --gpu")
    assert f"--out {out}/benchmarks" in (out / "benchmarks.txt").read_text()
    graph = (out / "book-diffusion-cupy_graph.txt").read_text()
    assert "--backends cupy --variant cupy_graph" in graph
    assert (out / "nvidia-smi-q.txt").exists()

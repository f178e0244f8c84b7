"""On a machine without an NVIDIA GPU the GPU backends say why, and everything else carries on."""

import importlib.util
import json
from pathlib import Path

import pytest

GPU_BACKENDS = ("numba_cuda", "cupy", "torch_cuda")
NO_SIMULATOR = {"NUMBA_ENABLE_CUDASIM": "0"}

pytestmark = pytest.mark.skipif(
    Path("/proc/driver/nvidia").exists(), reason="this machine has the NVIDIA kernel driver"
)


@pytest.mark.slow
def test_gpu_backends_are_unavailable_with_reasons_naming_what_is_missing(accel_cli):
    result = accel_cli("backends", "--json", env=NO_SIMULATOR)
    assert result.returncode == 0, result.stderr
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    for name in GPU_BACKENDS:
        assert rows[name]["device"] == "cuda"
        assert rows[name]["available"] is False
        assert "NVIDIA driver" in rows[name]["reason"], rows[name]["reason"]
    if importlib.util.find_spec("cupy") is None:  # and how to get the missing library
        assert "pip install 'accel-testbed[cuda]'" in rows["cupy"]["reason"]
    torch = pytest.importorskip("torch")
    if torch.version.cuda is None:  # this venv's CPU build: the reason says so too
        assert "built without CUDA" in rows["torch_cuda"]["reason"]


@pytest.mark.slow
def test_compare_carries_on_without_the_gpu_backends(accel_cli):
    result = accel_cli(
        "compare", "julia", "--size", "32", "--repeats", "2",
        "--backends", "numpy,numba_cuda,cupy,torch_cuda", env=NO_SIMULATOR,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line.split()[1] for line in result.stdout.splitlines()[2:] if line}
    assert rows["numpy"] == "ok"
    assert all(rows[name] == "unavailable" for name in GPU_BACKENDS)


@pytest.mark.slow
def test_selftest_gpu_reports_that_nothing_was_tested_with_exit_code_5(accel_cli):
    result = accel_cli("selftest", "--gpu", "--kernels", "julia", env=NO_SIMULATOR)
    assert result.returncode == 5, result.stdout + result.stderr
    for name in GPU_BACKENDS:
        assert f"{name}: unavailable: " in result.stdout
    assert "nothing was tested" in result.stdout

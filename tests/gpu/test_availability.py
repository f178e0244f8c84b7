"""Available means a tiny kernel of the backend compiled and ran here; each way it can fail
has its own reason with its fix (issue 17, items 4-6). Stand-ins for CuPy and torch play
the GPU; Numba's checks are pure functions of the versions the driver and toolkit report.
"""

from __future__ import annotations

import argparse
import sys
import types

import numpy as np
import pytest

from accel.backends import cupy as cupy_backend
from accel.backends import get_backend
from accel.backends.base import Availability
from accel.backends.numba_cuda import toolchain_problem
from accel.backends.torch_cuda import torch_runs_on_the_gpu


def _fake_cupy(*, compile_error=None, kernel_writes=(1, 2, 3, 4), matmul_error=None):
    """A ``cupy`` whose arrays are NumPy arrays; the probe kernel and matmul can fail."""
    cupy = types.ModuleType("cupy")
    compiled = []

    class RawKernel:
        def __init__(self, code, name):
            if compile_error:
                raise RuntimeError(compile_error)
            assert f"void {name}(" in code
            compiled.append(name)

        def __call__(self, grid, block, arguments):
            (out,) = arguments
            out[: block[0]] = kernel_writes

    class Array(np.ndarray):
        def __matmul__(self, other):
            if matmul_error:
                raise RuntimeError(matmul_error)
            return np.matmul(np.asarray(self), np.asarray(other))

    cupy.RawKernel = RawKernel
    cupy.zeros = np.zeros
    cupy.ones = lambda shape, dtype: np.ones(shape, dtype).view(Array)
    cupy.asnumpy = np.asarray
    cupy.compiled = compiled
    return cupy


def test_cupy_that_compiles_runs_and_multiplies_is_available():
    cupy = _fake_cupy()
    assert cupy_backend.cupy_works(cupy) is None
    assert cupy.compiled == ["accel_probe"]


def test_cupy_without_nvrtc_says_it_cannot_compile_and_how_to_get_nvrtc():
    found = cupy_backend.cupy_works(_fake_cupy(compile_error="libnvrtc.so.12: not found"))
    assert not found.ok
    assert "cannot compile or run a kernel (libnvrtc.so.12: not found)" in found.reason
    assert "cupy-cuda12x[ctk]" in found.reason


def test_cupy_without_cublas_says_it_cannot_multiply():
    found = cupy_backend.cupy_works(_fake_cupy(matmul_error="libcublas.so.12: not found"))
    assert not found.ok and "cannot multiply with cuBLAS (libcublas.so.12" in found.reason


def test_a_kernel_that_runs_but_writes_the_wrong_values_is_not_available():
    found = cupy_backend.cupy_works(_fake_cupy(kernel_writes=(0, 0, 0, 0)))
    assert not found.ok and "wrote [0, 0, 0, 0]" in found.reason


def test_the_cupy_backend_runs_the_probe_after_finding_a_device(monkeypatch):
    cupy = _fake_cupy(compile_error="nvrtc missing")
    cupy.cuda = types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=lambda: 1))
    monkeypatch.setitem(sys.modules, "cupy", cupy)
    monkeypatch.setattr(cupy_backend, "driver_availability", lambda: Availability(True))
    found = cupy_backend.CupyBackend().available()
    assert not found.ok and "nvrtc missing" in found.reason


@pytest.mark.parametrize(
    "device, supported, driver, toolkit, expected",
    [
        ((8, 0), [(5, 0), (9, 0)], (12, 4), (12, 9), None),
        ((8, 0), [], (12, 4), (12, 9), "reports no compute capability"),
        ((3, 5), [(5, 0), (9, 0)], (12, 4), (12, 9), "3.5 is older than the oldest"),
        ((10, 0), [(5, 0), (9, 0)], (12, 4), (12, 9), "10.0 is newer than the newest"),
        ((8, 0), [(5, 0), (9, 0)], (11, 8), (12, 9), "toolkit 12.9 is newer than the driver"),
    ],
)
def test_numba_toolchain_problems_each_have_their_own_reason(
    device, supported, driver, toolkit, expected
):
    problem = toolchain_problem(device, supported, driver, toolkit)
    if expected is None:
        assert problem is None
    else:
        assert expected in problem
        assert "pip install" in problem or "driver" in problem


def test_torch_without_cuda_kernels_says_so_with_the_build_it_needs():
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this torch can use a GPU")
    found = torch_runs_on_the_gpu(torch)  # the real CPU build, asked for a CUDA tensor
    assert not found.ok
    assert f"torch {torch.__version__} cannot run an operation on the GPU" in found.reason
    assert "torch==2.13.0" in found.reason


def test_torch_that_runs_the_small_operation_is_available():
    torch = pytest.importorskip("torch")

    def arange(*args, device, **kwargs):
        assert device == "cuda"
        return torch.arange(*args, **kwargs)

    on_a_gpu = types.SimpleNamespace(arange=arange, float32=torch.float32)
    assert torch_runs_on_the_gpu(on_a_gpu) is None


def test_selftest_fails_loudly_when_a_gpu_is_present_and_a_backend_cannot_use_it(
    monkeypatch, capsys
):
    from accel.cli import selftest_cmd

    monkeypatch.setattr(selftest_cmd, "driver_availability", lambda: Availability(True, "1"))
    monkeypatch.setattr(selftest_cmd, "run_pairings", lambda *args: [])
    torch_cuda = get_backend("torch_cuda")
    monkeypatch.setattr(torch_cuda, "_availability", Availability(False, "a CPU build"))
    args = argparse.Namespace(gpu=True, kernels="julia", size=8, preset="S", timeout=60, json=False)
    assert selftest_cmd.run(args) == 1
    out = capsys.readouterr().out
    assert "FAILED: a GPU is present but torch_cuda cannot use it: a CPU build" in out

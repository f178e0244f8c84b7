"""CuPy implementations get their sums from a workspace allocated once per run, zeroed on
the device at each call (issue 17, item 3), through the same bind() as numba_cuda: checked
with a stand-in ``cupy`` whose kernels add into their output (a missed reset would count
twice) and which counts every allocation."""

from __future__ import annotations

import importlib
import sys
import types

import numpy as np
import pytest
from accel.kernels import get_kernel

from accel.backends.cupy import CupyBackend


@pytest.fixture
def stand_in_cupy(monkeypatch):
    allocations = []
    cupy = types.ModuleType("cupy")

    def allocating(name, make):
        def allocate(*args, **kwargs):
            allocations.append(name)
            return make(*args, **kwargs)

        return allocate

    cupy.empty = allocating("empty", np.empty)
    cupy.zeros = allocating("zeros", np.zeros)
    cupy.ndarray = np.ndarray

    cupy.cuda = types.SimpleNamespace(
        runtime=types.SimpleNamespace(deviceSynchronize=lambda: None),
        Device=lambda: types.SimpleNamespace(id=0),
    )
    monkeypatch.setitem(sys.modules, "cupy", cupy)
    from accel.kernels import _cuda

    monkeypatch.setattr(_cuda, "cupy_device_limits", lambda: _cuda.DeviceLimits(1024, 1, 32))
    for kernel in ("norm", "primes"):
        sys.modules.pop(f"accel.kernels.{kernel}.cupy_impl", None)
    yield allocations
    for kernel in ("norm", "primes"):
        sys.modules.pop(f"accel.kernels.{kernel}.cupy_impl", None)


def _add_squares(grid, block, arguments):  # norm.cu: add the squares into out[0]
    v, size, out = arguments
    out[0] += float((np.asarray(v) ** 2).sum())


def _add_primes(grid, block, arguments):  # primes.cu: add the count of primes to total[0]
    numbers, size, total = arguments
    total[0] += sum(1 for n in numbers if n > 1 and all(n % d for d in range(2, int(n**0.5) + 1)))


KERNELS = {"norm": _add_squares, "primes": _add_primes}


@pytest.mark.parametrize(
    "kernel, inputs, expected",
    [
        ("norm", {"v": np.arange(5.0)}, 30.0),
        ("primes", {"numbers": np.arange(20, dtype=np.int64)}, 8),
    ],
)
def test_outputs_come_from_one_allocation_per_run_and_restart_at_zero(
    stand_in_cupy, monkeypatch, kernel, inputs, expected
):
    module = importlib.import_module(f"accel.kernels.{kernel}.cupy_impl")
    monkeypatch.setattr(module, "cupy_function", lambda path, name: KERNELS[kernel])
    monkeypatch.setattr(module, "launch_config", lambda n, limits: (1, 32))
    backend = CupyBackend()
    compute = backend.load(get_kernel(kernel))
    call = backend.bind(compute, inputs)
    assert stand_in_cupy == ["empty"]  # the workspace, once
    results = [float(call()[0]) for _ in range(3)]
    assert results == [expected] * 3  # reset on the device each call
    assert stand_in_cupy == ["empty"]  # and no allocation inside any call

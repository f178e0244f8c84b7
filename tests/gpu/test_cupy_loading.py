"""CuPy kernels come from their .cu file, compiled once per process (checked with a stand-in
``cupy``, since CuPy needs a CUDA driver to import)."""

import importlib
import sys
import types
from pathlib import Path

import numpy as np
import pytest


@pytest.fixture
def fake_cupy(monkeypatch):
    """A ``cupy`` module whose RawModule records what it compiles."""
    compiled: list[str] = []

    class RawModule:
        def __init__(self, code: str) -> None:
            compiled.append(code)
            self.code = code

        def get_function(self, name: str):
            assert f"void {name}(" in self.code, f"{name} is not defined in the source"
            return ("kernel", name)

    cupy = types.ModuleType("cupy")
    cupy.RawModule, cupy.RawKernel, cupy.ndarray = RawModule, object, np.ndarray
    monkeypatch.setitem(sys.modules, "cupy", cupy)
    from accel.kernels import _cuda

    _cuda._cupy_module.cache_clear()
    yield compiled
    _cuda._cupy_module.cache_clear()
    for kernel in ("diffusion", "norm", "julia", "pi", "primes"):
        sys.modules.pop(f"accel.kernels.{kernel}.cupy_impl", None)


@pytest.mark.parametrize(
    "kernel, dtype", [("diffusion", np.float64), ("diffusion", np.float32), ("norm", np.float32)]
)
def test_each_dtype_gets_its_kernel_from_the_source_compiled_once(fake_cupy, kernel, dtype):
    from accel.kernels._cuda import cupy_function

    module = importlib.import_module(f"accel.kernels.{kernel}.cupy_impl")
    name = module.KERNELS[np.dtype(dtype)]
    assert cupy_function(module.SOURCE, name) == ("kernel", name)
    assert cupy_function(module.SOURCE, name) == ("kernel", name)
    assert fake_cupy == [Path(module.SOURCE).read_text()]


@pytest.mark.parametrize("kernel, inputs", [("pi", (1000, None)), ("primes", (np.arange(10),))])
def test_pi_and_primes_launch_a_kernel_their_source_defines(fake_cupy, monkeypatch, kernel, inputs):
    """They load through the same cupy_function as the others (no RawKernel of their own)."""
    from accel.kernels._cuda import DeviceLimits

    module = importlib.import_module(f"accel.kernels.{kernel}.cupy_impl")
    monkeypatch.setattr(module.cupy, "empty", np.empty, raising=False)  # the workspace's
    monkeypatch.setattr(module, "cupy_device_limits", lambda: DeviceLimits(1024, 1, 32))
    launched = []
    monkeypatch.setattr(
        module, "cupy_function", lambda source, name: lambda *a: launched.append((source, name))
    )
    module.compute(*inputs)
    ((source, name),) = launched
    assert source == module.SOURCE and f"void {name}(" in Path(source).read_text()


def test_one_source_serves_every_module_once(fake_cupy):
    from accel.kernels._cuda import cupy_function

    julia = importlib.import_module("accel.kernels.julia.cupy_impl")
    for name, _ in julia.KERNELS.values():
        assert cupy_function(julia.SOURCE, name) == ("kernel", name)
    assert len(fake_cupy) == 1

"""CuPy implementations get their outputs from a workspace allocated once per run (zeroed on
the device at each call where a kernel adds into it), through the same bind() as numba_cuda
(issue 17, item 3): checked with a stand-in ``cupy`` whose arrays record every array that
gets memory of its own (a factory call, a copy, an operation without ``out=``) and whose
kernels do on the host what the ``.cu`` kernels do (norm's and primes' add into their
output, so a missed reset would count twice)."""

from __future__ import annotations

import importlib
import sys
import types

import numpy as np
import pytest
from accel.kernels import get_kernel

from accel.backends.cupy import CupyBackend

KERNELS = ("norm", "primes", "julia", "diffusion", "matmul")


class DeviceArray(np.ndarray):
    """A stand-in CuPy array: every array with memory of its own is appended to ``made``."""

    made: list[str] = []

    def __array_finalize__(self, obj):
        if self.base is None:  # a copy or an empty_like: new memory, not a view
            DeviceArray.made.append("new array")

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        if out is None:
            DeviceArray.made.append(f"{ufunc.__name__} result")
        plain = [np.asarray(x) if isinstance(x, DeviceArray) else x for x in inputs]
        if out is not None:
            kwargs["out"] = tuple(np.asarray(o) for o in out)
        result = getattr(ufunc, method)(*plain, **kwargs)
        return out[0] if out is not None else np.asarray(result).view(DeviceArray)


def on_device(value):
    return np.ascontiguousarray(value).view(DeviceArray) if isinstance(value, np.ndarray) else value


@pytest.fixture
def stand_in_cupy(monkeypatch):
    made = []
    monkeypatch.setattr(DeviceArray, "made", made)
    cupy = types.ModuleType("cupy")

    def allocating(name):
        make = getattr(np, name)

        def allocate(*args, **kwargs):
            made.append(name)
            return make(*args, **kwargs).view(DeviceArray)

        return allocate

    for name in ("empty", "zeros", "empty_like"):
        setattr(cupy, name, allocating(name))
    cupy.ndarray = DeviceArray
    cupy.matmul = np.matmul
    cupy.ascontiguousarray = np.ascontiguousarray  # a copy only where not contiguous
    cupy.cuda = types.SimpleNamespace(
        runtime=types.SimpleNamespace(deviceSynchronize=lambda: None),
        Device=lambda: types.SimpleNamespace(id=0),
    )
    monkeypatch.setitem(sys.modules, "cupy", cupy)
    for kernel in KERNELS:
        sys.modules.pop(f"accel.kernels.{kernel}.cupy_impl", None)
    yield made
    for kernel in KERNELS:
        sys.modules.pop(f"accel.kernels.{kernel}.cupy_impl", None)


# What each .cu kernel does, on the host: (grid, block, arguments) as CuPy launches it.
def _add_squares(grid, block, arguments):  # norm.cu: add the squares into out[0]
    v, size, out = arguments
    out[0] += float((np.asarray(v) ** 2).sum())


def _add_primes(grid, block, arguments):  # primes.cu: add the count of primes to total[0]
    numbers, size, total = arguments
    total[0] += sum(1 for n in numbers if n > 1 and all(n % d for d in range(2, int(n**0.5) + 1)))


def _escape_counts(grid, block, arguments):  # julia.cu: write every point's escape count
    zs, c_real, c_imag, max_iter, out, size = arguments
    for i, z in enumerate(np.asarray(zs).astype(np.complex128)):
        count = 0
        while count < max_iter and abs(z) < 2:
            z, count = z * z + complex(c_real, c_imag), count + 1
        out[i] = count


def _diffusion_step(grid, block, arguments):  # diffusion.cu: one step from grid into out
    source, out, rows, cols, factor = (np.asarray(a) for a in arguments)
    neighbours = sum(np.roll(source, shift, axis) for shift in (1, -1) for axis in (0, 1))
    out[...] = source + factor * (neighbours - 4 * source)


STAND_IN_KERNELS = {
    "norm": _add_squares,
    "primes": _add_primes,
    "julia": _escape_counts,
    "diffusion": _diffusion_step,
}
CASES = [
    ("norm", 5, "float64", {}),
    ("primes", 20, "int64", {}),
    ("julia", 12, "complex128", {"max_iter": 30}),
    ("diffusion", 12, "float64", {"steps": 4}),
    ("diffusion", 12, "float32", {"steps": 0}),
    ("matmul", 8, "float64", {}),
]


@pytest.mark.parametrize("kernel, size, dtype, params", CASES)
def test_outputs_come_from_one_allocation_per_run_and_restart_each_call(
    stand_in_cupy, monkeypatch, kernel, size, dtype, params
):
    spec = get_kernel(kernel)
    module = importlib.import_module(f"accel.kernels.{kernel}.cupy_impl")
    if kernel in STAND_IN_KERNELS:
        monkeypatch.setattr(module, "cupy_function", lambda path, name: STAND_IN_KERNELS[kernel])
        monkeypatch.setattr(module, "launch_config", lambda n, limits: (1, 32))
        monkeypatch.setattr(module, "cupy_device_limits", lambda: None)
    inputs = spec.make_inputs(size, dtype, **params)
    backend = CupyBackend()
    call = backend.bind(backend.load(spec), {k: on_device(v) for k, v in inputs.items()})
    assert stand_in_cupy  # the workspace, allocated by bind
    at_bind = list(stand_in_cupy)
    for _ in range(3):
        output = call()
        assert stand_in_cupy == at_bind  # no allocation inside any call
        result = np.asarray(output)
        verdict = spec.check(result if result.size > 1 else result.item(), inputs)
        assert verdict.passed, verdict.detail  # reset or refilled on the device each call


def test_the_stand_in_sees_an_operation_that_allocates(stand_in_cupy):
    """The detector can fail: ``a @ b`` without ``out=`` and a copy are both seen."""
    a = on_device(np.ones((2, 2)))
    _ = a @ a
    _ = a.copy()
    assert stand_in_cupy == ["matmul result", "new array"]

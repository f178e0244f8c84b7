"""A stand-in ``cupy`` for the GPU tests that run here (CuPy needs a CUDA driver to import).

Its arrays are NumPy arrays of a subclass that records every array with memory of its
own (a factory call, a copy, an operation without ``out=``), so a test can say that a
call allocated nothing; its kernels are host functions doing what the ``.cu`` kernels do;
its streams capture kernel launches into a graph whose launch runs them, as CUDA's stream
capture does (a captured launch does not run; the graph's launch runs them all).
"""

from __future__ import annotations

import sys
import types
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

#: Implementation modules that import ``cupy``: dropped so each test imports them afresh.
CUPY_MODULES = [
    *(f"accel.kernels.{k}.cupy_impl" for k in ("norm", "primes", "julia", "diffusion", "pi")),
    "accel.kernels.matmul.cupy_impl",
    "accel.kernels.diffusion.cupy_graph",
]


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


class StandInCupy:
    """What a test reads back: ``made`` (allocations), ``log`` (launches from Python and
    graph launches, in order), ``module`` (the ``cupy`` module itself)."""

    def __init__(self) -> None:
        self.made: list[str] = []
        self.log: list[str] = []
        self.capturing: list | None = None
        self.current: Any = None
        self.module = self._module()

    @staticmethod
    def on_device(value: Any) -> Any:
        """An input as the backend's staging leaves it: a contiguous device array."""
        if isinstance(value, np.ndarray):
            return np.ascontiguousarray(value).view(DeviceArray)
        return value

    def kernel(self, on_host: Callable[[Any, Any, tuple], None]) -> Callable[..., None]:
        """A compiled kernel that runs ``on_host(grid, block, arguments)`` when launched,
        or is recorded into the graph being captured."""

        def launch(grid: Any, block: Any, arguments: tuple) -> None:
            if self.capturing is not None:
                self.capturing.append((on_host, grid, block, arguments))
            else:
                self.log.append("kernel")
                on_host(grid, block, arguments)

        return launch

    def _module(self) -> types.ModuleType:
        stand_in = self
        cupy = types.ModuleType("cupy")

        def allocating(name: str) -> Callable[..., Any]:
            make = getattr(np, name)

            def allocate(*args: Any, **kwargs: Any) -> Any:
                stand_in.made.append(name)
                return make(*args, **kwargs).view(DeviceArray)

            return allocate

        for name in ("empty", "zeros", "empty_like"):
            setattr(cupy, name, allocating(name))
        cupy.ndarray = DeviceArray
        cupy.matmul = np.matmul
        cupy.ascontiguousarray = np.ascontiguousarray  # a copy only where not contiguous

        class Graph:
            def __init__(self, launches: list) -> None:
                self.launches = launches

            def launch(self, stream: Any = None) -> None:
                stand_in.log.append(f"graph launch on {stream}")
                for on_host, grid, block, arguments in self.launches:
                    on_host(grid, block, arguments)

        class Stream:
            def __init__(self, non_blocking: bool = False) -> None:
                self.non_blocking = non_blocking

            def __enter__(self) -> Stream:
                stand_in.current = self
                return self

            def __exit__(self, *exc: Any) -> None:
                stand_in.current = None

            def begin_capture(self) -> None:
                assert stand_in.current is self, "capture starts on the current stream"
                assert self.non_blocking, "a blocking stream is tied to the default stream"
                stand_in.capturing = []

            def end_capture(self) -> Graph:
                graph, stand_in.capturing = Graph(stand_in.capturing), None
                return graph

            def __str__(self) -> str:
                return "the default stream" if self is NULL else "a side stream"

        NULL = Stream()
        cupy.cuda = types.SimpleNamespace(
            runtime=types.SimpleNamespace(deviceSynchronize=lambda: None),
            Device=lambda: types.SimpleNamespace(id=0),
            Stream=Stream,
            get_current_stream=lambda: stand_in.current or NULL,
        )
        return cupy


@pytest.fixture
def stand_in_cupy(monkeypatch):
    """The stand-in installed as ``cupy`` (and the implementation modules imported afresh)."""
    stand_in = StandInCupy()
    monkeypatch.setattr(DeviceArray, "made", stand_in.made)
    monkeypatch.setitem(sys.modules, "cupy", stand_in.module)
    for name in CUPY_MODULES:
        sys.modules.pop(name, None)
    yield stand_in
    for name in CUPY_MODULES:
        sys.modules.pop(name, None)


# What the .cu kernels do, on the host: (grid, block, arguments) as CuPy launches them.
def add_squares(grid, block, arguments):  # norm.cu: add the squares into out[0]
    v, size, out = arguments
    out[0] += float((np.asarray(v) ** 2).sum())


def add_primes(grid, block, arguments):  # primes.cu: add the count of primes to total[0]
    numbers, size, total = arguments
    total[0] += sum(1 for n in numbers if n > 1 and all(n % d for d in range(2, int(n**0.5) + 1)))


def escape_counts(grid, block, arguments):  # julia.cu: write every point's escape count
    zs, c_real, c_imag, max_iter, out, size = arguments
    for i, z in enumerate(np.asarray(zs).astype(np.complex128)):
        count = 0
        while count < max_iter and abs(z) < 2:
            z, count = z * z + complex(c_real, c_imag), count + 1
        out[i] = count


def diffusion_step(grid, block, arguments):  # diffusion.cu: one step from grid into out
    source, out, rows, cols, factor = (np.asarray(a) for a in arguments)
    neighbours = sum(np.roll(source, shift, axis) for shift in (1, -1) for axis in (0, 1))
    out[...] = source + factor * (neighbours - 4 * source)


@pytest.fixture
def host_kernels():
    """The stand-in kernels, by the kernel they stand in for."""
    return {
        "norm": add_squares,
        "primes": add_primes,
        "julia": escape_counts,
        "diffusion": diffusion_step,
    }

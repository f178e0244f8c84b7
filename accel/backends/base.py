"""The backend contract: where a kernel runs, how data gets there, and how it is timed.

A backend never imports its heavy library at module import time; ``available()``
does, once, and says why not in words a person can act on.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.metadata
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from ..kernels import Inputs, KernelSpec

Call = Callable[[], Any]


@dataclass(frozen=True)
class Availability:
    """Whether a backend can run here, and if not, why and what would fix it."""

    ok: bool
    reason: str = "available"

    def __bool__(self) -> bool:
        return self.ok


def missing_module(module: str, fix: str) -> Availability | None:
    """``None`` when ``module`` imports; otherwise an Availability that says how to get it."""
    try:
        importlib.import_module(module)
    except Exception as exc:  # a broken install raises more than ImportError
        return Availability(False, f"{module} cannot be imported ({exc}): {fix}")
    return None


def distribution_versions(*names: str) -> dict[str, str]:
    """Installed versions of the named distributions, read without importing them."""
    found = {}
    for name in names:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return found


@dataclass(frozen=True)
class CopyTiming:
    """One timed copy: its time on the device's clock (None where it has none), the wall
    time of the same copy, and what the time covers."""

    device_s: float | None
    wall_s: float
    clock: str
    includes: str

    @property
    def seconds(self) -> float:
        """The device's time where it has one, else the wall time."""
        return self.device_s if self.device_s is not None else self.wall_s


class Backend:
    """Base class: an in-process CPU backend that runs a kernel's ``compute`` directly."""

    name: ClassVar[str]
    device: ClassVar[str] = "cpu"
    #: True where inputs really move to another device (a GPU, another process).
    transfers: ClassVar[bool] = False
    #: What a copy timed by the caller's wall clock holds (the record's ``includes``).
    copy_includes: ClassVar[str] = "the backend's whole move of the data, staging included"
    #: Distributions whose versions belong in the run record.
    libraries: ClassVar[tuple[str, ...]] = ("numpy",)

    #: Stage host data in page-locked buffers; the worker sets it from the run's spec
    #: (``--pinned``). Only backends with a separate device (the GPU ones) use it.
    pinned: bool = False

    _availability: Availability | None = None

    def available(self) -> Availability:
        """Can this backend run here? Checked once per process."""
        if self._availability is None:
            self._availability = self._check_available()
        return self._availability

    def _check_available(self) -> Availability:
        return Availability(True)

    def versions(self) -> dict[str, str]:
        return distribution_versions(*self.libraries)

    def configure(self, threads: int) -> None:
        """Apply the thread count before the kernel is loaded (environment is set already)."""

    def load(self, kernel: KernelSpec) -> Callable[..., Any]:
        """The kernel's compute function for this backend."""
        return kernel.implementation(self.name).compute

    def to_device(self, inputs: Inputs) -> Inputs:
        """Inputs in the form the implementation takes, on its device."""
        return inputs

    def from_device(self, output: Any) -> Any:
        """The output back on the host, as NumPy data or a Python scalar."""
        return output

    # A run moves data in two steps so that its copy time is the copy alone: ``stage``
    # allocates (host staging, device buffers) outside the timed copy, ``copy_in`` copies.
    # ``stage_output``/``copy_out`` do the same for the way back. Backends whose copy is
    # one step keep these defaults, which call ``to_device``/``from_device``.

    def stage(self, inputs: Inputs) -> Any:
        """Everything a copy to the device needs, allocated; nothing copied yet."""
        return inputs

    def copy_in(self, staged: Any) -> Inputs:
        """The device inputs, copied from what ``stage`` prepared."""
        return self.to_device(staged)

    def stage_output(self, output: Any) -> Any:
        """Everything the copy back to the host needs, allocated; nothing copied yet."""
        return output

    def copy_out(self, staged: Any) -> Any:
        """The output on the host, copied from what ``stage_output`` prepared."""
        return self.from_device(staged)

    def copy_timing(self, direction: str) -> CopyTiming | None:
        """How the last ``copy_in`` ("h2d") or ``copy_out`` ("d2h") was timed on the device,
        or None where only the caller's wall clock saw it."""
        return None

    def nbytes(self, value: Any) -> int:
        """Bytes a value occupies in host memory (0 for scalars)."""
        return int(getattr(value, "nbytes", 0) or 0)

    def synchronize(self) -> None:
        """Wait for queued device work; a no-op on the CPU."""

    def bind(self, compute: Callable[..., Any], device_inputs: Inputs) -> Call:
        """A zero-argument call that runs the kernel once and returns its device output."""
        return lambda: compute(**device_inputs)

    def time_calls(self, call: Call, count: int) -> tuple[list[float], Any]:
        """Run ``call`` ``count`` times, timing each (kernel + synchronise); last output too."""
        clock, sync = time.perf_counter, self.synchronize
        samples = [0.0] * count
        output = None
        for i in range(count):
            start = clock()
            output = call()
            sync()
            samples[i] = clock() - start
        return samples, output

    def simulated_region(self, call: Call) -> contextlib.AbstractContextManager[bool]:
        """Valgrind's cache simulator on around the timed calls (when the run is simulated).

        In this process by default: one warm-up ``call`` fills the simulated caches, then
        only the body is counted (see ``accel/callgrind_region.py``). Yields whether it
        counts. A backend whose kernel runs in another process switches it there.
        """
        from ..callgrind_region import simulated

        return simulated(lambda: self.time_calls(call, 1))

    def close(self) -> None:
        """Release what the backend holds (a subprocess, a device context)."""

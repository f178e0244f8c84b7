"""What the three GPU backends share: pinned or pageable host buffers, and CUDA-event timing.

Each timed call is bracketed by two CUDA events on the stream the kernel runs on;
the host waits for the second event, then reads the time between them. The time
therefore covers the kernel's execution on the device (and any host work inside
the call, such as compilation on a first call), never just the time to launch it.

Copies are measured the way the hardware probe measures them (nvbandwidth's method):
``stage`` allocates every buffer first (the page-locked host copy with ``--pinned``,
``Backend.pinned``, set by the worker from the run's spec; the device arrays; the host
array the result comes back to), then ``copy_in``/``copy_out`` make one warm-up copy
and time a second between two CUDA events recorded on the stream that does the copy,
with the wall time of the same copy beside it. Allocation and page-locking never fall
inside a timed copy: page-locking a large buffer costs more than copying it over PCIe.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from ..kernels import Inputs, KernelSpec
from .base import Availability, Backend, Call, CopyTiming

CUDA_FIX = "pip install 'accel-testbed[cuda]'"


def unavailable(*checks: Availability | None) -> Availability | None:
    """Every failed check as one reason ("no NVIDIA driver ...; cupy cannot be imported ..."),
    or None when none failed (``None`` entries are checks that passed)."""
    failed = [check.reason for check in checks if check is not None and not check.ok]
    return Availability(False, "; ".join(failed)) if failed else None


def time_with_events(
    call: Call,
    count: int,
    new_event: Callable[[], Any],
    elapsed_ms: Callable[[Any, Any], float],
) -> tuple[list[float], Any]:
    """Time ``count`` calls in seconds with CUDA events; returns the samples and last output.

    ``new_event`` makes an event with ``record()`` and ``synchronize()`` (Numba, CuPy
    and PyTorch events all have both); ``elapsed_ms`` reads milliseconds between two.
    """
    start, end = new_event(), new_event()
    samples = [0.0] * count
    output = None
    for i in range(count):
        start.record()
        output = call()
        end.record()
        end.synchronize()
        samples[i] = elapsed_ms(start, end) / 1e3
    return samples, output


#: What a copy's time covers, as the record states it.
COPY_INCLUDES = (
    "the copy alone, after one warm-up copy of the same buffers; host staging "
    "({host}) and device allocation happened before it"
)


@dataclass
class StagedCopy:
    """Buffers allocated for one direction of copying: (key, source, destination) per
    array, and the values that need no copy (scalars)."""

    pairs: list[tuple[str, Any, Any]] = field(default_factory=list)
    passthrough: dict[str, Any] = field(default_factory=dict)


class CudaBackend(Backend):
    """Base of the GPU backends: inputs move to the device, calls are timed with events.

    A backend supplies the primitives (allocate on host and device, copy on its stream,
    record an event on that stream); the staging and timing of copies is done here once.
    """

    device: ClassVar[str] = "cuda"
    transfers: ClassVar[bool] = True
    #: False where the backend's events carry no times (Numba's simulator).
    events_timed: bool = True

    def __init__(self) -> None:
        self._copy_timings: dict[str, CopyTiming] = {}

    # -- outputs allocated once per run --------------------------------------------

    def load(self, kernel: KernelSpec) -> Callable[..., Any]:
        """The kernel's compute; its ``workspace`` (the outputs, where the implementation
        allocates them apart) is kept for :meth:`bind`."""
        module = kernel.implementation(self.name)
        self._workspace = getattr(module, "workspace", None)
        return module.compute

    def bind(self, compute: Callable[..., Any], device_inputs: Inputs) -> Call:
        """A call with its outputs allocated now, once, outside every timed call: Numba
        keeps no memory pool, so an allocation in each call would cost tens of
        microseconds (and its batched frees synchronise inside the timed window); an
        implementation with a ``workspace(**inputs)`` gets its outputs from it."""
        workspace = getattr(self, "_workspace", None)
        outputs = workspace(**device_inputs) if workspace is not None else {}
        self.synchronize()
        return lambda: compute(**device_inputs, **outputs)

    # -- primitives each GPU backend provides ---------------------------------------

    def host_staging(self, array: np.ndarray) -> Any:
        """The host buffer a copy reads from: a page-locked copy with ``pinned``, else the
        array itself (a pageable copy from the user's own memory)."""
        raise NotImplementedError

    def host_empty(self, shape: tuple[int, ...], dtype: Any) -> Any:
        """A host buffer a copy writes to (page-locked with ``pinned``), for an output of
        the device library's ``dtype``."""
        raise NotImplementedError

    def device_empty(self, shape: tuple[int, ...], dtype: np.dtype) -> Any:
        """An uninitialised device array."""
        raise NotImplementedError

    def is_device_array(self, value: Any) -> bool:
        """Whether ``value`` lives on this backend's device."""
        raise NotImplementedError

    def copy_h2d(self, device: Any, host: Any) -> None:
        """Queue a copy of ``host`` into ``device`` on the copy stream."""
        raise NotImplementedError

    def copy_d2h(self, host: Any, device: Any) -> None:
        """Queue a copy of ``device`` into ``host`` on the copy stream."""
        raise NotImplementedError

    def record_event(self, event: Any) -> None:
        """Record ``event`` on the stream the copies run on."""
        event.record()

    def as_numpy(self, host: Any) -> np.ndarray:
        """A host buffer as a NumPy array."""
        return np.asarray(host)

    # -- staging and timed copies ------------------------------------------------------

    def stage(self, inputs: Inputs) -> StagedCopy:
        staged = StagedCopy()
        for key, value in inputs.items():
            if isinstance(value, np.ndarray):
                host = self.host_staging(np.ascontiguousarray(value))
                staged.pairs.append((key, host, self.device_empty(value.shape, value.dtype)))
            else:
                staged.passthrough[key] = value
        self.synchronize()
        return staged

    def copy_in(self, staged: StagedCopy) -> Inputs:
        def copy() -> None:
            for _, host, device in staged.pairs:
                self.copy_h2d(device, host)

        self._timed_copy("h2d", copy)
        return {**staged.passthrough, **{key: device for key, _, device in staged.pairs}}

    def stage_output(self, output: Any) -> StagedCopy:
        if not self.is_device_array(output):  # a scalar result: nothing to copy
            return StagedCopy(passthrough={"output": output})
        host = self.host_empty(tuple(output.shape), output.dtype)
        self.synchronize()
        return StagedCopy(pairs=[("output", output, host)])

    def copy_out(self, staged: StagedCopy) -> Any:
        if not staged.pairs:
            return staged.passthrough["output"]
        _, device, host = staged.pairs[0]
        self._timed_copy("d2h", lambda: self.copy_d2h(host, device))
        result = self.as_numpy(host)
        return result if result.ndim else result.item()

    def to_device(self, inputs: Inputs) -> Inputs:
        return self.copy_in(self.stage(inputs))

    def from_device(self, output: Any) -> Any:
        return self.copy_out(self.stage_output(output))

    def copy_timing(self, direction: str) -> CopyTiming | None:
        return self._copy_timings.get(direction)

    def _timed_copy(self, direction: str, copy: Callable[[], None]) -> None:
        """One warm-up ``copy``, then one timed between events on the copy stream."""
        copy()
        self.synchronize()
        start, end = self.new_event(), self.new_event()
        began = time.perf_counter()
        self.record_event(start)
        copy()
        self.record_event(end)
        end.synchronize()
        wall = time.perf_counter() - began
        host = "page-locked copy" if self.pinned else "none: pageable memory"
        device_s = self.elapsed_ms(start, end) / 1e3 if self.events_timed else None
        self._copy_timings[direction] = CopyTiming(
            device_s=device_s,
            wall_s=wall,
            clock="CUDA events on the copy stream" if self.events_timed else "wall clock",
            includes=COPY_INCLUDES.format(host=host),
        )

    def new_event(self) -> Any:
        """A CUDA event that can be timed."""
        raise NotImplementedError

    def elapsed_ms(self, start: Any, end: Any) -> float:
        """Milliseconds between two recorded events."""
        raise NotImplementedError

    def device_name(self) -> str:
        """The name of the GPU this backend runs on."""
        raise NotImplementedError

    def time_calls(self, call: Call, count: int) -> tuple[list[float], Any]:
        return time_with_events(call, count, self.new_event, self.elapsed_ms)

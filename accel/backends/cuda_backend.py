"""What the three GPU backends share: pinned or pageable host buffers, and CUDA-event timing.

Each timed call is bracketed by two CUDA events on the stream the kernel runs on;
the host waits for the second event, then reads the time between them. The time
therefore covers the kernel's execution on the device (and any host work inside
the call, such as compilation on a first call), never just the time to launch it.

With ``--pinned`` (``Backend.pinned``, set by the worker from the run's spec) the
backend stages host data in page-locked buffers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from .base import Availability, Backend, Call

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


class CudaBackend(Backend):
    """Base of the GPU backends: inputs move to the device, calls are timed with events."""

    device: ClassVar[str] = "cuda"
    transfers: ClassVar[bool] = True

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

"""CuPy: NumPy-style arrays on an NVIDIA GPU, with CUDA C kernels compiled by NVRTC."""

from __future__ import annotations

from typing import Any

import numpy as np

from .base import Availability, missing_module
from .cuda_backend import CUDA_FIX, CudaBackend, unavailable
from .cuda_driver import driver_availability


class CupyBackend(CudaBackend):
    name = "cupy"
    libraries = ("numpy", "cupy-cuda12x", "cupy-cuda13x", "cupy-cuda11x", "cupy")

    def _check_available(self) -> Availability:
        failed = unavailable(driver_availability(), missing_module("cupy", CUDA_FIX))
        if failed is not None:
            return failed
        import cupy

        try:
            count = cupy.cuda.runtime.getDeviceCount()
        except Exception as exc:  # CUDARuntimeError: a driver too old for CuPy's runtime
            return Availability(False, f"CuPy cannot use the GPU: {exc}")
        if count < 1:
            return Availability(False, "no CUDA device visible to CuPy")
        return Availability(True, f"CuPy on {self.device_name()}")

    def configure(self, threads: int) -> None:
        """Create the CUDA context now, so that transfers and first calls do not pay for it."""
        import cupy

        cupy.empty(1)
        self.synchronize()

    def host_staging(self, array: np.ndarray) -> Any:
        if not self.pinned:
            return array
        import cupyx

        staged = cupyx.empty_like_pinned(array)
        staged[...] = array
        return staged

    def host_empty(self, shape: tuple[int, ...], dtype: Any) -> Any:
        import cupyx

        return cupyx.empty_pinned(shape, dtype) if self.pinned else np.empty(shape, dtype)

    def device_empty(self, shape: tuple[int, ...], dtype: Any) -> Any:
        import cupy

        return cupy.empty(shape, dtype)

    def is_device_array(self, value: Any) -> bool:
        import cupy

        return isinstance(value, cupy.ndarray)

    def copy_h2d(self, device: Any, host: Any) -> None:
        import cupy

        device.set(host, stream=cupy.cuda.get_current_stream())

    def copy_d2h(self, host: Any, device: Any) -> None:
        import cupy

        device.get(stream=cupy.cuda.get_current_stream(), out=host)

    def record_event(self, event: Any) -> None:
        import cupy

        event.record(cupy.cuda.get_current_stream())

    def synchronize(self) -> None:
        import cupy

        cupy.cuda.runtime.deviceSynchronize()

    def new_event(self) -> Any:
        import cupy

        return cupy.cuda.Event()

    def elapsed_ms(self, start: Any, end: Any) -> float:
        import cupy

        return cupy.cuda.get_elapsed_time(start, end)

    def device_name(self) -> str:
        import cupy

        properties = cupy.cuda.runtime.getDeviceProperties(cupy.cuda.Device().id)
        name = properties["name"]
        return name.decode() if isinstance(name, bytes) else str(name)


BACKEND = CupyBackend

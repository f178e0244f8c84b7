"""CuPy: NumPy-style arrays on an NVIDIA GPU, with CUDA C kernels compiled by NVRTC."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..kernels import Inputs
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

    def to_device(self, inputs: Inputs) -> Inputs:
        import cupy
        import cupyx

        moved = {}
        for key, value in inputs.items():
            if isinstance(value, np.ndarray):
                if self.pinned:
                    staged = cupyx.empty_like_pinned(value)
                    staged[...] = value
                    value = staged
                on_device = cupy.empty(value.shape, value.dtype)
                on_device.set(value)
                value = on_device
            moved[key] = value
        self.synchronize()
        return moved

    def from_device(self, output: Any) -> Any:
        import cupy
        import cupyx

        if not isinstance(output, cupy.ndarray):
            return output
        host = cupyx.empty_pinned(output.shape, output.dtype) if self.pinned else None
        result = output.get(out=host)
        self.synchronize()
        return result if result.ndim else result.item()

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

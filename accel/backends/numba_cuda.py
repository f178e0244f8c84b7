"""Numba CUDA: ``@cuda.jit`` kernels compiled through NVVM and run on an NVIDIA GPU.

Under Numba's CUDA simulator (``NUMBA_ENABLE_CUDASIM=1``) the same kernels run as
Python threads on the CPU: the results are real and checked, the timings are
wall-clock times of the simulation and say nothing about a GPU.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..kernels import Inputs
from ..kernels._cuda import simulator_enabled
from .base import Availability, Backend, Call, missing_module
from .cuda_backend import CudaBackend, unavailable
from .cuda_driver import driver_availability
from .numba_cpu import NUMBA_FIX

SIMULATOR_REASON = (
    "CUDA simulator (NUMBA_ENABLE_CUDASIM=1): results are real, timings are not GPU timings"
)
NVVM_FIX = (
    "Numba compiles through the CUDA toolkit's libNVVM: install the CUDA toolkit and set "
    "CUDA_HOME, or conda install -c conda-forge cuda-nvcc"
)


class NumbaCudaBackend(CudaBackend):
    name = "numba_cuda"
    libraries = ("numpy", "numba", "llvmlite")

    def _check_available(self) -> Availability:
        library = missing_module("numba", NUMBA_FIX)
        if library is None and simulator_enabled():
            return Availability(True, SIMULATOR_REASON)
        failed = unavailable(driver_availability(), library)
        if failed is not None:
            return failed
        from numba import cuda

        if not cuda.is_available():
            return Availability(False, f"Numba cannot use the GPU: {cuda.cuda_error()}")
        try:
            from numba.cuda.cudadrv.nvvm import NVVM

            NVVM()
        except Exception as exc:
            return Availability(False, f"Numba finds no libNVVM ({exc}): {NVVM_FIX}")
        return Availability(True, f"Numba CUDA on {self.device_name()}")

    def configure(self, threads: int) -> None:
        """Create the CUDA context now, so that transfers and first calls do not pay for it."""
        from numba import cuda

        cuda.current_context()

    def to_device(self, inputs: Inputs) -> Inputs:
        from numba import cuda

        moved = {}
        for key, value in inputs.items():
            if isinstance(value, np.ndarray):
                if self.pinned:
                    staged = cuda.pinned_array_like(value)
                    staged[...] = value
                    value = staged
                value = cuda.to_device(value)
            moved[key] = value
        cuda.synchronize()
        return moved

    def from_device(self, output: Any) -> Any:
        from numba import cuda

        if not hasattr(output, "copy_to_host"):  # a scalar result
            return output
        host = cuda.pinned_array(output.shape, output.dtype) if self.pinned else None
        result = output.copy_to_host(host)
        cuda.synchronize()
        return result

    def synchronize(self) -> None:
        from numba import cuda

        cuda.synchronize()

    def new_event(self) -> Any:
        from numba import cuda

        return cuda.event(timing=True)

    def elapsed_ms(self, start: Any, end: Any) -> float:
        from numba import cuda

        return cuda.event_elapsed_time(start, end)

    def time_calls(self, call: Call, count: int) -> tuple[list[float], Any]:
        if simulator_enabled():  # the simulator's events carry no times: wall clock instead
            return Backend.time_calls(self, call, count)
        return super().time_calls(call, count)

    def device_name(self) -> str:
        if simulator_enabled():
            return "Numba CUDA simulator"
        from numba import cuda

        name = cuda.gpus[0].name  # read from the driver without creating a context
        return name.decode() if isinstance(name, bytes) else str(name)


BACKEND = NumbaCudaBackend

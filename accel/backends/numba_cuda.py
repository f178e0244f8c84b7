"""Numba CUDA: ``@cuda.jit`` kernels compiled through NVVM and run on an NVIDIA GPU.

Under Numba's CUDA simulator (``NUMBA_ENABLE_CUDASIM=1``) the same kernels run as
Python threads on the CPU: the results are real and checked, the timings are
wall-clock times of the simulation and say nothing about a GPU.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..kernels import Inputs, KernelSpec
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


def _default_stream() -> Any:
    """The default stream, where the kernels run (0 in Numba's older simulator, which has
    no ``default_stream``)."""
    from numba import cuda

    default = getattr(cuda, "default_stream", None)
    return default() if default is not None else 0


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

    def load(self, kernel: KernelSpec) -> Callable[..., Any]:
        """The kernel's compute; its ``workspace`` (the outputs, where the implementation
        allocates them apart) is kept for :meth:`bind`."""
        module = kernel.implementation(self.name)
        self._workspace = getattr(module, "workspace", None)
        return module.compute

    def bind(self, compute: Callable[..., Any], device_inputs: Inputs) -> Call:
        """A call with its outputs allocated now, once: Numba keeps no memory pool, so an
        allocation inside each timed call would cost tens of microseconds (and its batched
        frees would synchronise inside the timed window)."""
        workspace = getattr(self, "_workspace", None)
        outputs = workspace(**device_inputs) if workspace is not None else {}
        self.synchronize()
        return lambda: compute(**device_inputs, **outputs)

    def configure(self, threads: int) -> None:
        """Create the CUDA context now, so that transfers and first calls do not pay for it."""
        from numba import cuda

        cuda.current_context()

    @property
    def events_timed(self) -> bool:  # the simulator's events carry no times
        return not simulator_enabled()

    def host_staging(self, array: np.ndarray) -> Any:
        if not self.pinned:
            return array
        from numba import cuda

        staged = cuda.pinned_array_like(array)
        staged[...] = array
        return staged

    def host_empty(self, shape: tuple[int, ...], dtype: Any) -> Any:
        from numba import cuda

        return cuda.pinned_array(shape, dtype) if self.pinned else np.empty(shape, dtype)

    def device_empty(self, shape: tuple[int, ...], dtype: Any) -> Any:
        from numba import cuda

        return cuda.device_array(shape, dtype)

    def is_device_array(self, value: Any) -> bool:
        return hasattr(value, "copy_to_host")

    def copy_h2d(self, device: Any, host: Any) -> None:
        device.copy_to_device(host, stream=_default_stream())

    def copy_d2h(self, host: Any, device: Any) -> None:
        device.copy_to_host(host, stream=_default_stream())

    def record_event(self, event: Any) -> None:
        event.record(_default_stream())

    def synchronize(self) -> None:
        from numba import cuda

        cuda.synchronize()

    def new_event(self) -> Any:
        from numba import cuda

        if simulator_enabled():  # numba-cuda's simulator takes no timing argument
            return cuda.event()
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

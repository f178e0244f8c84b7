"""Numba CUDA: ``@cuda.jit`` kernels compiled through NVVM and run on an NVIDIA GPU.

Under Numba's CUDA simulator (``NUMBA_ENABLE_CUDASIM=1``) the same kernels run as
Python threads on the CPU: the results are real and checked, the timings are
wall-clock times of the simulation and say nothing about a GPU.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..kernels._cuda import simulator_enabled
from .base import Availability, Backend, Call, missing_module
from .cuda_backend import CudaBackend, unavailable
from .cuda_driver import driver_availability
from .numba_cpu import NUMBA_FIX

SIMULATOR_REASON = (
    "CUDA simulator (NUMBA_ENABLE_CUDASIM=1): results are real, timings are not GPU timings"
)
NVVM_FIX = (
    "pip install 'accel-testbed[cuda]' (numba-cuda[cu12] brings NVVM, NVRTC and the CUDA "
    "runtime as wheels; no system CUDA toolkit needed)"
)
DRIVER_UPDATE_FIX = "update the NVIDIA driver"

Version = tuple[int, int]


def toolchain_problem(
    device_cc: Version, supported: list[Version], driver: Version, toolkit: Version
) -> str | None:
    """Why Numba's toolchain cannot build code for this GPU and driver, or None.

    ``supported``: the compute capabilities the toolkit compiles for; ``driver`` the
    CUDA version the driver supports; ``toolkit`` the version of the CUDA toolkit Numba
    compiles with (PTX from a newer major version does not load on an older driver).

    >>> toolchain_problem((8, 0), [(7, 5), (9, 0)], (12, 4), (12, 9)) is None
    True
    >>> toolchain_problem((8, 0), [(7, 5), (9, 0)], (11, 8), (12, 9))[:44]
    'the CUDA toolkit 12.9 is newer than the driv'
    """
    shown = _versions_text(device_cc, supported, driver, toolkit)
    if not supported:
        return (
            f"the CUDA toolkit {_dotted(toolkit)} reports no compute capability it can "
            f"compile for (a broken or partial NVVM/NVRTC): {NVVM_FIX}"
        )
    if device_cc < min(supported):
        return (
            f"this GPU's compute capability {_dotted(device_cc)} is older than the oldest the "
            f"CUDA toolkit {_dotted(toolkit)} compiles for ({shown}): install an older toolkit "
            "that still supports it, e.g. pip install 'nvidia-cuda-nvcc-cu12<12.9'"
        )
    if device_cc > max(supported):
        return (
            f"this GPU's compute capability {_dotted(device_cc)} is newer than the newest the "
            f"CUDA toolkit {_dotted(toolkit)} compiles for ({shown}): "
            "pip install -U 'numba-cuda[cu12]'"
        )
    if toolkit[0] > driver[0]:
        return (
            f"the CUDA toolkit {_dotted(toolkit)} is newer than the driver's CUDA "
            f"{_dotted(driver)}, which cannot load its code ({shown}): {DRIVER_UPDATE_FIX}, or "
            f"install the CUDA {driver[0]} wheels: pip install 'numba-cuda[cu{driver[0]}]'"
        )
    return None


def _dotted(version: Version) -> str:
    return ".".join(str(part) for part in version)


def _versions_text(
    device_cc: Version, supported: list[Version], driver: Version, toolkit: Version
) -> str:
    ccs = f"{_dotted(min(supported))} to {_dotted(max(supported))}" if supported else "none"
    return (
        f"device {_dotted(device_cc)}; toolkit {_dotted(toolkit)} compiles for {ccs}; "
        f"driver supports CUDA {_dotted(driver)}"
    )


def _toolchain_versions() -> tuple[Version, list[Version], Version, Version]:
    """(device compute capability, supported ones, driver CUDA version, toolkit version)."""
    from numba import cuda
    from numba.cuda.cudadrv import driver as cuda_driver
    from numba.cuda.cudadrv import nvvm

    supported_ccs = getattr(nvvm, "get_supported_ccs", None)
    if supported_ccs is None:  # numba-cuda asks NVRTC
        from numba.cuda.cudadrv import nvrtc

        supported_ccs = nvrtc.get_supported_ccs
    device_cc = tuple(cuda.get_current_device().compute_capability)
    return (
        device_cc,  # type: ignore[return-value]
        sorted(tuple(cc) for cc in supported_ccs()),  # type: ignore[misc]
        tuple(cuda_driver.driver.get_version()),  # type: ignore[return-value]
        tuple(cuda.runtime.get_version()),  # type: ignore[return-value]
    )


def _run_probe_kernel() -> str | None:
    """None when a one-line kernel compiles, loads and runs; otherwise what went wrong."""
    from numba import cuda

    @cuda.jit
    def probe(out):
        out[cuda.threadIdx.x] = cuda.threadIdx.x + 1

    try:
        out = cuda.device_array(4, dtype=np.int32)
        probe[1, 4](out)
        wrote = [int(v) for v in out.copy_to_host()]
    except Exception as exc:
        return f"Numba could not compile or run a one-line kernel: {type(exc).__name__}: {exc}"
    if wrote != [1, 2, 3, 4]:
        return f"Numba's one-line kernel wrote {wrote}, not [1, 2, 3, 4]"
    return None


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
        try:
            versions = _toolchain_versions()
        except Exception as exc:
            return Availability(False, f"Numba cannot read its CUDA toolchain ({exc}): {NVVM_FIX}")
        problem = toolchain_problem(*versions)
        if problem:
            return Availability(False, problem)
        ran = _run_probe_kernel()
        if ran is not None:
            return Availability(False, f"{ran} ({_versions_text(*versions)})")
        return Availability(True, f"Numba CUDA on {self.device_name()}")

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

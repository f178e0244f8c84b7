"""CuPy: NumPy-style arrays on an NVIDIA GPU, with CUDA C kernels compiled by NVRTC.

Available means CuPy compiled and ran a one-line kernel and multiplied two small
matrices here: importing CuPy and seeing a device is not enough (without NVRTC or
cuBLAS every kernel of the catalogue would fail at its first call).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .base import Availability, missing_module
from .cuda_backend import CUDA_FIX, CudaBackend, unavailable
from .cuda_driver import driver_availability

#: CuPy needs NVRTC to compile every kernel of the catalogue and cuBLAS to multiply; the
#: ``cuda`` extra installs ``cupy-cuda12x[ctk]``, which brings both as wheels.
TOOLKIT_FIX = (
    "pip install 'accel-testbed[cuda]' (cupy-cuda12x[ctk] brings NVRTC and cuBLAS as "
    "wheels), or install the CUDA 12 toolkit and set CUDA_PATH"
)
#: A one-line kernel: compiling it needs NVRTC, running it needs a working device.
PROBE_KERNEL = (
    'extern "C" __global__ void accel_probe(int* out) { out[threadIdx.x] = threadIdx.x + 1; }'
)


def cupy_works(cupy: Any) -> Availability | None:
    """None when CuPy compiles and runs a one-line kernel and multiplies two small matrices;
    otherwise what failed (NVRTC, the kernel, cuBLAS) and how to fix it."""
    try:
        kernel = cupy.RawKernel(PROBE_KERNEL, "accel_probe")
        out = cupy.zeros(4, dtype=np.int32)
        kernel((1,), (4,), (out,))
        counted = [int(v) for v in cupy.asnumpy(out)]
    except Exception as exc:
        return Availability(False, f"CuPy cannot compile or run a kernel ({exc}): {TOOLKIT_FIX}")
    if counted != [1, 2, 3, 4]:
        return Availability(False, f"CuPy's one-line kernel wrote {counted}, not [1, 2, 3, 4]")
    try:
        ones = cupy.ones((8, 8), dtype=np.float64)
        product = float(cupy.asnumpy(ones @ ones)[0, 0])
    except Exception as exc:
        return Availability(False, f"CuPy cannot multiply with cuBLAS ({exc}): {TOOLKIT_FIX}")
    if product != 8.0:
        return Availability(False, f"CuPy's 8x8 matmul of ones gave {product}, not 8")
    return None


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
        problem = cupy_works(cupy)
        if problem is not None:
            return problem
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

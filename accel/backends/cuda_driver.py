"""Is there an NVIDIA driver and a CUDA device here? Asked of the driver itself.

Every GPU library needs ``libcuda`` (the driver's user-space library) and at least
one device it can initialise. Asking the driver directly, through ``ctypes``, gives
the same precise reason for all three GPU backends before any of them loads:
no driver installed, a driver that cannot initialise (and its error name), or no
device.
"""

from __future__ import annotations

import ctypes
import functools

from .base import Availability

#: The driver library's names, newest first (Linux, then Windows).
DRIVER_LIBRARIES = ("libcuda.so.1", "libcuda.so", "nvcuda.dll")
DRIVER_FIX = "install the NVIDIA driver for your GPU (nvidia-smi should list it)"
CUDA_SUCCESS = 0


def _error_name(driver: ctypes.CDLL, code: int) -> str:
    """The driver's own name for an error code, e.g. CUDA_ERROR_NO_DEVICE."""
    name = ctypes.c_char_p()
    try:
        if driver.cuGetErrorName(code, ctypes.byref(name)) == CUDA_SUCCESS and name.value:
            return name.value.decode()
    except AttributeError:  # a very old driver without cuGetErrorName
        pass
    return f"error {code}"


@functools.cache
def driver_availability() -> Availability:
    """Available when the driver loads, initialises and reports at least one device.

    The reason otherwise names what is missing: "no NVIDIA driver (libcuda not
    found)", "the NVIDIA driver cannot initialise: CUDA_ERROR_...", "no CUDA device".
    """
    driver = None
    for name in DRIVER_LIBRARIES:
        try:
            driver = ctypes.CDLL(name)
            break
        except OSError:
            continue
    if driver is None:
        return Availability(False, f"no NVIDIA driver (libcuda not found): {DRIVER_FIX}")
    status = driver.cuInit(0)
    if status != CUDA_SUCCESS:
        error = _error_name(driver, status)
        if error == "CUDA_ERROR_NO_DEVICE":
            return Availability(
                False, "no CUDA device: the NVIDIA driver is loaded but sees no GPU"
            )
        return Availability(False, f"the NVIDIA driver cannot initialise: {error}")
    count = ctypes.c_int(0)
    status = driver.cuDeviceGetCount(ctypes.byref(count))
    if status != CUDA_SUCCESS:
        return Availability(
            False, f"the NVIDIA driver cannot count devices: {_error_name(driver, status)}"
        )
    if count.value < 1:
        return Availability(False, "no CUDA device: the NVIDIA driver is loaded but sees no GPU")
    return Availability(True, f"{count.value} CUDA device(s)")

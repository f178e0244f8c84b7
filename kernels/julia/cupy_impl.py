"""Julia set in CuPy: the CUDA C kernels of ``julia.cu``, one thread per point.

A per-point loop whose length depends on the point is the shape CUDA C expresses
best, so CuPy compiles ``julia.cu`` with NVRTC (once per process, cached on disk by
CuPy) and launches it over a grid-stride grid sized from the device. The kernel writes
every count, into a buffer from :func:`workspace` allocated once per run.
"""

from pathlib import Path

import cupy
import numpy as np

from .._cuda import cupy_device_limits, cupy_function, launch_config

SOURCE = Path(__file__).with_name("julia.cu")
#: Kernel name in julia.cu and the real type of its scalars, per point dtype.
KERNELS = {
    np.dtype(np.complex128): ("julia_complex128", np.float64),
    np.dtype(np.complex64): ("julia_complex64", np.float32),
}


def workspace(zs, c, max_iter):
    """The counts' buffer, allocated once per run so that a timed call allocates nothing."""
    return {"out": cupy.empty(zs.size, dtype=np.int32)}


def compute(zs, c, max_iter, out=None):
    """Iteration count per starting point (an int32 CuPy array: ``out`` where given)."""
    name, real = KERNELS[zs.dtype]
    zs = cupy.ascontiguousarray(zs)  # the staged input already is: no copy
    out = workspace(zs, c, max_iter)["out"] if out is None else out
    blocks, threads = launch_config(zs.size, cupy_device_limits())
    kernel = cupy_function(SOURCE, name)
    arguments = (zs, real(c.real), real(c.imag), np.int32(max_iter), out, np.int64(zs.size))
    kernel((blocks,), (threads,), arguments)
    return out

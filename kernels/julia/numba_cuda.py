"""Julia set as a Numba CUDA kernel: one thread per point, in a grid-stride loop.

Each thread iterates its own points, so the uneven cost per point only costs the
warps that hold slow points; the grid comes from :func:`accel.kernels._cuda.launch_config`.

Exact agreement with the CPU reference in complex128: ``z*z + c`` is written out in
real arithmetic with round-to-nearest multiplies and adds (``libdevice.dmul_rn`` /
``dadd_rn``), which the compiler may not fuse into FMAs; plain ``*`` and ``+`` would be
contracted on the GPU and round differently from NumPy. ``|z|`` is ``math.hypot``, as
in the reference (CUDA's ``hypot`` is within 2 ulp of the C library's, so a point
whose orbit comes within 2 ulp of ``|z| = 2`` could still escape one step apart).
Under the CUDA simulator the same kernel runs as Python, whose float operations are
IEEE round-to-nearest and never fused.
"""

import functools
import math
import operator

import numpy as np
from numba import cuda

from .._cuda import launch_config, simulator_enabled


def _unfused_arithmetic(single: bool):
    """Multiply and add, each rounded to nearest on its own (never fused into an FMA)."""
    if simulator_enabled():
        return operator.mul, operator.add
    from numba.cuda import libdevice

    if single:
        return libdevice.fmul_rn, libdevice.fadd_rn
    return libdevice.dmul_rn, libdevice.dadd_rn


@functools.cache
def _kernel(single: bool):
    """The escape-time kernel for complex64 (``single``) or complex128 points."""
    mul, add = _unfused_arithmetic(single)

    @cuda.jit
    def julia(zs, c_real, c_imag, max_iter, out):
        for i in range(cuda.grid(1), zs.size, cuda.gridsize(1)):
            x = zs[i].real
            y = zs[i].imag
            n = 0
            while math.hypot(x, y) < 2 and n < max_iter:
                # (x + iy)^2 + c, as NumPy computes a complex product: (xx - yy) + i(xy + yx)
                x, y = (
                    add(add(mul(x, x), -mul(y, y)), c_real),
                    add(add(mul(x, y), mul(y, x)), c_imag),
                )
                n += 1
            out[i] = n

    return julia


def compute(zs, c, max_iter):
    """Iteration count per starting point (an int32 device array)."""
    single = zs.dtype == np.complex64
    real = np.float32 if single else np.float64
    out = cuda.device_array(zs.size, dtype=np.int32)
    blocks, threads = launch_config(zs.size)
    _kernel(single)[blocks, threads](zs, real(c.real), real(c.imag), max_iter, out)
    return out

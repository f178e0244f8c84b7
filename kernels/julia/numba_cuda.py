"""Julia set as a Numba CUDA kernel: one thread per point, in a grid-stride loop.

Each thread iterates its own points, so the uneven cost per point only costs the
warps that hold slow points; the grid comes from :func:`accel.kernels._cuda.launch_config`.

The book's expanded math, as the CPU backends: the squares ``x*x`` and ``y*y`` serve
both the escape test ``|z|^2 < 4`` and the next step (three multiplies and five adds per
step; ``math.hypot`` would cost a call per step on top). Exact agreement with the CPU
backends in complex128: every multiply and add is rounded to nearest on its own
(``libdevice.dmul_rn`` / ``dadd_rn``), which the compiler may not fuse into FMAs; plain
``*`` and ``+`` would be contracted on the GPU and round differently from NumPy. Under
the CUDA simulator the same kernel runs as Python, whose float operations are IEEE
round-to-nearest and never fused.
"""

import functools
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
    def julia(zs, c_real, c_imag, max_iter, out, four):
        for i in range(cuda.grid(1), zs.size, cuda.gridsize(1)):
            x = zs[i].real
            y = zs[i].imag
            xx = mul(x, x)
            yy = mul(y, y)
            n = 0
            while n < max_iter and add(xx, yy) < four:
                # (x + iy)^2 + c, as NumPy computes a complex product: (xx - yy) + i(xy + yx),
                # where xy + yx is exactly twice + twice with twice = x*y
                twice = mul(x, y)
                y = add(add(twice, twice), c_imag)
                x = add(add(xx, -yy), c_real)
                xx = mul(x, x)
                yy = mul(y, y)
                n += 1
            out[i] = n

    return julia


def workspace(zs, c, max_iter):
    """The counts' buffer, allocated once per run so that a timed call allocates nothing."""
    return {"out": cuda.device_array(zs.size, dtype=np.int32)}


def compute(zs, c, max_iter, out=None):
    """Iteration count per starting point (an int32 device array: ``out`` where given)."""
    single = zs.dtype == np.complex64
    real = np.float32 if single else np.float64
    if out is None:
        out = workspace(zs, c, max_iter)["out"]
    blocks, threads = launch_config(zs.size)
    _kernel(single)[blocks, threads](zs, real(c.real), real(c.imag), max_iter, out, real(4))
    return out

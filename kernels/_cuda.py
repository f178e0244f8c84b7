"""Helpers shared by the CUDA implementations of every kernel (Numba CUDA and CuPy).

``launch_config(n)`` gives a grid for a grid-stride loop over ``n`` items, chosen from
the current device's attributes rather than fixed for one GPU; ``cuda_source(path)``
reads a ``.cu`` file for CuPy's ``RawKernel``/``RawModule``. Both import their GPU
library only when called, so importing this module never needs a GPU.

>>> blocks, threads = launch_config(1_000_000)            # doctest: +SKIP
>>> kernel[blocks, threads](data, out)                   # doctest: +SKIP
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Threads per block in warps: 8 warps (256 threads on every NVIDIA GPU so far) keeps
#: enough blocks resident per multiprocessor to hide latency without starving registers.
WARPS_PER_BLOCK = 8
#: Blocks per multiprocessor for a grid-stride grid: enough waves that every
#: multiprocessor stays busy and uneven per-item costs even out, few enough that a
#: block's loop does real work (NVIDIA's guidance for grid-stride loops).
BLOCKS_PER_MULTIPROCESSOR = 32


@dataclass(frozen=True)
class DeviceLimits:
    """The device attributes a launch configuration depends on."""

    max_threads_per_block: int
    multiprocessor_count: int
    warp_size: int


#: Numba's CUDA simulator has no device attributes: it stands in as one small device
#: (each simulated thread is a Python thread, so a small grid is also the fast one).
SIMULATOR_LIMITS = DeviceLimits(max_threads_per_block=1024, multiprocessor_count=1, warp_size=32)


def simulator_enabled() -> bool:
    """True when Numba runs ``@cuda.jit`` kernels in its simulator (NUMBA_ENABLE_CUDASIM=1)."""
    from numba import config

    return bool(config.ENABLE_CUDASIM)


def numba_device_limits() -> DeviceLimits:
    """Limits of Numba's current CUDA device (the simulator's stand-in under the simulator)."""
    if simulator_enabled():
        return SIMULATOR_LIMITS
    from numba import cuda

    device = cuda.get_current_device()
    return _numba_limits(device.id)


@functools.cache
def _numba_limits(device_id: int) -> DeviceLimits:
    from numba import cuda

    device = cuda.get_current_device()
    return DeviceLimits(
        max_threads_per_block=int(device.MAX_THREADS_PER_BLOCK),
        multiprocessor_count=int(device.MULTIPROCESSOR_COUNT),
        warp_size=int(device.WARP_SIZE),
    )


def cupy_device_limits() -> DeviceLimits:
    """Limits of CuPy's current CUDA device."""
    import cupy

    return _cupy_limits(cupy.cuda.Device().id)


@functools.cache
def _cupy_limits(device_id: int) -> DeviceLimits:
    import cupy

    attributes = cupy.cuda.Device(device_id).attributes
    return DeviceLimits(
        max_threads_per_block=int(attributes["MaxThreadsPerBlock"]),
        multiprocessor_count=int(attributes["MultiProcessorCount"]),
        warp_size=int(attributes["WarpSize"]),
    )


def launch_config(n: int, limits: DeviceLimits | None = None) -> tuple[int, int]:
    """``(blocks, threads_per_block)`` for a grid-stride loop over ``n`` items.

    Threads per block are a whole number of warps, at most the device's maximum and
    no more warps than ``n`` needs; blocks are enough to cover ``n`` once, capped at
    ``BLOCKS_PER_MULTIPROCESSOR`` per multiprocessor (the loop strides over the rest).
    ``limits`` defaults to Numba's current device; CuPy code passes
    ``cupy_device_limits()``.

    >>> launch_config(10_000, DeviceLimits(1024, 80, 32))
    (40, 256)
    >>> launch_config(10_000_000, DeviceLimits(1024, 80, 32))
    (2560, 256)
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"launch_config needs a positive item count, got {n!r}")
    limits = limits or numba_device_limits()
    warp = limits.warp_size
    max_warps = max(1, limits.max_threads_per_block // warp)
    warps_needed = -(-n // warp)
    threads = warp * min(WARPS_PER_BLOCK, max_warps, warps_needed)
    blocks_needed = -(-n // threads)
    blocks = min(blocks_needed, BLOCKS_PER_MULTIPROCESSOR * limits.multiprocessor_count)
    return max(1, blocks), threads


def cuda_source(path: str | os.PathLike) -> str:
    """The text of the CUDA C file at ``path`` (for CuPy ``RawKernel``/``RawModule``).

    Implementations pass ``Path(__file__).with_name("name.cu")``; the file ships in the
    package (``*.cu`` is package data) and is compiled by ``nvcc`` in the tests.
    """
    source = Path(path)
    if source.suffix != ".cu":
        raise ValueError(f"expected a .cu file, got {source}")
    return source.read_text(encoding="utf-8")


def cupy_function(path: str | os.PathLike, name: str) -> Any:
    """The CuPy kernel ``name`` of the CUDA C file at ``path``, compiled once per process.

    >>> step = cupy_function(Path(__file__).with_name("diffusion.cu"), "diffusion_step_float64")
    ... # doctest: +SKIP
    """
    return _cupy_module(str(Path(path).resolve())).get_function(name)


@functools.cache
def _cupy_module(path: str) -> Any:
    import cupy

    return cupy.RawModule(code=cuda_source(path))

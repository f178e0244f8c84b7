"""Matrix multiply as a Numba CUDA kernel with shared-memory tiles.

A block of TILE x TILE threads computes a TILE x TILE tile of C: it walks along the
tiles of A's rows and B's columns, each thread loading one element of each into
shared memory, then every thread does TILE multiply-adds from shared memory. Each
element of A and B read from global memory is used TILE times. Blocks take output
tiles in a grid-stride loop, so any grid size covers any n; the number of blocks
comes from :func:`accel.kernels._cuda.launch_config`.
"""

import functools

import numpy as np
from numba import cuda, float32, float64

from .._cuda import launch_config

TILE = 16
SHARED_TYPES = {np.dtype(np.float64): float64, np.dtype(np.float32): float32}


@functools.cache
def tiled_kernel(dtype: np.dtype):
    """The tiled kernel for float64 or float32 matrices."""
    shared_type = SHARED_TYPES[np.dtype(dtype)]

    @cuda.jit
    def multiply(a, b, c):
        a_tile = cuda.shared.array((TILE, TILE), dtype=shared_type)
        b_tile = cuda.shared.array((TILE, TILE), dtype=shared_type)
        n = c.shape[0]
        tiles_per_side = (n + TILE - 1) // TILE
        ty, tx = cuda.threadIdx.y, cuda.threadIdx.x
        for tile in range(cuda.blockIdx.x, tiles_per_side * tiles_per_side, cuda.gridDim.x):
            row = (tile // tiles_per_side) * TILE + ty
            column = (tile % tiles_per_side) * TILE + tx
            total = shared_type(0)
            for k0 in range(0, n, TILE):
                a_tile[ty, tx] = a[row, k0 + tx] if row < n and k0 + tx < n else 0
                b_tile[ty, tx] = b[k0 + ty, column] if k0 + ty < n and column < n else 0
                cuda.syncthreads()
                for k in range(TILE):
                    total += a_tile[ty, k] * b_tile[k, tx]
                cuda.syncthreads()
            if row < n and column < n:
                c[row, column] = total

    return multiply


def workspace(a, b):
    """The product's buffer, allocated once per run so that a timed call allocates nothing."""
    return {"c": cuda.device_array(a.shape, dtype=a.dtype)}


def compute(a, b, c=None):
    """The product of square device arrays ``a`` and ``b`` (in ``c`` where given)."""
    n = a.shape[0]
    if c is None:
        c = workspace(a, b)["c"]
    tiles_per_side = (n + TILE - 1) // TILE
    blocks, _ = launch_config(tiles_per_side * tiles_per_side * TILE * TILE)
    tiled_kernel(a.dtype)[blocks, (TILE, TILE)](a, b, c)
    return c

"""2D diffusion with NumPy, in place: the book's faster NumPy version (``numpy`` backend).

Two padded buffers are allocated once per call and every step writes into the spare
one with six in-place operations on contiguous slices, band by band (see
``_inplace_stencil``), so no step allocates a temporary grid and each band stays in
cache across its six passes.
"""

import numpy as np

from ._inplace_stencil import band_rows, evolve, pad_into

#: Bytes of one band of one buffer: small enough that the band and its neighbours stay
#: in a core's L2 cache across the six passes of a step (256 KiB measured best at
#: 640x640 and 2048x2048 against 32 KiB to 1 MiB).
BAND_BYTES = 256 * 1024


def compute(grid: np.ndarray, steps: int, dt: float, D: float) -> np.ndarray:
    """The grid after ``steps`` steps, as a new array of the input's dtype (a view of
    the inside of a padded buffer)."""
    rows, cols = grid.shape
    source = np.empty((rows + 2, cols + 2), dtype=grid.dtype)
    pad_into(grid, source)
    factor = grid.dtype.type(dt * D)
    band = band_rows(cols + 2, grid.itemsize, BAND_BYTES)
    result = evolve(source, np.empty_like(source), steps, factor, np.multiply, band)
    return result[1:-1, 1:-1]

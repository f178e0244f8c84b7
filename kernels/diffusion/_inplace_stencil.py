"""Diffusion steps written only with slicing and in-place arithmetic, allocating nothing.

This is the book's second NumPy lesson: allocate the buffers once and never make a
temporary. The grid lives inside a padded buffer with one ghost row above and below and
one ghost column either side, holding copies of the row or column that wraps around
(periodic boundaries). Flattened row by row, a cell's neighbours are then the elements
one padded row (``width = cols + 2``) before and after it and the elements right before
and after it, so one step over a run of rows is six whole-array operations on contiguous
1-D slices, with no modulo, no strided view and no temporary:

    out  = centre / factor * grid      (centre = 1 - 4 * factor)
    out += up;  out += down;  out += left;  out += right
    out *= factor

which is ``grid + factor * (up + down + left + right - 4 * grid)`` evaluated in another
order. The ghost columns are computed too (from neighbours that do not matter) and then
overwritten with the wrap-around values. The six passes run over bands of rows small
enough to stay in cache between passes: a pass over a whole grid that does not fit in
cache would go to memory six times per step.

Only ``x[...] = y``, ``x += y``, ``x *= a``, ``reshape`` and a ``multiply(a, s, out=)``
are used, which NumPy arrays and PyTorch tensors (CPU or CUDA) both support, so one
source serves both. A library whose add scales its second operand (PyTorch's
``add(a, b, alpha=s, out=)``) passes it as ``add_scaled``, and a step is five passes:

    out  = up + down;  out += left;  out += right
    out  = out + (1 - 4 * factor) / factor * centre;  out *= factor

Each PyTorch operation costs microseconds to dispatch, which at 640 x 640 is most of
a pass over a band: one pass fewer is 0.416 -> 0.35 s of CPU at 640 x 640 x 500 (NumPy
has no such add, and a sixth pass into a scratch band costs it what the multiply does).
"""

from collections.abc import Callable
from typing import Any


def pad_into(grid: Any, padded: Any) -> None:
    """Copy ``grid`` into the inside of ``padded`` (two rows and columns larger), with ghosts."""
    padded[1:-1, 1:-1] = grid
    refresh_ghosts(padded)


def refresh_ghosts(padded: Any) -> None:
    """Ghost rows and columns take the values of the rows and columns that wrap around."""
    padded[0, 1:-1] = padded[-2, 1:-1]
    padded[-1, 1:-1] = padded[1, 1:-1]
    padded[:, 0] = padded[:, -2]
    padded[:, -1] = padded[:, 1]


def band_rows(padded_width: int, itemsize: int, band_bytes: int) -> int:
    """Rows per band so that one band of one buffer holds about ``band_bytes``."""
    return max(1, band_bytes // (padded_width * itemsize))


def evolve(
    source: Any,
    spare: Any,
    steps: int,
    factor: float,
    multiply: Callable[..., Any],
    band: int,
    add_scaled: Callable[..., Any] | None = None,
) -> Any:
    """Run ``steps`` steps between two padded buffers; returns the one holding the result.

    ``source`` holds the padded grid with its ghosts; both buffers are overwritten.
    ``factor`` is ``dt * D`` in the grid's precision; ``multiply`` is the library's
    ``multiply(a, scalar, out=...)``; ``band`` is the number of rows per band;
    ``add_scaled(a, b, alpha=scalar, out=...)``, where the library has it, saves a pass.
    With ``factor == 0`` (dt or D zero) nothing diffuses and ``source`` is returned
    as it is (the folded centre weight below would divide by zero).
    """
    if factor == 0:
        return source
    rows, width = source.shape[0] - 2, source.shape[1]
    centre = (1 - 4 * factor) / factor
    spans = [((1 + a) * width, (1 + min(a + band, rows)) * width) for a in range(0, rows, band)]
    # The views of every band, made once: a PyTorch view costs about a microsecond.
    bands = {}
    for reading, writing in ((source, spare), (spare, source)):
        flat, other = reading.reshape(-1), writing.reshape(-1)
        bands[id(reading)] = [
            (
                other[start:end],
                flat[start:end],
                flat[start - width : end - width],
                flat[start + width : end + width],
                flat[start - 1 : end - 1],
                flat[start + 1 : end + 1],
            )
            for start, end in spans
        ]
    for _ in range(steps):
        for out, here, up, down, left, right in bands[id(source)]:
            if add_scaled is None:
                multiply(here, centre, out=out)
                out += up
                out += down
            else:
                add_scaled(up, down, out=out)
            out += left
            out += right
            if add_scaled is not None:
                add_scaled(out, here, alpha=centre, out=out)
            out *= factor
        source, spare = spare, source
        refresh_ghosts(source)
    return source

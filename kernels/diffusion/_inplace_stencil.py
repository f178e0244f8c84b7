"""One diffusion step written only with slicing and in-place arithmetic, allocating nothing.

This is the book's second NumPy lesson: allocate the buffers once and never make a
temporary. The periodic shift ``np.roll(grid, shift, axis)`` is replaced by adding two
slices of ``grid`` into ``out``: the bulk and the row (or column) that wraps around.
The code uses nothing but ``x[...] = y``, ``x[slice] += y[slice]`` and ``x *= a``, which
NumPy arrays and PyTorch tensors (CPU or CUDA) both support, so one source serves both.
"""

from typing import Any


def _add_shifted(grid: Any, out: Any, axis: int, forward: bool) -> None:
    """``out += roll(grid, +1 or -1, axis)`` without a temporary.

    Each addition goes through a named view (``view += part``), which both libraries
    do in place; ``out[k] += part`` would also write the sum back through ``__setitem__``.
    """
    lead = (slice(None),) * axis
    first, last = slice(None, 1), slice(-1, None)
    if forward:  # out[k] += grid[k - 1]; the first row/column takes the last one's value
        pairs = ((slice(1, None), slice(None, -1)), (first, last))
    else:  # out[k] += grid[k + 1]; the last row/column takes the first one's value
        pairs = ((slice(None, -1), slice(1, None)), (last, first))
    for target, source in pairs:
        view = out[lead + (target,)]
        view += grid[lead + (source,)]


def evolve_into(grid: Any, out: Any, factor: float) -> None:
    """Write one explicit Euler step of ``grid`` into ``out``; ``factor`` is ``dt * D``."""
    out[...] = grid
    out *= -4
    for axis in (0, 1):
        _add_shifted(grid, out, axis, forward=True)
        _add_shifted(grid, out, axis, forward=False)
    out *= factor
    out += grid


def evolve(grid: Any, spare: Any, steps: int, factor: float) -> Any:
    """Run ``steps`` steps, alternating between ``grid`` and ``spare``; returns the last one.

    Both buffers are overwritten; the caller passes copies it owns.
    """
    for _ in range(steps):
        evolve_into(grid, spare, factor)
        grid, spare = spare, grid
    return grid

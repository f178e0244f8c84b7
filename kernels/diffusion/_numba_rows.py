"""The row update shared by the Numba CPU implementations (serial and ``prange``).

Interior columns are a plain loop that LLVM vectorises; the two edge columns, whose
neighbours wrap around, are done apart so the inner loop has no modulo or branch.
``factor`` (dt * D) and ``four`` arrive in the grid's dtype, so float32 grids are
computed in float32 rather than promoted to float64 by a float literal.
"""

from numba import njit


@njit(nogil=True, inline="always")
def _cell(centre, up, down, left, right, factor, four):
    return centre + factor * (up + down + left + right - four * centre)


@njit(nogil=True)
def update_row(grid, out, i, factor, four):
    """Write row ``i`` of one explicit Euler step of ``grid`` into ``out``."""
    rows, cols = grid.shape
    up = grid[i - 1 if i > 0 else rows - 1]
    down = grid[i + 1 if i < rows - 1 else 0]
    row = grid[i]
    target = out[i]
    last = cols - 1
    for j in range(1, last):
        target[j] = _cell(row[j], up[j], down[j], row[j - 1], row[j + 1], factor, four)
    left_of_last = last - 1 if last > 0 else 0
    target[last] = _cell(row[last], up[last], down[last], row[left_of_last], row[0], factor, four)
    target[0] = _cell(row[0], up[0], down[0], row[last], row[1 if last > 0 else 0], factor, four)

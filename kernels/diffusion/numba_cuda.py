"""2D diffusion with Numba CUDA: one kernel launch per step, a grid-stride loop over cells.

Each thread updates cells ``start, start + stride, ...`` of the flattened grid; the
wrap-around neighbours are found with a comparison, not a modulo. Consecutive threads
take consecutive cells of a row, so their loads and stores coalesce. The two buffers the
steps alternate between come from :func:`workspace`, allocated once per run.
"""

from numba import cuda

from .._cuda import launch_config


@cuda.jit
def _step(grid, out, factor, four):
    rows, cols = grid.shape
    for index in range(cuda.grid(1), rows * cols, cuda.gridsize(1)):
        i = index // cols
        j = index - i * cols
        up = i - 1 if i > 0 else rows - 1
        down = i + 1 if i < rows - 1 else 0
        left = j - 1 if j > 0 else cols - 1
        right = j + 1 if j < cols - 1 else 0
        centre = grid[i, j]
        neighbours = grid[up, j] + grid[down, j] + grid[i, left] + grid[i, right]
        out[i, j] = centre + factor * (neighbours - four * centre)


def workspace(grid, steps, dt, D):
    """The two buffers the steps alternate between, allocated once per run."""
    return {"buffers": (cuda.device_array_like(grid), cuda.device_array_like(grid))}


def compute(grid, steps: int, dt: float, D: float, buffers=None):
    """The grid after ``steps`` steps, in one of ``buffers`` (two device arrays shaped like
    the grid; new ones where not given). The first step reads ``grid`` itself, so the
    input is never copied and never changed."""
    current, spare = buffers if buffers is not None else workspace(grid, steps, dt, D)["buffers"]
    if steps == 0:
        current.copy_to_device(grid)  # device to device
        return current
    blocks, threads = launch_config(grid.size)
    scalar = grid.dtype.type
    factor, four = scalar(dt * D), scalar(4)
    _step[blocks, threads](grid, current, factor, four)
    for _ in range(steps - 1):
        _step[blocks, threads](current, spare, factor, four)
        current, spare = spare, current
    return current

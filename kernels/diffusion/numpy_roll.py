"""2D diffusion with NumPy and ``np.roll``: the book's first, naive NumPy version.

Each step makes four rolled copies of the grid and several temporaries for the
arithmetic, so it allocates and sweeps memory many times per step. Kept as the
named variant ``numpy_roll`` (see ``VARIANTS``) to compare with ``numpy_inplace``.
"""

import numpy as np


def laplacian(grid: np.ndarray) -> np.ndarray:
    """The periodic 5-point Laplacian, from four rolled copies of the grid."""
    return (
        np.roll(grid, +1, 0)
        + np.roll(grid, -1, 0)
        + np.roll(grid, +1, 1)
        + np.roll(grid, -1, 1)
        - 4 * grid
    )


def compute(grid: np.ndarray, steps: int, dt: float, D: float) -> np.ndarray:
    """The grid after ``steps`` steps, as a new array of the input's dtype."""
    for _ in range(steps):
        grid = grid + dt * D * laplacian(grid)
    return grid

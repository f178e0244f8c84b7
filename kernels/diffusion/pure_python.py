"""2D diffusion in pure Python on lists of lists, the book's first version (chapter 6).

Every step builds a new grid, and neighbours are found with modulo arithmetic on the
indices (periodic boundaries), exactly the way the book's ``evolve`` does it.

Serves the ``python`` backend (CPython) and the ``pypy`` backend (run by PyPy).
Imports nothing, so that PyPy can load it without NumPy.
"""


def evolve(grid, dt, D):
    """One explicit Euler step of du/dt = D * laplacian(u), as a new list of lists."""
    xmax = len(grid)
    ymax = len(grid[0])
    new_grid = [[0.0] * ymax for _ in range(xmax)]
    for i in range(xmax):
        for j in range(ymax):
            grid_xx = grid[(i + 1) % xmax][j] + grid[(i - 1) % xmax][j] - 2.0 * grid[i][j]
            grid_yy = grid[i][(j + 1) % ymax] + grid[i][(j - 1) % ymax] - 2.0 * grid[i][j]
            new_grid[i][j] = grid[i][j] + D * (grid_xx + grid_yy) * dt
    return new_grid


def compute(grid, steps, dt, D):
    """The grid after ``steps`` steps (a new list of lists; the input is left as it was)."""
    for _ in range(steps):
        grid = evolve(grid, dt, D)
    return grid

"""2D diffusion in pure Python on lists of lists, the book's first version (chapter 6).

Every step builds a new grid, and neighbours are found with modulo arithmetic on the
indices (periodic boundaries), exactly the way the book's ``evolve`` does it. One line
differs: the book makes the new grid with ``[[0.0] * ymax for x in range(xmax)]``, lists
whatever the input holds; here each new row is a copy of an input row, so it is of the
input's kind. CPython hands this code lists, PyPy ``array`` rows (see
``accel/pypy_server.py``), and a loop that reads arrays in its first step and lists after
it ran 43% slower in PyPy (CPU time at 256 x 256, 100 steps: 120-123 ms against 83-89 ms
on rows of one kind); every cell of the copy is overwritten.

Serves the ``python`` backend (CPython) and the ``pypy`` backend (run by PyPy).
Imports nothing, so that PyPy can load it without NumPy.
"""


def evolve(grid, dt, D):
    """One explicit Euler step of du/dt = D * laplacian(u), as a new grid (a list of rows)."""
    xmax = len(grid)
    ymax = len(grid[0])
    new_grid = [row[:] for row in grid]  # the input's kind of row; all overwritten below
    for i in range(xmax):
        for j in range(ymax):
            grid_xx = grid[(i + 1) % xmax][j] + grid[(i - 1) % xmax][j] - 2.0 * grid[i][j]
            grid_yy = grid[i][(j + 1) % ymax] + grid[i][(j - 1) % ymax] - 2.0 * grid[i][j]
            new_grid[i][j] = grid[i][j] + D * (grid_xx + grid_yy) * dt
    return new_grid


def compute(grid, steps, dt, D):
    """The grid after ``steps`` steps (a new list of rows; the input is left as it was)."""
    for _ in range(steps):
        grid = evolve(grid, dt, D)
    return grid

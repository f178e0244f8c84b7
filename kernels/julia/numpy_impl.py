"""Julia set with NumPy: whole-array steps on real arrays, a cache-sized chunk at a time.

The expanded math in place, escaped points dropped every few steps (see
``_vector_escape``, which the torch implementation shares). The book's first NumPy
lesson, every point of the grid iterated at once as complex numbers and compacted at
every step, is the named variant ``numpy_whole_grid``.
"""

import numpy as np

from ._vector_escape import Library, add_at_by_indexing, escape_counts

#: Points per chunk: six float64 arrays of 64 Ki points stay in a core's L2 cache.
CHUNK_POINTS = 1 << 16
NUMPY = Library(
    multiply=np.multiply,
    add=np.add,
    less=np.less,
    where=lambda mask, out: np.flatnonzero(mask),
    take=lambda values, indices, out: values[indices],
    add_at=add_at_by_indexing,
    small_ints=lambda flags: flags.view(np.int8),
    empty_like=np.empty_like,
    arange=lambda like: np.arange(like.shape[0]),
    bools=lambda like: np.empty(like.shape, dtype=bool),
    quiet=lambda: np.errstate(over="ignore", invalid="ignore"),
)


def compute(zs, c, max_iter):
    """Iteration count per starting point (int32 array)."""
    counts = np.zeros(zs.size, dtype=np.int32)
    x, y = zs.real.copy(), zs.imag.copy()  # contiguous, in the points' precision
    escape_counts(x, y, c, max_iter, counts, NUMPY, CHUNK_POINTS)
    return counts

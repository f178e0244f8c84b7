"""Julia set with NumPy: every point iterated at once, escaped points masked out.

The book's lesson: vectorising removes the interpreter from the inner loop, but
each of the ``max_iter`` steps sweeps the whole (shrinking) active set through
memory, so NumPy does more memory traffic than a compiled per-point loop.
"""

import numpy as np


def compute(zs, c, max_iter):
    """Iteration count per starting point (int32 array)."""
    z = zs.copy()
    counts = np.zeros(z.shape, dtype=np.int32)
    index = np.arange(z.size)
    for _ in range(max_iter):
        inside = np.abs(z) < 2
        if not inside.all():
            z, index = z[inside], index[inside]
            if index.size == 0:
                break
        counts[index] += 1
        z = z * z + c
    return counts

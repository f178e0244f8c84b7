"""Julia set with Numba ``prange``: interleaved blocks of points, an even share per thread.

Points inside the set cost ``max_iter`` iterations and points outside only a few, so
equal contiguous shares would leave threads idle; each thread takes blocks from the
whole grid instead (see ``_numba_escape``).
"""

from numba import njit

from ._numba_escape import compute_with, iterate

compute = compute_with(njit(parallel=True, nogil=True)(iterate), parallel=True)

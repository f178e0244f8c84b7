"""Julia set compiled by Numba in nopython mode: the book's expanded loop, one thread."""

from numba import njit

from ._numba_escape import compute_with, iterate

compute = compute_with(njit(nogil=True)(iterate), parallel=False)

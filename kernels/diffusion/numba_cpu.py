"""2D diffusion compiled by Numba in nopython mode: a loop over rows, one thread."""

from numba import njit

from ._numba_rows import compute_with, evolve

compute = compute_with(njit(nogil=True)(evolve))

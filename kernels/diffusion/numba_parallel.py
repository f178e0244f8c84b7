"""2D diffusion with Numba ``prange``: each step's rows shared among the threads.

Every row costs the same, so Numba's default static split of the rows balances the
load; the steps themselves stay in order (each needs the previous one complete).
"""

from numba import njit

from ._numba_rows import compute_with, evolve

compute = compute_with(njit(parallel=True, nogil=True)(evolve))

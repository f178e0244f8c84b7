"""2D diffusion in C with OpenMP: ``c_native.c`` built with ``-fopenmp``.

One team of threads for the whole call; each step's rows are split statically among
them (as numba_parallel's ``prange``); the thread count comes from OMP_NUM_THREADS.
"""

from .c_native import NATIVE, compute_with

compute = compute_with(NATIVE.openmp())

"""Matrix multiply in C with OpenMP: ``c_native.c`` built with ``-fopenmp``.

Threads share the blocks of 64 rows of C statically, as numba_parallel does; the
thread count comes from OMP_NUM_THREADS.
"""

from .c_native import NATIVE, compute_with

compute = compute_with(NATIVE.openmp())

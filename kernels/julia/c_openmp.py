"""Julia set in C with OpenMP: ``c_native.c`` built with ``-fopenmp``.

Blocks of 256 points are dealt to the threads in turn (``schedule(static, 256)``), so
each thread takes an even sample of the grid, as in numba_parallel; the thread count
comes from OMP_NUM_THREADS.
"""

from .c_native import NATIVE, compute_with

compute = compute_with(NATIVE.openmp())

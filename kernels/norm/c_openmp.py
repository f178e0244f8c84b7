"""Squared norm in C with OpenMP: ``c_native.c`` built with ``-fopenmp``.

Threads share the vector's blocks statically and OpenMP adds their totals
(``reduction(+ : total)``); the thread count comes from OMP_NUM_THREADS.
"""

from .c_native import NATIVE, compute_with

compute = compute_with(NATIVE.openmp())

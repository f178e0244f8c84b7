"""Primes by trial division in C with OpenMP: ``c_native.c`` built with ``-fopenmp``.

Threads take chunks of 256 numbers dynamically (``schedule(dynamic, 256)``), the
same chunk size as numba_parallel; the thread count comes from OMP_NUM_THREADS.
"""

from .c_native import NATIVE, compute_with

compute = compute_with(NATIVE.openmp())

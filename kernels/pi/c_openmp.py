"""Monte Carlo pi in C with OpenMP: ``c_native.c`` built with ``-fopenmp``.

The threads share the darts in equal static blocks (every dart costs the same);
the thread count comes from OMP_NUM_THREADS.
"""

from .c_native import NATIVE, compute_with

compute = compute_with(NATIVE.openmp())

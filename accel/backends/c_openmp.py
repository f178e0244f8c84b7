"""Native C with OpenMP: a kernel's C built with ``-fopenmp``, on every thread allowed.

The thread count reaches the OpenMP runtime through ``OMP_NUM_THREADS``, which
the runner sets for each worker; ``configure`` sets it too, for callers in this
process, before the library (and so the runtime) is first loaded.
"""

from __future__ import annotations

import os

from .c_native import CNativeBackend


class COpenmpBackend(CNativeBackend):
    name = "c_openmp"
    openmp = True

    def configure(self, threads: int) -> None:
        os.environ["OMP_NUM_THREADS"] = str(threads)


BACKEND = COpenmpBackend

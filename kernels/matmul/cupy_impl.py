"""Matrix multiply in CuPy: ``a @ b``, which CuPy hands to cuBLAS.

This is what a CuPy user writes, and cuBLAS is the GPU's BLAS, as ``numpy`` measures
the CPU's. The hand-written tiled kernel is the ``numba_cuda`` implementation.
"""


def compute(a, b):
    """The product ``a @ b`` as a CuPy array on the current device."""
    return a @ b

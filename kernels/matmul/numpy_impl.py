"""Matrix multiply with NumPy: ``a @ b``, which hands the work to the BLAS NumPy links."""


def compute(a, b):
    """The product ``a @ b`` (BLAS dgemm or sgemm)."""
    return a @ b

"""Matrix multiply in PyTorch, one source for the CPU and CUDA devices: ``a @ b``.

On the CPU PyTorch calls its BLAS (MKL or OpenBLAS), on a GPU cuBLAS. TF32 stays off
(PyTorch's default for matrix multiplies), so float32 means float32.
"""


def compute(a, b):
    """The product ``a @ b`` as a tensor on the inputs' device."""
    return a @ b

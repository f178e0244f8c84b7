"""Julia set in PyTorch, one source for the CPU and CUDA devices.

The loop is NumPy's (``_vector_escape``): the book's expanded math on real tensors,
every operation written into a buffer allocated once, escaped points dropped every
``COMPACT_EVERY`` steps (there the host learns how many stay: on a GPU, its one wait
per block). On the CPU the points go through in cache-sized chunks; on a GPU the whole
grid is one chunk (one kernel launch per operation, not one per chunk).

Each multiply and add is its own tensor operation, so each rounds as NumPy's does and
complex128 counts match the reference exactly on the CPU and on a GPU, where PyTorch's
own complex multiply is compiled with fused multiply-adds.
"""

import torch

from ._vector_escape import COMPACT_EVERY, Library, escape_counts

#: Points per chunk on the CPU: six float64 tensors of 64 Ki points stay in L2.
CPU_CHUNK_POINTS = 1 << 16
TORCH = Library(
    multiply=torch.mul,
    add=torch.add,
    less=torch.lt,
    where=lambda mask: torch.nonzero(mask).squeeze(1),
    empty_like=torch.empty_like,
    arange=lambda like: torch.arange(like.shape[0], device=like.device),
    bools=lambda like: torch.empty(like.shape, dtype=torch.bool, device=like.device),
    quiet=torch.no_grad,
)
__all__ = ["COMPACT_EVERY", "compute"]


def compute(zs, c, max_iter):
    """Iteration count per starting point (int32 tensor on the inputs' device)."""
    counts = torch.zeros(zs.shape, dtype=torch.int32, device=zs.device)
    x, y = zs.real.clone(), zs.imag.clone()
    chunk = CPU_CHUNK_POINTS if zs.device.type == "cpu" else max(1, zs.numel())
    escape_counts(x, y, c, max_iter, counts, TORCH, chunk)
    return counts

"""Julia set in PyTorch, one source for the CPU and CUDA devices.

The loop is NumPy's (``_vector_escape``): the book's expanded math on real tensors,
every operation written into a buffer allocated once, escaped points dropped every
``COMPACT_EVERY`` steps (there the host learns how many stay: on a GPU, its one wait
per block). On the CPU the points go through in cache-sized chunks; on a GPU the whole
grid is one chunk (one kernel launch per operation, not one per chunk).

Each multiply and add is its own tensor operation, so each rounds as NumPy's does and
complex128 counts match the reference exactly on the CPU and on a GPU, where PyTorch's
own complex multiply is compiled with fused multiply-adds.

On a GPU the counts, the points' copies and the loop's buffers come from
:func:`workspace`, allocated once per run, and the loop gathers, finds survivors and
adds counts with ``out=`` and in-place operations: a timed call makes no array of its
own (on a GPU, ``nonzero`` still takes its scratch space from PyTorch's caching
allocator, a cached block, not a ``cudaMalloc``).
"""

import torch

from ._vector_escape import COMPACT_EVERY, Library, buffers, escape_counts


def _where(mask: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
    """Indices of the true elements of ``mask``, written into ``out``'s storage (emptied
    first, so ``nonzero`` grows it back within its storage: no allocation, no warning)."""
    return torch.nonzero(mask, out=out.resize_(0, 1)).squeeze(1)


#: Points per chunk on the CPU: six float64 tensors of 64 Ki points stay in L2.
CPU_CHUNK_POINTS = 1 << 16
TORCH = Library(
    multiply=torch.mul,
    add=torch.add,
    less=torch.lt,
    where=_where,
    take=lambda values, indices, out: torch.index_select(values, 0, indices, out=out),
    add_at=lambda counts, indices, values, wide: counts.index_add_(0, indices, wide.copy_(values)),
    small_ints=lambda flags: flags.view(torch.int8),
    empty_like=torch.empty_like,
    arange=lambda like: torch.arange(like.shape[0], device=like.device),
    bools=lambda like: torch.empty(like.shape, dtype=torch.bool, device=like.device),
    quiet=torch.no_grad,
)
__all__ = ["COMPACT_EVERY", "compute", "workspace"]


def _chunk(zs: torch.Tensor) -> int:
    return CPU_CHUNK_POINTS if zs.device.type == "cpu" else max(1, zs.numel())


def workspace(zs: torch.Tensor, c: complex, max_iter: int) -> dict:
    """The counts (the output), the points' real and imaginary parts and the loop's
    buffers, allocated once per run on the points' device."""
    counts = torch.empty(zs.shape, dtype=torch.int32, device=zs.device)
    x, y = (torch.empty(zs.shape, dtype=zs.real.dtype, device=zs.device) for _ in range(2))
    return {"work": (counts, x, y, buffers(x, counts, _chunk(zs), TORCH))}


def compute(zs: torch.Tensor, c: complex, max_iter: int, work=None) -> torch.Tensor:
    """Iteration count per starting point (int32 tensor on the inputs' device: the
    counts of ``work`` where given)."""
    counts, x, y, loop = work if work is not None else workspace(zs, c, max_iter)["work"]
    counts.zero_()
    x.copy_(zs.real)
    y.copy_(zs.imag)
    escape_counts(x, y, c, max_iter, counts, TORCH, _chunk(zs), loop)
    return counts

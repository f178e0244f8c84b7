"""Squared norm in PyTorch, one source for the CPU and CUDA devices: ``torch.dot(v, v)``.

The result stays on the input's device (a 0-d tensor), so a GPU run times the
reduction, not the copy of its answer; the accumulator has the input's dtype.
"""

import torch


def compute(v: torch.Tensor) -> torch.Tensor:
    """The sum of the squares of the elements of ``v`` (a 0-d tensor on ``v``'s device)."""
    return torch.dot(v, v)

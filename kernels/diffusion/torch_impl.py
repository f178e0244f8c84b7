"""2D diffusion in PyTorch, one source for the CPU and CUDA devices.

The in-place step of the NumPy version (``_inplace_stencil``) runs unchanged on
tensors: two padded buffers on the input's device, no allocation per step, five passes
a step (``torch.add`` scales its second operand, which saves NumPy's sixth). On the CPU
the six passes of a step run band by band so each band stays in cache; on a GPU each
pass covers the whole grid (one kernel launch per pass, not one per band). On a GPU the
two padded buffers come from :func:`workspace`, allocated once per run, so a timed call
allocates nothing (the grid is copied into one on the device).
"""

import torch

from ._inplace_stencil import band_rows, evolve, pad_into

#: Bytes of one band of one buffer on the CPU: larger than NumPy's, because each
#: PyTorch operation costs several microseconds to dispatch (512 KiB measured best).
CPU_BAND_BYTES = 512 * 1024


def workspace(grid: torch.Tensor, steps: int, dt: float, D: float) -> dict:
    """The two padded buffers (one ghost row and column each side) the steps alternate
    between, allocated once per run."""
    rows, cols = grid.shape
    source = grid.new_empty((rows + 2, cols + 2))
    return {"buffers": (source, torch.empty_like(source))}


def compute(grid: torch.Tensor, steps: int, dt: float, D: float, buffers=None) -> torch.Tensor:
    """The grid after ``steps`` steps, as a tensor on the input's device (a view of the
    inside of one of the padded ``buffers``; new ones where not given)."""
    rows, cols = grid.shape
    source, spare = buffers if buffers is not None else workspace(grid, steps, dt, D)["buffers"]
    pad_into(grid, source)
    on_cpu = grid.device.type == "cpu"
    band = band_rows(cols + 2, grid.element_size(), CPU_BAND_BYTES) if on_cpu else rows
    result = evolve(source, spare, steps, dt * D, torch.mul, band, add_scaled=torch.add)
    return result[1:-1, 1:-1]

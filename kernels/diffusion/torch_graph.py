"""2D diffusion in PyTorch with every step in one CUDA graph: one launch per call, not one
per operation. A named variant (``VARIANTS``) beside ``torch_impl``.

``torch_impl`` on a GPU launches five or six small kernels per step from Python (about
3,000 launches at the book's 500 steps), so at small grids it measures launch overhead,
not the GPU. Here the same steps (``_inplace_stencil.evolve``, the code ``torch_impl``
runs) are captured once into a CUDA graph (``torch.cuda.graph``) on buffers that stay
put; each call copies its grid into the captured input buffer and replays the graph,
which the GPU runs with no Python between the steps. Compare the two to show launch
overhead against compute: the graph wins where a step's kernels are short. The capture
happens when the call is bound (:func:`workspace`), not in the run's first call.

The graph is kept per (shape, dtype, device, steps, dt * D); the returned tensor is a view
of its output buffer, overwritten by the next call with the same key. Off a CUDA device
(the tests' CPU tensors) the same steps run directly, so the arithmetic is the same code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from ._inplace_stencil import evolve, pad_into


@dataclass
class Captured:
    """Buffers that stay put, the steps captured on them, and where the result lands."""

    source: torch.Tensor
    replay: Callable[[], None]
    result: torch.Tensor


_captured: dict[tuple[Any, ...], Captured] = {}


def capture_on_cuda(steps_on: Callable[[], torch.Tensor]) -> tuple[Callable[[], None], Any]:
    """Capture ``steps_on()`` into a CUDA graph; its replay and the tensor it returns.

    PyTorch's recipe: a warm-up on a side stream first (lazy initialisation must not be
    captured), then the capture on that stream.
    """
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        steps_on()
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        result = steps_on()
    return graph.replay, result


def capture_in_place(steps_on: Callable[[], torch.Tensor]) -> tuple[Callable[[], None], Any]:
    """Off a CUDA device: no graph, the steps themselves on every replay (same buffers)."""
    result = steps_on()
    return steps_on, result


def workspace(grid: torch.Tensor, steps: int, dt: float, D: float) -> dict[str, Captured]:
    """The buffers and the graph of every step on them, captured once per run when the
    call is bound (outside every timed call, as every GPU implementation's outputs are)."""
    return {"captured": _captured_for(grid, steps, dt, D)}


def compute(
    grid: torch.Tensor, steps: int, dt: float, D: float, captured: Captured | None = None
) -> torch.Tensor:
    """The grid after ``steps`` steps: one graph replay on a CUDA device (a view of the
    captured output buffer, inside its ghost rows and columns); ``captured`` from
    :func:`workspace`, or found (or captured now) for these arguments."""
    captured = _captured_for(grid, steps, dt, D) if captured is None else captured
    pad_into(grid, captured.source)
    captured.replay()
    return captured.result[1:-1, 1:-1]


def _captured_for(grid: torch.Tensor, steps: int, dt: float, D: float) -> Captured:
    key = (tuple(grid.shape), grid.dtype, grid.device, int(steps), float(dt * D))
    if key not in _captured:
        _captured[key] = _capture(grid, int(steps), float(dt * D))
    return _captured[key]


def _capture(grid: torch.Tensor, steps: int, factor: float) -> Captured:
    rows, cols = grid.shape
    source = grid.new_zeros((rows + 2, cols + 2))
    spare = torch.empty_like(source)

    def steps_on() -> torch.Tensor:
        return evolve(source, spare, steps, factor, torch.mul, rows, add_scaled=torch.add)

    capture = capture_on_cuda if grid.device.type == "cuda" else capture_in_place
    replay, result = capture(steps_on)
    return Captured(source=source, replay=replay, result=result)

"""2D diffusion with CuPy with every step in one CUDA graph: one launch per call, not one
per step. A named variant of the ``cupy`` backend (``VARIANTS``) beside ``cupy_impl``.

``cupy_impl`` launches ``diffusion.cu``'s step kernel once per step from Python (500
launches at the book's 500 steps), so at small grids it measures launch overhead, not
the GPU. Here the same launches (``cupy_impl.launch_steps``) are captured once, when the
call is bound (:func:`workspace`, outside every timed call), into a CUDA graph through
CuPy's stream capture (``Stream.begin_capture``/``end_capture``) on buffers that stay
put; each call launches the graph on the current stream, and the GPU runs every step with
no Python between them. Compare the two (``accel compare diffusion --backends cupy`` and
``accel run diffusion --backend cupy --variant cupy_graph``) to show launch overhead
against compute.

The graph's first step reads the input grid where it lies, so a call copies nothing:
the capture is kept with the grid it reads, and a call with another grid (or other step
parameters) captures again. The returned array is the captured output buffer, overwritten
by the next launch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import cupy

from .cupy_impl import launch_steps
from .cupy_impl import workspace as step_buffers


@dataclass
class Captured:
    """A graph of every step, what it reads and where its result lands."""

    grid: Any
    steps: int
    factor: float
    launch: Callable[[], None]
    result: Any


def capture(launches: Callable[[], Any]) -> tuple[Callable[[], None], Any]:
    """Capture ``launches()`` into a CUDA graph; its launch on the current stream and what
    ``launches`` returned.

    ``launches`` runs once first, uncaptured, so that compiling and loading the kernel
    happen outside the capture; the capture runs on a side stream of its own
    (non-blocking: the legacy default stream cannot be captured, and a blocking stream
    would tie it to the default stream during the capture).
    """
    launches()
    side = cupy.cuda.Stream(non_blocking=True)
    with side:
        side.begin_capture()
        result = launches()
        graph = side.end_capture()
    return lambda: graph.launch(cupy.cuda.get_current_stream()), result


def workspace(grid, steps: int, dt: float, D: float) -> dict[str, Captured]:
    """The two step buffers and the graph of every step on them, made once per run."""
    current, spare = step_buffers(grid, steps, dt, D)["buffers"]
    factor = float(dt * D)
    launch, result = capture(lambda: launch_steps(grid, int(steps), factor, current, spare))
    return {"captured": Captured(grid, int(steps), factor, launch, result)}


def compute(grid, steps: int, dt: float, D: float, captured: Captured | None = None):
    """The grid after ``steps`` steps: one graph launch (the captured output buffer)."""
    fits = captured is not None and captured.grid is grid
    if not (fits and captured.steps == steps and captured.factor == float(dt * D)):
        captured = workspace(grid, steps, dt, D)["captured"]
    captured.launch()
    return captured.result

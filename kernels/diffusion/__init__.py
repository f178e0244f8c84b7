"""2D diffusion with periodic boundaries, the stencil of "High Performance Python" chapter 6.

A square grid u evolves by explicit Euler steps of du/dt = D * laplacian(u), with the
5-point Laplacian and periodic (wrap-around) boundaries:

    u[i, j] <- u[i, j] + dt * D * (u[i+1, j] + u[i-1, j] + u[i, j+1] + u[i, j-1] - 4 u[i, j])

The book's problem: a 640 x 640 grid, 500 steps, dt = 0.1, D = 1, starting from zero
with a block of 0.005 over rows and columns [0.4 N, 0.5 N) (a drop of dye). Each step
reads and writes the whole grid for about 7 flops per cell: a memory-bound stencil.

Inputs: ``grid`` (float64 or float32, N x N), ``steps``, ``dt``, ``D``. Output: the grid
after ``steps`` steps (the input grid is never modified).

The check is twofold and independent of every implementation's stencil code:

* Mass: the periodic Laplacian sums to zero, so the total is conserved; the exact sums
  (``math.fsum``) of input and output may differ only by rounding.
* A closed form: the periodic Laplacian is diagonalised by the 2D DFT. Mode (k, l) has
  eigenvalue lambda = 2 cos(2 pi k / N) + 2 cos(2 pi l / N) - 4, so after ``steps`` steps
  it is multiplied by (1 + dt D lambda) ** steps; the reference is one FFT, one product
  and one inverse FFT in float64.

The NumPy lessons of the book are two implementations: ``numpy_inplace`` (buffers
allocated once, every operation in place) serves the ``numpy`` backend, and the naive
``np.roll`` version, ``numpy_roll``, is a named variant of ``numpy`` (:data:`VARIANTS`;
``accel run diffusion --backend numpy --variant numpy_roll``). On a GPU, ``torch_impl``
launches every operation of every step from Python; ``torch_graph``, a variant of
``torch_cuda``, captures the steps once into a CUDA graph and replays it, and
``cupy_graph``, a variant of ``cupy``, does the same with ``cupy_impl``'s one launch per
step, so each pair shows launch overhead against compute.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import STANDARD_IMPLEMENTATIONS, Inputs, KernelSpec, Preset, Verdict, Work

BOOK_SIDE, BOOK_STEPS, BOOK_DT, BOOK_D = 640, 500, 0.1, 1.0
#: The book's initial condition: this value on rows and columns [0.4 N, 0.5 N).
BLOCK_VALUE, BLOCK_LOW, BLOCK_HIGH = 0.005, 0.4, 0.5
#: The explicit scheme is stable (and keeps every value between the grid's minimum and
#: maximum) only while dt * D <= 1/4; the error bounds below rely on that.
MAX_STABLE_FACTOR = 0.25
DTYPES = {"float64": np.float64, "float32": np.float32}
FLOPS_PER_CELL = 7  # 3 adds of neighbours, 4 * centre, the subtraction, * dt D, + centre

#: Rounding allowance per step, in units of the dtype's machine epsilon times the
#: grid's scale. One step computes each cell with 7 rounded operations whose operands
#: are at most (1 + 8 dt D) <= 3 times the grid's largest absolute value (or, summed
#: over cells, the sum of its absolute values): at most 7 * 3 / 2 = 10.5 eps; 16 leaves
#: room for a different evaluation order and for dt * D rounded to the dtype. Because
#: the scheme is a convex combination (dt * D <= 1/4), errors from earlier steps are not
#: amplified, so they add up over steps.
EPS_PER_STEP = 16.0
#: Allowance for the float64 FFT reference itself, in float64 eps times max |grid|
#: times log2 of the number of cells (the depth of the FFT).
REFERENCE_EPS_PER_LEVEL = 4.0

#: Named variants (module -> the backend it runs on): the book's naive ``np.roll`` lesson
#: beside the in-place module that serves ``numpy``; every step in one CUDA graph, one
#: launch per call, beside ``torch_impl``'s launch per operation on ``torch_cuda`` and
#: ``cupy_impl``'s launch per step on ``cupy``.
VARIANTS: dict[str, str] = {
    "numpy_roll": "numpy",
    "torch_graph": "torch_cuda",
    "cupy_graph": "cupy",
}


def make_inputs(
    size: int,
    dtype: str = "float64",
    seed: int = 0,
    steps: int = BOOK_STEPS,
    dt: float = BOOK_DT,
    D: float = BOOK_D,
) -> Inputs:
    """The book's initial grid of ``size`` x ``size`` with its step parameters (seed unused)."""
    if not 0 <= dt * D <= MAX_STABLE_FACTOR:
        raise ValueError(f"dt * D must lie in [0, {MAX_STABLE_FACTOR}] for a stable scheme")
    if steps < 0:
        raise ValueError(f"steps must be zero or more, got {steps}")
    grid = np.zeros((size, size), dtype=DTYPES[dtype])
    low, high = int(size * BLOCK_LOW), int(size * BLOCK_HIGH)
    grid[low:high, low:high] = BLOCK_VALUE
    return {"grid": grid, "steps": int(steps), "dt": float(dt), "D": float(D)}


def reference(inputs: Inputs) -> np.ndarray:
    """The grid after ``steps`` steps from the DFT closed form, in float64."""
    grid = np.asarray(inputs["grid"], dtype=np.float64)
    rows, cols = grid.shape
    factor = inputs["dt"] * inputs["D"]
    row_part = 2.0 * np.cos(2.0 * np.pi * np.arange(rows) / rows) - 2.0
    col_part = 2.0 * np.cos(2.0 * np.pi * np.arange(cols) / cols) - 2.0
    eigenvalues = row_part[:, None] + col_part[None, :]
    multiplier = (1.0 + factor * eigenvalues) ** inputs["steps"]
    return np.fft.irfft2(np.fft.rfft2(grid) * multiplier[:, : cols // 2 + 1], s=grid.shape)


def check(output: Any, inputs: Inputs) -> Verdict:
    """Mass conserved within rounding, and agreement with the DFT closed form.

    Both bounds are ``steps * 16 * eps`` (eps of the input's dtype) times the grid's
    scale: the sum of its absolute values (its mass, for a grid of concentrations) for
    the conservation check, its largest absolute value for the pointwise one (plus a
    small allowance for the FFT reference). A neighbour off by one place
    conserves mass but fails the closed form; a wrong constant fails both.
    """
    if output is None:
        return Verdict(False, float("inf"), "no output returned")
    grid = inputs["grid"]
    result = np.asarray(output, dtype=np.float64)
    if result.shape != grid.shape:
        return Verdict(False, float("inf"), f"shape {result.shape}, expected {grid.shape}")
    if not np.isfinite(result).all():
        return Verdict(False, float("inf"), "output holds NaN or infinity")
    eps = float(np.finfo(grid.dtype).eps)
    steps = inputs["steps"]
    start = np.asarray(grid, dtype=np.float64)
    mass = math.fsum(start.ravel().tolist())
    drift = abs(math.fsum(result.ravel().tolist()) - mass)
    drift_bound = steps * EPS_PER_STEP * eps * math.fsum(np.abs(start).ravel().tolist())
    peak = float(np.abs(start).max()) if start.size else 0.0
    levels = max(1.0, math.log2(start.size))
    error = float(np.abs(result - reference(inputs)).max())
    error_bound = steps * EPS_PER_STEP * eps * peak
    error_bound += REFERENCE_EPS_PER_LEVEL * levels * float(np.finfo(np.float64).eps) * peak
    passed = drift <= drift_bound and error <= error_bound
    detail = (
        f"max |out - closed form| {error:.3g} (bound {error_bound:.3g}); "
        f"mass drift {drift:.3g} of {mass:.6g} (bound {drift_bound:.3g})"
    )
    return Verdict(passed, error / peak if peak else error, detail)


def work(size: int, steps: int = BOOK_STEPS, dtype: str = "float64") -> Work:
    """Flops and bytes of one call: every step reads and writes each cell once."""
    cells = size * size * steps
    itemsize = np.dtype(DTYPES[dtype]).itemsize
    return Work(flops=cells * FLOPS_PER_CELL, bytes=cells * 2 * itemsize)


def memory_bytes(size: int, dtype: str = "float64", **params: Any) -> int:
    """Peak host bytes of one run: about 100 per cell (73 measured with tracemalloc).

    The grid and the output, their float64 copies and spectra in the FFT reference, and
    the check's exact sums over the cells as Python floats.
    """
    itemsize = np.dtype(DTYPES[dtype]).itemsize
    return size * size * (2 * itemsize + 96)


KERNEL = KernelSpec(
    name="diffusion",
    title="2D diffusion",
    size_means="an n x n grid",
    description=(
        "5-point stencil, periodic boundaries; memory-bound "
        "(numpy = in-place buffers; the book's np.roll version is the variant numpy_roll)"
    ),
    presets={
        "S": Preset(64, {"steps": 50}),
        "M": Preset(256, {"steps": 100}),
        "L": Preset(2048, {"steps": 500}),
        "book": Preset(BOOK_SIDE, {"steps": BOOK_STEPS}, "the book's 640x640, 500 steps"),
    },
    dtypes=("float64", "float32"),
    make_inputs=make_inputs,
    reference=reference,
    check=check,
    work=work,
    memory_bytes=memory_bytes,
    implementations={**STANDARD_IMPLEMENTATIONS, "numpy": "numpy_inplace"},
    variants=VARIANTS,
    package=__name__,
)

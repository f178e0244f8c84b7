"""The Julia set, the first example of "High Performance Python" (chapter 2).

For every point z0 of a square grid over [-1.8, 1.8]^2, iterate z <- z*z + c with
c = -0.62772-0.42193j until |z| >= 2 or ``max_iter`` iterations, and record the
iteration count. The cost per point is uneven (points inside the set run all
iterations), which makes it a lesson in load balance for parallel backends.

Inputs: ``zs`` (complex, the grid flattened row by row, built exactly as the book
builds it so its published checksum holds), ``c`` (complex) and ``max_iter``.
Output: the iteration count per point (integers).

Every backend but the pure-Python one runs the book's expanded math (Table 7-2): real
and imaginary parts by hand, escape when ``zr*zr + zi*zi >= 4``. The first steps the
book takes stay as named variants (:data:`VARIANTS`): ``numba_abs``, its Numba loop
with ``abs(z) < 2`` (a ``hypot`` per iteration), and ``numpy_whole_grid``, every point
of the grid vectorised at once as complex numbers, compacted at every step. NumPy uses
the squares in both: its SIMD complex ``abs`` rounds |z| within an ulp of 2 up to 2.0,
which made two points of the size-18 grid escape an iteration early.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import Inputs, KernelSpec, Preset, Verdict, Work
from .._reference_cache import cached_array

C = complex(-0.62772, -0.42193)
X1, X2, Y1, Y2 = -1.8, 1.8, -1.8, 1.8
BOOK_WIDTH, BOOK_MAX_ITER, BOOK_CHECKSUM = 1000, 300, 33219980
DTYPES = {"complex128": np.complex128, "complex64": np.complex64}
# Aliases so that `--dtype float64/float32` means the precision of each part.
DTYPE_ALIASES = {"float64": "complex128", "float32": "complex64"}
# Iterations per point measured at the book size (33219980 / 1000**2), used to
# estimate the work of one call; an estimate, since the count depends on the grid.
MEAN_ITERATIONS = BOOK_CHECKSUM / BOOK_WIDTH**2
FLOPS_PER_ITERATION = 8  # z*z (3 mul, 2 add) + c (2) + |z|^2 < 4 on the same squares (1)
#: Named variants (module -> the backend it runs on): the book's ``abs(z) < 2`` Numba loop
#: and its whole-grid NumPy loop, beside the expanded ones that serve ``numba_cpu`` and
#: ``numpy``.
VARIANTS: dict[str, str] = {"numba_abs": "numba_cpu", "numpy_whole_grid": "numpy"}


def _axis(start: float, step: float, count: int) -> list[float]:
    """The book's coordinates: a float accumulated step by step, not linspace.

    Exactly ``count`` of them. The book's loop (``while value < stop``) gives one more
    for about half of all sizes, where the accumulated value falls just short of
    ``stop``: a (size+1) x (size+1) grid. At the book's 1000 it gives 1000, so these are
    the book's own coordinates and its checksum holds.
    """
    values, value = [], start
    for _ in range(count):
        values.append(value)
        value += step
    return values


def make_inputs(size: int, dtype: str = "complex128", seed: int = 0, max_iter: int = 300) -> Inputs:
    """Build the book's grid of ``size`` x ``size`` starting points (seed is unused)."""
    dtype = DTYPE_ALIASES.get(dtype, dtype)
    xs = _axis(X1, (X2 - X1) / size, size)
    ys = _axis(Y2, (Y1 - Y2) / size, size)
    zs = (np.array(xs)[None, :] + 1j * np.array(ys)[:, None]).ravel().astype(DTYPES[dtype])
    return {"zs": zs, "c": complex(C), "max_iter": int(max_iter)}


def _iterate(zs: np.ndarray, c: complex, max_iter: int) -> np.ndarray:
    """Vectorised escape-time iteration, independent of every backend's code.

    It works on real and imaginary parts with one NumPy operation per IEEE operation
    of a scalar complex multiply-add, so no SIMD complex multiply and no fused
    multiply-add changes a last bit: NumPy's own complex ``*`` and ``abs`` differ from
    scalar code in the last bit on AVX-512 machines, and the orbit is chaotic enough
    for that to change an iteration count (1 point in 4 million at size 2000).
    """
    re = zs.real.astype(np.float64)
    im = zs.imag.astype(np.float64)
    counts = np.zeros(zs.shape, dtype=np.int64)
    index = np.arange(zs.size)
    for _ in range(max_iter):
        inside = np.hypot(re, im) < 2
        if not inside.all():
            re, im, index = re[inside], im[inside], index[inside]
            if index.size == 0:
                break
        counts[index] += 1
        re, im = (re * re - im * im) + c.real, (re * im + im * re) + c.imag
    return counts


def reference(inputs: Inputs) -> np.ndarray:
    """Iteration counts computed in float64 by a plain NumPy loop (cached on disk)."""
    zs = inputs["zs"]
    key = f"julia-split-{KERNEL.version}-{zs.size}-{zs.dtype}-{inputs['c']!r}-{inputs['max_iter']}"
    key += f"-{float(zs.real.sum())!r}-{float(zs.imag.sum())!r}"
    return cached_array(key, lambda: _iterate(zs, inputs["c"], inputs["max_iter"]))


def check(output: Any, inputs: Inputs) -> Verdict:
    """Agreement with the reference, point by point, within a stated bound.

    complex128: a scalar loop performs the same IEEE operations per iteration as the
    reference (which avoids SIMD complex arithmetic for that reason) and agrees exactly;
    the tests hold this at every preset up to 2000x2000. The escape test may differ: the
    reference (and ``numba_abs``) asks ``hypot(zr, zi) < 2``, the expanded
    loops ``zr*zr + zi*zi < 4``, rounded twice; the two can disagree only for an orbit
    that comes within a few ulp of ``|z| = 2``, and at sizes 200, 500, 1000, 2000 and
    3000 none does (0 points differ). Vectorised libraries may round a complex multiply
    differently in the last bit (NumPy's does, on AVX-512), and the chaotic orbit can turn
    that into a different count. For both reasons at most one point per million may
    differ (none below a million points). At the book's size the sum must also be the
    published checksum, exactly.
    complex64: orbits that pass within rounding of |z| = 2 may escape one iteration
    apart: up to 0.5% of points may differ.
    """
    if output is None:
        return Verdict(False, float("inf"), "no output returned")
    counts = np.asarray(output).ravel()
    expected = reference(inputs)
    if counts.shape != expected.shape:
        return Verdict(False, float("inf"), f"shape {counts.shape}, expected {expected.shape}")
    mismatched = int(np.count_nonzero(counts != expected))
    double = inputs["zs"].dtype == np.complex128
    allowed = expected.size // 1_000_000 if double else int(expected.size * 0.005)
    passed = mismatched <= allowed
    detail = f"{mismatched} of {expected.size} points differ from the reference"
    bound = "one per million" if double else "tolerance 0.5%"
    detail += f" (at most {allowed} allowed: {bound})"
    if double and zs_is_book(inputs):
        total = int(counts.sum())
        passed = passed and total == BOOK_CHECKSUM
        detail += f"; sum {total}, the book's published checksum is {BOOK_CHECKSUM}"
    return Verdict(passed, mismatched / expected.size, detail)


def zs_is_book(inputs: Inputs) -> bool:
    """True when the inputs are the book's own problem, whose checksum is published."""
    return inputs["zs"].size == BOOK_WIDTH**2 and inputs["max_iter"] == BOOK_MAX_ITER


def work(size: int, max_iter: int = BOOK_MAX_ITER) -> Work:
    """Estimated flops (from the book's mean iterations per point) and bytes of one call."""
    points = size * size
    iterations = points * min(MEAN_ITERATIONS * max_iter / BOOK_MAX_ITER, max_iter)
    return Work(flops=iterations * FLOPS_PER_ITERATION, bytes=points * (16 + 8))


def memory_bytes(size: int, dtype: str = "complex128", **params: Any) -> int:
    """Peak host bytes of one run: about 120 per point (80 measured with tracemalloc).

    The grid in its dtype (built in complex128 first), the counts, and the reference's
    float64 working arrays, which dominate.
    """
    itemsize = np.dtype(DTYPES[DTYPE_ALIASES.get(dtype, dtype)]).itemsize
    return size * size * (itemsize + 112)


KERNEL = KernelSpec(
    name="julia",
    title="Julia set",
    size_means="an n x n grid of points",
    description="escape-time iteration on a complex grid; compute-bound, uneven cost per point",
    presets={
        "S": Preset(200, {"max_iter": 300}),
        "M": Preset(500, {"max_iter": 300}),
        "L": Preset(2000, {"max_iter": 300}),
        "book": Preset(
            BOOK_WIDTH, {"max_iter": BOOK_MAX_ITER}, "the book's 1000x1000, 300 iterations"
        ),
    },
    dtypes=("complex128", "complex64"),
    dtype_aliases=DTYPE_ALIASES,
    make_inputs=make_inputs,
    reference=reference,
    check=check,
    work=work,
    memory_bytes=memory_bytes,
    variants=VARIANTS,
    package=__name__,
)

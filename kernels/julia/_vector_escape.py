"""The escape-time loop shared by NumPy and PyTorch: whole-array steps on cache-sized chunks.

One source serves both libraries (as diffusion's ``_inplace_stencil`` does): the loop
uses only ``multiply``/``add``/``less`` with ``out=``, ``+=``/``-=``, slicing and
boolean compaction, which NumPy arrays and PyTorch tensors both have.

The book's expanded math on real arrays: per step ``xx = x*x``, ``yy = y*y``, the escape
test ``xx + yy < 4`` on those squares, then ``y = 2*x*y + ci`` and ``x = xx - yy + cr``,
every operation into a buffer allocated once (no temporary), each rounding as the
reference's does. Points that escaped are not masked out at every step: once
``|z| >= 2`` the orbit grows (``|z*z + c| >= |z|**2 - |c| > |z|`` for this ``c``), then
overflows to inf and nan, and never passes the test again, so ``counts += inside`` stays
exact. Every ``COMPACT_EVERY`` steps the escaped points are dropped.

The points are taken ``chunk`` at a time, so the chunk's six arrays stay in a core's L2
cache across the ten passes of a step (64 Ki points: 0.187 s of CPU at the book's size,
against 0.19 s for 16 Ki, 0.27 s for 256 Ki, 0.41 s for the whole grid at once); on a
GPU the whole grid is one chunk.
"""

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

#: Steps between two compactions: often enough to drop most escaped points early,
#: seldom enough that compaction (and, on a GPU, the host's wait for it) stays cheap.
COMPACT_EVERY = 8


@dataclass(frozen=True)
class Library:
    """The few operations the loop needs that NumPy and PyTorch spell differently."""

    multiply: Callable[..., Any]
    add: Callable[..., Any]
    less: Callable[..., Any]
    #: 1-D indices of the true elements of a boolean array.
    where: Callable[[Any], Any]
    empty_like: Callable[[Any], Any]
    #: 0, 1, ..., len(like) - 1 and an empty boolean array as long as ``like``, on its device.
    arange: Callable[[Any], Any]
    bools: Callable[[Any], Any]
    #: A context in which overflow to inf and nan raises and warns nothing.
    quiet: Callable[[], AbstractContextManager]


def escape_counts(x, y, c: complex, max_iter: int, counts, lib: Library, chunk: int) -> None:
    """Add to ``counts`` the escape count of every point ``x + iy`` (``x``, ``y`` are
    1-D float arrays, overwritten), ``chunk`` points at a time."""
    with lib.quiet():
        for start in range(0, x.shape[0], chunk):
            end = min(start + chunk, x.shape[0])
            _iterate(x[start:end], y[start:end], c, max_iter, counts[start:end], lib)


def _iterate(x, y, c: complex, max_iter: int, counts, lib: Library) -> None:
    index = lib.arange(x)
    xx, yy, xy, size = (lib.empty_like(x) for _ in range(4))
    inside = lib.bools(x)
    block = lib.empty_like(counts)
    done = 0
    while done < max_iter:
        steps = min(COMPACT_EVERY, max_iter - done)
        block[...] = 0
        for _ in range(steps):
            lib.multiply(x, x, out=xx)
            lib.multiply(y, y, out=yy)
            lib.less(lib.add(xx, yy, out=size), 4, out=inside)
            block += inside
            # (x + iy)^2 + c as the reference forms it: (xx - yy) + i(xy + yx), where
            # xy + yx is exactly xy + xy (the two products are equal)
            lib.multiply(x, y, out=xy)
            xy += xy
            xy += c.imag
            xx -= yy
            xx += c.real
            x, xx, y, xy = xx, x, xy, y
        counts[index] += block
        done += steps
        lib.multiply(x, x, out=xx)
        lib.multiply(y, y, out=yy)
        alive = lib.where(lib.less(lib.add(xx, yy, out=size), 4, out=inside))
        if alive.shape[0] == 0:
            return
        if alive.shape[0] < x.shape[0]:
            m = alive.shape[0]
            x, y, index = x[alive], y[alive], index[alive]
            xx, yy, xy, size, inside, block = (a[:m] for a in (xx, yy, xy, size, inside, block))

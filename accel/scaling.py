"""Thread scaling: a kernel's time against its thread count, with Amdahl's law fitted.

Amdahl's law: a program whose serial part takes a share ``s`` of its one-thread time
``T1`` runs on ``p`` threads in ``T(p) = T1 (s + (1 - s) / p)``, so its speedup can
never pass ``1 / s``. Written as ``T(p) = a + b / p`` (``a = T1 s``, ``b = T1 (1 - s)``)
the law is a straight line in ``1 / p``: :func:`fit_amdahl` fits it by least squares
to the medians measured (each weighted alike), and reads off the serial fraction
``s = a / (a + b)``. With two thread counts the line passes through both points.

The fit is only as good as the cores were free: a run that was disturbed (other work
took its CPUs) makes more threads look useless; :class:`Scaling` says so.

>>> fit = fit_amdahl([(1, 1.0), (2, 0.6), (4, 0.4)])
>>> round(fit.serial_fraction, 2), round(fit.max_speedup, 1)
(0.2, 5.0)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .errors import UsageError
from .record import RunRecord


@dataclass(frozen=True)
class AmdahlFit:
    """``T(p) = one_thread_s * (serial_fraction + (1 - serial_fraction) / p)``."""

    one_thread_s: float
    serial_fraction: float

    def time(self, threads: float) -> float:
        """The time the fitted law predicts on ``threads`` threads."""
        s = self.serial_fraction
        return self.one_thread_s * (s + (1 - s) / threads)

    def speedup(self, threads: float) -> float:
        return self.one_thread_s / self.time(threads)

    @property
    def max_speedup(self) -> float:
        """1 / s: the speedup no number of threads can pass (infinite where s = 0)."""
        return float("inf") if self.serial_fraction <= 0 else 1 / self.serial_fraction


def fit_amdahl(points: Iterable[tuple[int, float]]) -> AmdahlFit:
    """Least-squares fit of ``T(p) = a + b / p`` to ``(threads, seconds)`` points.

    Where the free fit leaves [0, 1] (a superlinear speedup from caches, or a slowdown
    with threads), the best law on that bound is fitted instead (s = 0 or s = 1).
    Needs at least two distinct thread counts.

    >>> fit_amdahl([(1, 1.0), (2, 0.4)]).serial_fraction      # faster than ideal
    0.0
    >>> fit_amdahl([(1, 1.0), (2, 1.2)]).serial_fraction      # slower with threads
    1.0
    """
    pairs = sorted(points)
    xs = [1 / p for p, _ in pairs]
    ys = [t for _, t in pairs]
    if len(set(xs)) < 2:
        raise UsageError("an Amdahl fit needs times at two or more thread counts")
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    b /= sum((x - mx) ** 2 for x in xs)
    a = my - b * mx
    if a < 0:  # superlinear: the best law with s = 0, T(p) = T1 / p
        one = sum(x * y for x, y in zip(xs, ys, strict=True)) / sum(x * x for x in xs)
        return AmdahlFit(one_thread_s=one, serial_fraction=0.0)
    if b < 0:  # slower with more threads: the best law with s = 1, T(p) = T1
        return AmdahlFit(one_thread_s=my, serial_fraction=1.0)
    return AmdahlFit(one_thread_s=a + b, serial_fraction=a / (a + b))


@dataclass(frozen=True)
class Scaling:
    """One backend's runs at several thread counts and the law fitted to them."""

    backend: str
    runs: tuple[RunRecord, ...]
    fit: AmdahlFit | None

    @property
    def points(self) -> list[tuple[int, float]]:
        return [(r.threads or 1, r.median_s) for r in self.runs if r.ok and r.median_s]

    @property
    def baseline_s(self) -> float | None:
        """The time speedups are counted from: the measured median at the fewest threads
        where that is one thread, else the fitted one-thread time."""
        timed = [r for r in self.runs if r.ok and r.median_s]
        if timed and (timed[0].threads or 1) == 1:
            return timed[0].median_s
        return self.fit.one_thread_s if self.fit else None

    @property
    def disturbed(self) -> list[RunRecord]:
        return [r for r in self.runs if r.disturbed]


def parse_threads(text: str) -> list[int]:
    """``"1,2,4"`` -> [1, 2, 4]; anything but positive whole numbers is refused."""
    counts = []
    for item in (part.strip() for part in text.split(",")):
        if not item.isdigit() or int(item) < 1:
            raise UsageError(f"--threads takes positive whole numbers, e.g. 1,2,4; got {item!r}")
        counts.append(int(item))
    if len(set(counts)) < 2:
        raise UsageError("--threads needs two or more thread counts, e.g. 1,2")
    return sorted(set(counts))


def default_threads(cpus: int) -> list[int]:
    """1, 2, 4, ... up to the usable CPUs, and the CPU count itself (at least 1 and 2)."""
    counts = {1, 2, cpus}
    power = 4
    while power < cpus:
        counts.add(power)
        power *= 2
    return sorted(counts)


def scalings(records: Sequence[RunRecord]) -> list[Scaling]:
    """Records grouped by backend, in the order first seen, each with its Amdahl fit."""
    by_backend: dict[str, list[RunRecord]] = {}
    for record in records:
        by_backend.setdefault(record.label, []).append(record)
    found = []
    for backend, runs in by_backend.items():
        points = [(r.threads or 1, r.median_s) for r in runs if r.ok and r.median_s]
        fit = fit_amdahl(points) if len({p for p, _ in points}) >= 2 else None
        found.append(Scaling(backend, tuple(sorted(runs, key=lambda r: r.threads or 1)), fit))
    return found

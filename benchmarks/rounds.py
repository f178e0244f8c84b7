"""Alternating rounds of runs through accel's own runner, and the best figure of each backend.

Every run goes through accel's measurement loop (``accel.loop.measure``): a fresh
worker process, as a user's run is. The
backends of one case are run once per round, the order rotated every round (and
reversed every other full turn), so a burst of load from another process falls on
different backends in different rounds. A backend's figure is its best round (the
least median time): load only ever slows a run down, so the least median is the one
least disturbed. Ratios are taken between best rounds; the spread of the ratios
measured within single rounds is kept beside them.

>>> rotation(["a", "b"], 4)
[['a', 'b'], ['b', 'a'], ['b', 'a'], ['a', 'b']]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from accel.record import RunRecord
from accel.request import RunRequest

#: One checked request -> its record (default: accel's fresh supervised worker).
RunFunction = Callable[[RunRequest], RunRecord]


@dataclass(frozen=True)
class Case:
    """One problem: a kernel at a size with its parameters (the preset's unless given),
    and for GPU backends whether the host data is staged in pinned memory."""

    kernel: str
    size: int
    params: tuple[tuple[str, Any], ...] = ()
    pinned: bool = False

    @classmethod
    def of(cls, kernel: str, size: int, **params: Any) -> Case:
        return cls(kernel, size, tuple(sorted(params.items())))

    @property
    def label(self) -> str:
        """``julia 1000`` or ``diffusion 2048 (steps=20)``, ``, pinned`` where pinned."""
        extra = ", ".join(f"{k}={v}" for k, v in self.params)
        label = f"{self.kernel} {self.size}" + (f" ({extra})" if extra else "")
        return label + (", pinned" if self.pinned else "")

    def run_options(self) -> dict[str, Any]:
        options: dict[str, Any] = {"size": self.size}
        if self.params:
            options["params"] = dict(self.params)
        if self.pinned:
            options["pinned"] = True
        return options


def rotation(backends: Sequence[str], rounds: int) -> list[list[str]]:
    """The order of the backends in each round: rotated by one each round, and after each
    full turn of rotations the next turn reversed, so every backend takes every place and
    follows every other one equally often."""
    orders = []
    for index in range(rounds):
        shift = index % len(backends)
        order = list(backends[shift:]) + list(backends[:shift])
        orders.append(order[::-1] if (index // len(backends)) % 2 else order)
    return orders


def best(records: Sequence[RunRecord]) -> RunRecord | None:
    """The ok record with the least median time, or None when no run was ok."""
    ok = [r for r in records if r.ok and r.median_s is not None]
    return min(ok, key=lambda r: r.median_s or 0.0) if ok else None


def best_median(records: Sequence[RunRecord]) -> float | None:
    """The least median time of the ok records (seconds), or None."""
    found = best(records)
    return None if found is None else found.median_s


def failure(records: Sequence[RunRecord]) -> str:
    """Why no record is usable: the last run's status and reason."""
    if not records:
        return "not run"
    last = records[-1]
    return f"{last.backend} {last.status}: {last.reason or 'no timing'}"


def round_ratios(numerators: Sequence[RunRecord], denominators: Sequence[RunRecord]) -> list[float]:
    """Median-time ratios of the runs made in the same round (rounds where both were ok)."""
    ratios = []
    for top, bottom in zip(numerators, denominators, strict=False):
        if top.ok and bottom.ok and top.median_s and bottom.median_s:
            ratios.append(top.median_s / bottom.median_s)
    return ratios


def cpu_share(record: RunRecord) -> float | None:
    """CPU time the worker got over its timed repetitions, in cores (None if not measured)."""
    process = record.process or {}
    value = process.get("cpu_utilisation")
    return float(value) if value is not None else None


def cpu_per_call(record: RunRecord) -> float | None:
    """CPU seconds per timed repetition (all the worker's threads and children), or None."""
    process = record.process or {}
    if not record.ok or process.get("cpu_s") is None or not record.samples_s:
        return None
    return float(process["cpu_s"]) / len(record.samples_s)


def best_cpu_per_call(records: Sequence[RunRecord]) -> float | None:
    """The least CPU time per call over the rounds, or None where none was measured."""
    found = [c for c in (cpu_per_call(r) for r in records) if c is not None]
    return min(found) if found else None

"""Medians with intervals, spreads too wide to trust, and crossovers only where clear."""

from __future__ import annotations

import random

import pytest

from accel.cli.sweep_cmd import describe_crossovers
from accel.intervals import clusters, median_interval, untrusted
from accel.record import RunRecord
from accel.selection import crossovers_among
from accel.tables import compare_notes, compare_rows


def test_median_interval_is_the_published_order_statistics() -> None:
    # Conover, Practical Nonparametric Statistics: n = 20 -> (x(6), x(15)) at >= 95%
    samples = [float(v) for v in range(1, 21)]
    random.Random(1).shuffle(samples)
    interval = median_interval(samples)
    assert (interval.low, interval.high) == (6.0, 15.0)
    assert interval.confidence == pytest.approx(1 - 2 * 0.020695, abs=1e-5)
    # n = 5 cannot reach 95% with order statistics: min..max, 1 - 2/2^5
    five = median_interval([5.0, 1.0, 4.0, 2.0, 3.0])
    assert (five.low, five.median, five.high, five.confidence) == (1.0, 3.0, 5.0, 0.9375)


def test_the_interval_holds_the_true_median_about_95_times_in_100() -> None:
    rng = random.Random(7)
    hits = 0
    for _ in range(2000):  # lognormal times: true median exp(0) = 1
        interval = median_interval([rng.lognormvariate(0, 0.5) for _ in range(30)])
        hits += interval.low <= 1.0 <= interval.high
    assert 0.93 < hits / 2000 < 0.995


def test_the_issues_bimodal_numpy_samples_are_two_clusters() -> None:
    samples = [0.0055] * 6 + [0.0100] * 4 + [0.0054, 0.0101]
    low, high = clusters(samples)
    assert max(low) < 0.006 < min(high)
    assert untrusted(samples).startswith("two clusters: 7 near 5.5 ms, 5 near 10 ms")
    assert untrusted([0.0055, 0.0056, 0.0054, 0.0055, 0.0057]) is None


def _record(backend: str, size: int, samples: list[float], disturbed: str | None = None):
    return RunRecord(
        kernel="julia", backend=backend, size=size, dtype="complex128", status="ok",
        samples_s=samples, disturbed=disturbed, check={"passed": True, "detail": ""},
    )  # fmt: skip


def _spread(centre: float, width: float) -> list[float]:
    """Seven samples evenly across centre +- width: the interval is inside that range."""
    return [centre + width * (i - 3) / 3 for i in range(7)]


def _sweep(points: dict[tuple[str, int], tuple[float, float]]) -> list[RunRecord]:
    """Records of (backend, size) -> (centre, width) of their samples."""
    return [_record(b, size, _spread(*shape)) for (b, size), shape in points.items()]


def test_overlapping_intervals_declare_no_crossover() -> None:
    # a faster at 64 by 5% and b faster at 256 by 5%: medians cross, intervals overlap
    records = _sweep(
        {
            ("numpy", 64): (1.00e-3, 0.2e-3),
            ("numba_cpu", 64): (1.05e-3, 0.2e-3),
            ("numpy", 256): (16.8e-3, 3e-3),
            ("numba_cpu", 256): (16.0e-3, 3e-3),
        }
    )
    (found,) = crossovers_among(records, data_on_device=True)
    assert not found.clear
    assert found.at_low[0].high > found.at_low[1].low  # the overlap the verdict rests on
    text = describe_crossovers([found])
    assert text.startswith("no clear winner between numpy and numba_cpu near size")


def test_separated_intervals_declare_the_crossover() -> None:
    records = _sweep(
        {
            ("numpy", 64): (1.0e-3, 0.05e-3),
            ("numba_cpu", 64): (2.0e-3, 0.05e-3),
            ("numpy", 256): (32e-3, 1e-3),
            ("numba_cpu", 256): (16e-3, 1e-3),
        }
    )
    (found,) = crossovers_among(records, data_on_device=True)
    assert found.clear and (found.below, found.above) == ("numpy", "numba_cpu")
    # numpy grows as n^2.5 from 1 ms, numba_cpu as n^1.5 from 2 ms: equal where
    # (n/64)^(2.5-1.5) = 2, n = 128
    assert found.size == pytest.approx(128, rel=1e-6)
    assert describe_crossovers([found]) == "numpy -> numba_cpu near size 128 (between 64 and 256)"


def test_tables_mark_disturbed_and_spread_rows() -> None:
    records = [
        _record("numpy", 64, _spread(1e-3, 0.01e-3), disturbed="got 0.41 of the 2.00 cores"),
        _record("python", 64, [0.0055] * 6 + [0.0100] * 4),
        _record("numba_cpu", 64, _spread(2e-3, 0.01e-3)),
    ]
    headers, rows = compare_rows(records)
    trust = {row[0]: row[headers.index("trust")] for row in rows}
    assert trust == {"numpy": "disturbed", "python": "two clusters", "numba_cpu": "clean"}
    median = {row[0]: row[headers.index("median")] for row in rows}
    assert median["numba_cpu"] == "2 ms ± 10 us"  # order statistics of 7: x(1)..x(7)
    notes = compare_notes(records)
    assert sum(note.startswith("re-run:") for note in notes) == 1
    assert "trust: numpy at size 64: disturbed: got 0.41 of the 2.00 cores" in notes

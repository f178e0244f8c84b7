"""Figures honest at slide size: shares on a linear axis, speedups, intervals, labels apart."""

from __future__ import annotations

import pytest

from accel.evidence import Machine
from accel.plots.compare_plot import bars, draw_comparison
from accel.plots.sweep_plot import draw_sweep, size_label
from accel.record import RunRecord, Transfer


def _record(backend: str, size: int, samples: list[float], **fields) -> RunRecord:
    return RunRecord(
        kernel="julia", backend=backend, size=size, dtype="complex128", status="ok",
        samples_s=samples, check={"passed": True, "error": 0.0, "detail": ""}, **fields,
    )  # fmt: skip


def _patches(fig, prefix: str) -> dict[str, float]:
    """gid -> width of every bar whose gid starts with ``prefix``."""
    from matplotlib.patches import Rectangle

    return {
        p.get_gid(): p.get_width()
        for p in fig.findobj(Rectangle)
        if (p.get_gid() or "").startswith(prefix)
    }


def test_where_the_time_goes_is_shares_of_100_on_a_linear_axis(tmp_path) -> None:
    # PyPy-like: 52 ms compute, 15 ms shipping (12 in, 3 out) -> 22% moving data
    records = [
        _record("pypy", 256, [0.052] * 5, transfer=Transfer(0.012, 1, 0.003, 1)),
        _record("python", 256, [0.292] * 5),
    ]
    fig = draw_comparison(records, Machine("0123456789ab", None), tmp_path / "c.svg")
    shares = _patches(fig, "bar-pypy-")
    total = 0.052 + 0.015
    assert shares["bar-pypy-h2d"] == pytest.approx(100 * 0.012 / total)
    assert shares["bar-pypy-compute"] == pytest.approx(100 * 0.052 / total)
    assert shares["bar-pypy-d2h"] == pytest.approx(100 * 0.003 / total)
    share_axis = next(ax for ax in fig.axes if "share" in ax.get_xlabel())
    assert share_axis.get_xscale() == "linear" and share_axis.get_xlim() == (0, 100)
    speed_axis = next(ax for ax in fig.axes if "speedup" in ax.get_xlabel())
    assert speed_axis.get_xscale() == "linear"
    assert _patches(fig, "speedup-pypy")["speedup-pypy"] == pytest.approx(0.292 / total)


def test_speedup_ranges_come_from_both_intervals() -> None:
    python = _record("python", 64, [1.0, 1.1, 1.2, 1.3, 1.4])
    numpy = _record("numpy", 64, [0.10, 0.11, 0.12, 0.13, 0.14])
    by_name = {bar.backend: bar for bar in bars([python, numpy])}
    # five samples: the interval is min..max
    assert by_name["numpy"].speedup_low == pytest.approx(1.0 / 0.14)
    assert by_name["numpy"].speedup_high == pytest.approx(1.4 / 0.10)
    assert (by_name["numpy"].low, by_name["numpy"].high) == (0.10, 0.14)


def test_crossover_labels_never_overlap_and_the_axis_says_what_size_is(tmp_path) -> None:
    # three backends changing places twice between close sizes: labels would collide
    times = {"numpy": (1e-3, 8e-3, 64e-3), "numba_cpu": (2e-3, 6e-3, 80e-3),
             "c_native": (3e-3, 9e-3, 40e-3)}  # fmt: skip
    records = [
        _record(b, size, [t * 0.99, t, t * 1.01, t, t])
        for b, ts in times.items()
        for size, t in zip((64, 72, 80), ts, strict=True)
    ]
    fig = draw_sweep(records, Machine("0123456789ab", None), tmp_path / "s.png")
    renderer = fig.canvas.get_renderer()
    labels = [t for t in fig.texts + fig.axes[0].texts if (t.get_gid() or "").startswith("label-")]
    assert len(labels) >= 2
    boxes = [t.get_window_extent(renderer) for t in labels]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not a.overlaps(b)
    assert fig.axes[0].get_xlabel() == size_label("julia")
    assert "n x n grid" in size_label("julia")

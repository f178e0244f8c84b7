"""The sweep figure: time (or throughput) against size per backend, crossovers marked.

One solid line per backend for the median kernel time; where data moves to a device,
a thin dotted line of the same colour for end to end (transfers counted). A vertical
line marks each size where the fastest backend changes, as :mod:`accel.selection`
estimates it (where the two backends' log-log lines cross): solid for kernel time,
dotted with transfers counted. Where a crossing cannot be estimated (one backend was
not measured at both ends), the interval between the two sizes is shaded instead.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from ..errors import UsageError
from ..evidence import Machine, work_of
from ..record import RunRecord
from ..selection import Crossover, crossovers_among
from . import style

#: The two ways a crossover is counted: data on the device?, line style, its name, words.
CROSSINGS: tuple[tuple[bool, str, str, str], ...] = (
    (True, "-", "solid vertical", "kernel time"),
    (False, ":", "dotted vertical", "with transfers"),
)


def _value(record: RunRecord, end_to_end: bool, throughput: bool) -> float | None:
    """Seconds per call, or GFLOP/s, of one record; None where it has no timing."""
    time = record.end_to_end_s if end_to_end else record.median_s
    if not record.ok or not time:
        return None
    if not throughput:
        return time
    work = work_of(record)
    return work.flops / time / 1e9 if work else None


def series(
    records: Sequence[RunRecord], *, end_to_end: bool = False, throughput: bool = False
) -> dict[str, list[tuple[int, float]]]:
    """Backend -> [(size, value)] in size order: what the figure draws as lines."""
    found: dict[str, list[tuple[int, float]]] = {}
    for record in sorted(records, key=lambda r: r.size):
        value = _value(record, end_to_end, throughput)
        if value is not None:
            found.setdefault(record.label, []).append((record.size, value))
    return found


def describe(crossing: Crossover) -> str:
    """``numpy → numba_cpu ≈ 181`` (or ``between 128 and 256`` where no estimate exists)."""
    where = (
        f"≈ {crossing.size:,.0f}"
        if crossing.size
        else f"between {crossing.low} and {crossing.high}"
    )
    if not crossing.clear:
        return f"no clear winner between {crossing.below} and {crossing.above} {where}"
    return f"{crossing.below} → {crossing.above} {where}"


def intervals(
    records: Sequence[RunRecord], *, end_to_end: bool = False, throughput: bool = False
) -> dict[str, list[tuple[int, float, float]]]:
    """Backend -> [(size, low, high)]: the 95% interval of each plotted value."""
    found: dict[str, list[tuple[int, float, float]]] = {}
    for record in sorted(records, key=lambda r: r.size):
        interval = record.interval(end_to_end) if record.ok else None
        if interval is None or not interval.low:
            continue
        low, high = interval.low, interval.high
        if throughput:
            work = work_of(record)
            if not work:
                continue
            low, high = work.flops / high / 1e9, work.flops / low / 1e9
        found.setdefault(record.label, []).append((record.size, low, high))
    return found


def draw_sweep(
    records: Sequence[RunRecord],
    machine: Machine,
    path: str | os.PathLike[str] | None = None,
    *,
    throughput: bool = False,
) -> Any:
    """The sweep figure of ``records`` (one kernel, several sizes), a matplotlib Figure;
    saved to ``path`` where one is given."""
    lines = series(records, throughput=throughput)
    if not lines:
        raise UsageError("nothing to draw: no run of the sweep finished ok")
    moved = {r.label for r in records if r.ok and r.transfer is not None}
    with_transfers = {
        b: points
        for b, points in series(records, end_to_end=True, throughput=throughput).items()
        if b in moved
    }
    first = records[0]
    with style.figure(14, 8.5) as (fig, ax):
        for backend, points in lines.items():
            look = style.backend_style(backend)
            ax.plot(
                *zip(*points, strict=True),
                color=look.colour,
                marker=look.marker,
                linestyle=look.linestyle,
                label=backend,
                gid=f"line-{backend}-kernel",
                markeredgecolor=style.INK,
            )
        for backend, spans in intervals(records, throughput=throughput).items():
            centre = dict(lines[backend])
            sizes_, lows, highs = zip(*spans, strict=True)
            mids = [centre[size] for size in sizes_]
            ax.errorbar(
                sizes_,
                mids,
                yerr=[[m - lo for m, lo in zip(mids, lows, strict=True)],
                      [hi - m for m, hi in zip(mids, highs, strict=True)]],
                fmt="none",
                ecolor=style.backend_style(backend).colour,
                elinewidth=2,
                capsize=5,
                gid=f"interval-{backend}",
            )  # fmt: skip
        untrusted = [r for r in records if r.ok and r.trust and _value(r, False, throughput)]
        if untrusted:
            ax.scatter(
                [r.size for r in untrusted],
                [_value(r, False, throughput) for r in untrusted],
                s=400,
                facecolors="none",
                edgecolors=style.INK,
                linewidths=2,
                linestyle=":",
                label="disturbed or too spread",
                gid="untrusted",
                zorder=5,
            )
        for backend, points in with_transfers.items():
            look = style.backend_style(backend)
            ax.plot(
                *zip(*points, strict=True),
                color=look.colour,
                linestyle=":",
                linewidth=2,
                label=f"{backend}, with transfers",
                gid=f"line-{backend}-end_to_end",
            )
        marks = _mark_crossovers(ax, records)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        sizes = sorted({r.size for r in records})
        ax.set_xticks(sizes, [f"{s:,}" for s in sizes])
        ax.minorticks_off()
        ax.set_xlabel(size_label(first.kernel))
        ax.set_ylabel(
            "GFLOP/s (work ÷ time; higher is better)"
            if throughput
            else "seconds per call (median; lower is better)"
        )
        ax.set_title(f"{first.kernel} sweep, {first.dtype}: where the fastest backend changes")
        fig.legend(loc="outside right upper", frameon=False)
        return style.finish(fig, path, [*marks, machine.footer(records)])


def size_label(kernel: str) -> str:
    """``size n (julia: an n x n grid of points)``: what the sweep's axis counts."""
    from ..kernels import UnknownKernelError, get_kernel

    try:
        means = get_kernel(kernel).size_means
    except UnknownKernelError:
        means = ""
    return f"size n ({kernel}: {means}; log scale)" if means else f"size ({kernel}; log scale)"


def _mark_crossovers(ax, records: Sequence[RunRecord]) -> list[str]:
    """Draw every crossover (both ways of counting); return one note line per way.

    A clear crossover is a vertical line at the estimated size; one whose intervals
    overlap is a shaded band between the two sizes, labelled "no clear winner". Each
    label gets its own row under the top of the axes, so no two labels overlap.
    """
    notes = []
    row = 0
    for on_device, linestyle, line_name, words in CROSSINGS:
        found = crossovers_among(records, data_on_device=on_device)
        if not on_device and not any(r.transfer for r in records):
            continue  # nothing moves: the same crossings as kernel time
        for index, crossing in enumerate(found):
            gid = f"crossover-{'kernel' if on_device else 'end_to_end'}-{index}"
            suffix = "" if on_device else ", with transfers"
            if crossing.size and crossing.clear:
                ax.axvline(crossing.size, color=style.GUIDE, linestyle=linestyle, lw=2, gid=gid)
                where, text = crossing.size, f"→ {crossing.above}{suffix}"
            else:
                ax.axvspan(crossing.low, crossing.high, color=style.GUIDE, alpha=0.12, gid=gid)
                where = crossing.low
                text = f"no clear winner: {crossing.below} / {crossing.above}{suffix}"
            ax.annotate(
                text,
                (where, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(4, -4 - 22 * row),
                textcoords="offset points",
                va="top",
                fontsize=style.SMALL_FONT_PT,
                color=style.GUIDE,
                gid=f"label-{gid}",
            )
            row += 1
        summary = (
            "; ".join(describe(c) for c in found) or "none: one backend is fastest at every size"
        )
        notes.append(f"crossovers, {words} ({line_name} lines): {summary}")
    return notes

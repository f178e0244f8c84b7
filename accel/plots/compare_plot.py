"""The comparison figure: three panels that each tell one truth at slide size.

1. **Time of one call** (log axis): per backend, the end-to-end median (transfers +
   median call, what every call from host data pays) as a solid bar with its 95%
   interval as an error bar, and the first call's extra (compile/JIT, first-touch
   page faults) as a pale cross-hatched tail. A log axis shows ratios; it is never
   asked to show how a call's time divides.
2. **Where the time of one call goes** (linear, 0-100%): host -> device, compute,
   device -> host as shares of the end-to-end time, so 15 ms of shipping beside 52 ms
   of compute looks like the 22% it is.
3. **Speedup against CPython** (linear axis, 1x = CPython): CPython's end-to-end time
   over the backend's, with the range the two intervals allow.

A disturbed run or one too spread to trust is hatched and says so beside its bar.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..evidence import Machine
from ..record import RunRecord
from ..units import factor, seconds
from . import style

#: Segments in drawing order: key, legend text, hatch, fill opacity.
SEGMENTS: tuple[tuple[str, str, str, float], ...] = (
    ("h2d", "host → device (transfer)", "//", 0.55),
    ("compute", "compute (median call)", "", 1.0),
    ("d2h", "device → host (transfer)", "\\\\", 0.55),
    ("compile", "compile/JIT (first call − median)", "xx", 0.25),
)
#: The segments of one steady call, as shares of its end-to-end time.
SHARES = SEGMENTS[:3]


@dataclass(frozen=True)
class Bar:
    """One backend's bar: its segments in seconds and its speedup against CPython."""

    backend: str
    h2d: float
    compute: float
    d2h: float
    compile: float
    speedup: float | None
    #: The end-to-end time's 95% interval.
    low: float = 0.0
    high: float = 0.0
    #: The speedup's range: CPython's interval over this backend's.
    speedup_low: float | None = None
    speedup_high: float | None = None
    #: Why the bar should not be taught from (disturbed, too spread), or None.
    trust: str | None = None

    @property
    def end_to_end(self) -> float:
        """What every call from host data pays: transfers plus the median call."""
        return self.h2d + self.compute + self.d2h

    @property
    def first_call(self) -> float:
        return self.end_to_end + self.compile


def bars(records: Sequence[RunRecord]) -> list[Bar]:
    """A bar for every record with timings, fastest end to end first."""
    timed = [r for r in records if r.ok and r.median_s is not None]
    python = next((r for r in timed if r.label == "python"), None)
    base = python.interval(end_to_end=True) if python else None
    found = []
    for r in sorted(timed, key=lambda r: r.end_to_end_s):
        moved = r.transfer
        own = r.interval(end_to_end=True)
        found.append(
            Bar(
                backend=r.label,
                h2d=moved.h2d_s if moved else 0.0,
                compute=r.median_s,
                d2h=moved.d2h_s if moved else 0.0,
                compile=max((r.first_call_s or 0.0) - r.median_s, 0.0),
                speedup=base.median / own.median if base and own.median else None,
                low=own.low,
                high=own.high,
                speedup_low=base.low / own.high if base and own.high else None,
                speedup_high=base.high / own.low if base and own.low else None,
                trust=r.trust,
            )
        )
    return found


def not_drawn(records: Sequence[RunRecord]) -> str:
    """``not drawn: cupy, torch_cuda: unavailable (no GPU); pypy: failed`` for runs without bars."""
    reasons: dict[str, list[str]] = {}
    for r in records:
        if not (r.ok and r.median_s is not None):
            why = r.status + (f" ({r.reason})" if r.reason else "")
            reasons.setdefault(why, []).append(r.label)
    if not reasons:
        return ""
    return "not drawn: " + "; ".join(f"{', '.join(b)}: {why}" for why, b in reasons.items())


def draw_comparison(
    records: Sequence[RunRecord], machine: Machine, path: str | os.PathLike[str] | None = None
) -> Any:
    """The comparison figure of ``records`` (one kernel, one size), a matplotlib Figure;
    saved to ``path`` where one is given."""
    drawn = bars(records)
    if not drawn:
        from ..errors import UsageError

        raise UsageError(f"nothing to draw: no run finished ok ({not_drawn(records)})")
    first = records[0]
    height = 3.6 + 0.8 * len(drawn)
    ratios = {"width_ratios": [1.5, 1.0, 1.0]}
    with style.figure(20, height, ncols=3, sharey=True, gridspec_kw=ratios) as (fig, axes):
        times, shares, speedups = axes
        positions = list(range(len(drawn)))[::-1]  # fastest at the top
        for bar, y in zip(drawn, positions, strict=True):
            _time_bar(times, bar, y)
            _share_bar(shares, bar, y)
            _speedup_bar(speedups, bar, y)
        smallest = min(bar.low or bar.end_to_end for bar in drawn)
        largest = max(max(bar.first_call, bar.high) for bar in drawn)
        times.set_xscale("log")
        times.set_xlim(smallest / 3, largest * 30)  # room on the right for the labels
        times.set_yticks(positions, [bar.backend for bar in drawn])
        times.set_xlabel("seconds per call (log scale)")
        times.set_title("time of one call", loc="left")
        shares.set_xlim(0, 100)
        shares.set_xlabel("share of one call's time (%, linear)")
        shares.set_title("where the time goes", loc="left")
        top = max((bar.speedup_high or bar.speedup or 1.0) for bar in drawn)
        speedups.set_xlim(0, top * 1.45)
        speedups.axvline(1.0, color=style.GUIDE, linewidth=1.5)
        speedups.set_xlabel("speedup vs CPython (×, linear; 1 = CPython)")
        speedups.set_title("speedup", loc="left")
        for ax in axes:
            ax.grid(axis="y", visible=False)
        _legend(
            fig,
            f"{first.kernel}, size {first.size}, {first.dtype}: one call from host data, "
            "first call of a fresh process",
        )
        notes = [
            "end to end = transfers + median call: what every call pays, and what the speedup "
            "compares; error bars: 95% interval of the median; the pale cross-hatched tail "
            "is the first call's extra (compile/JIT)",
            *(f"{bar.backend}: {bar.trust}" for bar in drawn if bar.trust),
            not_drawn(records),
            machine.footer(records),
        ]
        return style.finish(fig, path, notes)


def _flag(bar: Bar) -> str:
    """`` · disturbed`` / `` · two clusters``: what the bar's label warns of."""
    if not bar.trust:
        return ""
    return " · disturbed" if bar.trust.startswith("disturbed") else " · spread"


def _error_bar(ax: Any, y: int, centre: float, low: float, high: float, gid: str) -> None:
    """A horizontal error bar from ``low`` to ``high`` through ``centre``."""
    ax.errorbar(centre, y, xerr=[[centre - low], [high - centre]], fmt="none",
                ecolor=style.INK, elinewidth=2, capsize=6, gid=gid)  # fmt: skip


def _time_bar(ax: Any, bar: Bar, y: int) -> None:
    colour = style.backend_style(bar.backend).colour
    look = {"edgecolor": style.INK, "linewidth": 1.0, "height": 0.7}
    ax.barh(y, bar.end_to_end, color=colour, hatch="//" if bar.trust else None,
            gid=f"bar-{bar.backend}-end_to_end", **look)  # fmt: skip
    if bar.compile > 0:
        ax.barh(y, bar.compile, left=bar.end_to_end, color=colour, alpha=0.25, hatch="xx",
                gid=f"bar-{bar.backend}-compile", **look)  # fmt: skip
    if bar.high > bar.low:
        _error_bar(ax, y, bar.end_to_end, bar.low, bar.high, f"interval-{bar.backend}")
    ax.annotate(
        seconds(bar.end_to_end) + _flag(bar),
        (max(bar.first_call, bar.high), y),
        xytext=(8, 0),
        textcoords="offset points",
        va="center",
        fontsize=style.SMALL_FONT_PT,
    )


def _share_bar(ax: Any, bar: Bar, y: int) -> None:
    colour = style.backend_style(bar.backend).colour
    left = 0.0
    for key, _, hatch, alpha in SHARES:
        width = 100 * getattr(bar, key) / bar.end_to_end if bar.end_to_end else 0.0
        if width <= 0:
            continue
        ax.barh(y, width, left=left, height=0.7, color=colour, alpha=alpha,
                hatch=hatch or None, edgecolor=style.INK, linewidth=1.0,
                gid=f"bar-{bar.backend}-{key}")  # fmt: skip
        left += width
    moved = bar.h2d + bar.d2h
    if moved > 0:
        ax.annotate(
            f"{100 * moved / bar.end_to_end:.0f}% moving data",
            (50, y),
            ha="center",
            va="center",
            fontsize=style.SMALL_FONT_PT,
            bbox={"boxstyle": "round", "facecolor": "white", "alpha": 0.85, "linewidth": 0},
        )


def _speedup_bar(ax: Any, bar: Bar, y: int) -> None:
    if bar.speedup is None:
        return
    colour = style.backend_style(bar.backend).colour
    ax.barh(y, bar.speedup, height=0.7, color=colour, edgecolor=style.INK, linewidth=1.0,
            hatch="//" if bar.trust else None, gid=f"speedup-{bar.backend}")  # fmt: skip
    if bar.speedup_low is not None and bar.speedup_high is not None and bar.backend != "python":
        _error_bar(ax, y, bar.speedup, bar.speedup_low, bar.speedup_high, f"range-{bar.backend}")
    label = "CPython" if bar.backend == "python" else factor(bar.speedup)
    ax.annotate(
        label,
        (max(bar.speedup, bar.speedup_high or 0.0), y),
        xytext=(8, 0),
        textcoords="offset points",
        va="center",
        fontsize=style.SMALL_FONT_PT,
    )


def _legend(fig: Any, title: str) -> None:
    """The segments' key under the figure's title (one block: they never overlap)."""
    from matplotlib.patches import Patch

    handles = [
        Patch(
            facecolor=style.GUIDE,
            alpha=alpha,
            hatch=hatch or None,
            edgecolor=style.INK,
            label=label,
        )
        for _, label, hatch, alpha in SEGMENTS
    ]
    fig.legend(
        handles=handles,
        loc="outside upper center",
        ncols=4,
        frameon=False,
        title=title,
        title_fontproperties={"size": style.BASE_FONT_PT + 2},
    )

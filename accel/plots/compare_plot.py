"""The comparison figure: one bar per backend, split into what one call from host data costs.

Each bar is the first call of a fresh process, from host data, in its order of events:

- host -> device: the record's transfer time (none for in-process CPU backends);
- compute: the median timed call (the steady state);
- device -> host: the transfer back;
- compile/JIT: the first call minus the median call, what the first call costs beyond
  a steady one (compilation, JIT warm-up, first-touch page faults), hatched and pale.

The solid part (transfers + compute) is the end-to-end time every later call pays, the
figure ``accel compare`` ranks by; the speedup printed on the bar is that time against
CPython's. The time axis is logarithmic, so each segment's length is the ratio of the
cumulative times at its ends; the numbers on the bars carry the exact values.
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


@dataclass(frozen=True)
class Bar:
    """One backend's bar: its segments in seconds and its speedup against CPython."""

    backend: str
    h2d: float
    compute: float
    d2h: float
    compile: float
    speedup: float | None

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
    baseline = next((r.end_to_end_s for r in timed if r.backend == "python"), None)
    found = []
    for r in sorted(timed, key=lambda r: r.end_to_end_s):
        moved = r.transfer
        found.append(
            Bar(
                backend=r.backend,
                h2d=moved.h2d_s if moved else 0.0,
                compute=r.median_s,
                d2h=moved.d2h_s if moved else 0.0,
                compile=max((r.first_call_s or 0.0) - r.median_s, 0.0),
                speedup=baseline / r.end_to_end_s if baseline and r.end_to_end_s else None,
            )
        )
    return found


def not_drawn(records: Sequence[RunRecord]) -> str:
    """``not drawn: cupy, torch_cuda: unavailable (no GPU); pypy: failed`` for runs without bars."""
    reasons: dict[str, list[str]] = {}
    for r in records:
        if not (r.ok and r.median_s is not None):
            why = r.status + (f" ({r.reason})" if r.reason else "")
            reasons.setdefault(why, []).append(r.backend)
    if not reasons:
        return ""
    return "not drawn: " + "; ".join(f"{', '.join(b)}: {why}" for why, b in reasons.items())


def bar_label(bar: Bar) -> str:
    """``30.3× vs CPython · 8.03 ms`` (or the time alone where CPython did not run)."""
    if bar.speedup is None:
        return seconds(bar.end_to_end)
    if bar.backend == "python":
        return f"CPython, the baseline · {seconds(bar.end_to_end)}"
    return f"{factor(bar.speedup)} vs CPython · {seconds(bar.end_to_end)}"


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
    height = 3.2 + 0.75 * len(drawn)
    with style.figure(14, height) as (fig, ax):
        positions = range(len(drawn))[::-1]  # fastest at the top
        for bar, y in zip(drawn, positions, strict=True):
            colour = style.backend_style(bar.backend).colour
            left = 0.0
            for key, _, hatch, alpha in SEGMENTS:
                width = getattr(bar, key)
                if width <= 0:
                    continue
                ax.barh(
                    y,
                    width,
                    left=left,
                    height=0.7,
                    color=colour,
                    alpha=alpha,
                    hatch=hatch or None,
                    edgecolor=style.INK,
                    linewidth=1.0,
                    gid=f"bar-{bar.backend}-{key}",
                )
                left += width
            ax.annotate(
                bar_label(bar),
                (bar.first_call, y),
                xytext=(8, 0),
                textcoords="offset points",
                va="center",
                fontsize=style.SMALL_FONT_PT,
            )
        ax.set_xscale("log")
        smallest = min(
            getattr(bar, key) for bar in drawn for key, *_ in SEGMENTS if getattr(bar, key) > 0
        )
        largest = max(bar.first_call for bar in drawn)
        ax.set_xlim(smallest / 3, largest * 40)  # room on the right for the labels
        ax.set_yticks(list(positions), [bar.backend for bar in drawn])
        ax.grid(axis="y", visible=False)
        ax.set_xlabel("seconds (log scale)")
        ax.set_title(
            f"{first.kernel}, size {first.size}, {first.dtype}: one call from host data, "
            "first call of a fresh process"
        )
        _legend(fig)
        notes = [
            "end to end = transfers + median call: what every call pays, and what the speedup "
            "compares; the pale cross-hatched tail is the first call's extra (compile/JIT)",
            not_drawn(records),
            machine.footer(records),
        ]
        return style.finish(fig, path, notes)


def _legend(fig) -> None:
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
    fig.legend(handles=handles, loc="outside upper center", ncols=2, frameon=False)

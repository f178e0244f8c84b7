"""The counters figure: time, cache misses and IPC (or L1 misses) per backend, side by side.

The book's ``perf stat`` lesson as a picture: the fastest backend usually misses the
cache least and retires the most instructions per cycle. Counts are per timed call,
from the timed repetitions only, from perf or from valgrind's cache simulator (which
has no cycles: its third panel is L1 data misses); the title names the source, and
where runs of one figure were counted by different sources, the bars of the other
source are not drawn but named. Where perf could not count an event (a virtual
machine without a virtual PMU reads ``<not supported>``), its panel says so in words
instead of drawing zeros; a backend without a count in a panel is marked ``n/a``.
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable, Sequence
from typing import Any

from ..errors import UsageError
from ..evidence import Machine
from ..record import RunRecord
from ..tables import counter_source, counter_sources
from . import style


def _event_per_call(event: str) -> Callable[[RunRecord], float | None]:
    def value(record: RunRecord) -> float | None:
        entry = (record.counters or {}).get("events", {}).get(event) or {}
        return entry.get("per_call") if entry.get("status") == "counted" else None

    return value


def _ipc(record: RunRecord) -> float | None:
    return (record.counters or {}).get("ipc")


def _l1d_misses(record: RunRecord) -> float | None:
    loads = _event_per_call("L1-dcache-load-misses")(record)
    stores = _event_per_call("L1-dcache-store-misses")(record)
    return None if loads is None else loads + (stores or 0.0)


#: Panels: key, title, value per record, the events it needs, log scale?
PANELS: tuple[tuple[str, str, Callable[[RunRecord], float | None], tuple[str, ...], bool], ...] = (
    ("time", "median time per call (s)", lambda r: r.median_s, (), True),
    (
        "cache_misses",
        "cache misses per call",
        _event_per_call("cache-misses"),
        ("cache-misses",),
        True,
    ),
    ("ipc", "instructions per cycle", _ipc, ("instructions", "cycles"), False),
)
#: The simulator's third panel (it has no cycles, so no IPC).
L1D_PANEL = (
    "l1d_misses",
    "L1 data misses per call",
    _l1d_misses,
    ("L1-dcache-load-misses",),
    True,
)


def missing_reason(records: Sequence[RunRecord], events: Sequence[str]) -> str:
    """Why no record counted ``events``: perf's verdict per event, or why nothing was counted."""
    verdicts: dict[str, str] = {}
    for r in records:
        for event in events:
            entry = (r.counters or {}).get("events", {}).get(event)
            if entry and entry.get("status") != "counted":
                verdicts.setdefault(event, entry["status"])
    if verdicts:
        said = ", ".join(f"{event}: {status}" for event, status in verdicts.items())
        if "not supported" in verdicts.values():
            said += (
                " (perf reports <not supported>: no hardware counters here, "
                "as in a VM without a virtual PMU)"
            )
        return f"not counted on this machine: {said}"
    reasons = dict.fromkeys(r.counters_reason for r in records if r.counters_reason)
    if reasons:
        return "not counted: " + "; ".join(reasons)
    return "not counted: the runs were measured without counters (accel counters counts them)"


def draw_counters(
    records: Sequence[RunRecord], machine: Machine, path: str | os.PathLike[str] | None = None
) -> Any:
    """The counters figure of ``records`` (one kernel, one size), a matplotlib Figure;
    saved to ``path`` where one is given."""
    timed = sorted((r for r in records if r.ok and r.median_s), key=lambda r: r.median_s)
    if not timed:
        raise UsageError("nothing to draw: no run finished ok")
    first = timed[0]
    positions = list(range(len(timed)))[::-1]  # fastest at the top
    sources = counter_sources(timed)
    main = max(sources, key=lambda label: len(sources[label]), default=None)
    simulated = main is not None and main.startswith("simulated")
    panels = (*PANELS[:2], L1D_PANEL) if simulated else PANELS
    with style.figure(16, 2.8 + 0.7 * len(timed), ncols=len(panels), sharey=True) as (fig, axes):
        for ax, (key, title, value, events, log) in zip(axes, panels, strict=True):
            values = [value(r) for r in timed]
            ax.set_title(title, fontsize=style.BASE_FONT_PT)
            ax.set_yticks(positions, [r.label for r in timed])
            ax.grid(axis="y", visible=False)
            if all(v is None for v in values):
                _say_missing(ax, key, missing_reason(timed, events))
                continue
            for r, v, y in zip(timed, values, positions, strict=True):
                other = key != "time" and counter_source(r) not in (None, main)
                if v is None or other:
                    said = f"{counter_source(r)}: not comparable" if other else "n/a"
                    ax.text(0.02, y, said, transform=ax.get_yaxis_transform(), va="center")
                    continue
                ax.barh(
                    y,
                    v,
                    height=0.7,
                    color=style.backend_style(r.backend).colour,
                    edgecolor=style.INK,
                    gid=f"bar-{r.label}-{key}",
                )
            if log:
                ax.set_xscale("log")
        source = main or "perf stat"
        if len(sources) > 1:
            source += "; other sources named, not drawn"
        fig.suptitle(
            f"{first.kernel}, size {first.size}, {first.dtype}: counters over the timed "
            f"calls only ({source}), fastest at the top"
        )
        return style.finish(fig, path, [machine.footer(records)])


def _say_missing(ax, key: str, reason: str) -> None:
    """An empty panel that says why it is empty."""
    ax.set_xticks([])
    ax.text(
        0.5,
        0.5,
        "\n".join(textwrap.wrap(reason, 34)),
        transform=ax.transAxes,
        ha="center",
        va="center",
        fontsize=style.SMALL_FONT_PT,
        color=style.GUIDE,
        gid=f"missing-{key}",
    )

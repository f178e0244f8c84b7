"""Machines side by side: one kernel's time per call on each backend of each machine.

The lecture's CPU-vs-GPU question across machines (a laptop, a workstation, a GPU
server): one group of bars per machine, a bar per backend in its fixed colour, on a
log axis labelled as such, with each bar's time written at its end. Runs that did not
finish are listed in the footer, never drawn as zero.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from ..errors import UsageError
from ..evidence import Machine
from ..record import RunRecord
from ..units import seconds
from . import style


def draw_machines(
    records: Sequence[RunRecord],
    machines: Sequence[Machine],
    path: str | os.PathLike[str] | None = None,
    *,
    resident: bool = False,
) -> Any:
    """The side-by-side figure (a matplotlib Figure), saved to ``path`` where given.

    Times are end to end per call (kernel and transfers) unless ``resident``.
    """

    def ranked(record: RunRecord) -> float | None:
        return record.median_s if resident else record.end_to_end_s

    backends = list(dict.fromkeys(r.label for r in records))
    drawn = [r for r in records if r.ok and ranked(r)]
    if not drawn:
        raise UsageError("nothing to draw: no run finished ok on any machine")
    first = records[0]
    width = 1.0 / (len(backends) + 1)
    with style.figure(16, 3.0 + 1.1 * len(machines)) as (fig, axes):
        names = []
        for row, machine in enumerate(reversed(machines)):
            names.append(machine.short_name)
            for column, backend in enumerate(backends):
                found = [
                    r for r in drawn if r.machine == machine.fingerprint and r.label == backend
                ]
                if not found:
                    continue
                value = ranked(found[0])
                y = row + (column - (len(backends) - 1) / 2) * width
                look = style.backend_style(backend)
                axes.barh(y, value, height=width * 0.9, color=look.colour, label=backend)
                axes.text(
                    value * 1.08, y, seconds(value), va="center", fontsize=style.SMALL_FONT_PT
                )
        axes.set_xscale("log")
        low = min(ranked(r) for r in drawn)
        high = max(ranked(r) for r in drawn)
        axes.set_xlim(low / 2, high * 8)  # room for the labels
        axes.set_yticks(range(len(names)), names)
        what = "kernel only, data on the device" if resident else "end to end: kernel + transfers"
        axes.set_xlabel(f"seconds per call ({what}; log scale)")
        axes.set_title(
            f"{first.kernel}, size {first.size}, {first.dtype}: machines side by side", loc="left"
        )
        handles, labels = axes.get_legend_handles_labels()
        unique = dict(zip(labels, handles, strict=True))
        axes.legend(unique.values(), unique.keys(), loc="lower right", fontsize=style.SMALL_FONT_PT)
        missing = [
            f"{r.label} on {_name(machines, r.machine)}: {r.status}"
            for r in records
            if r not in drawn
        ]
        notes = [f"{m.short_name}: {m.name}, fingerprint {m.fingerprint}" for m in machines]
        if missing:
            notes.append("not drawn: " + "; ".join(missing))
        return style.finish(fig, path, notes)


def _name(machines: Sequence[Machine], fingerprint: str) -> str:
    return next((m.short_name for m in machines if m.fingerprint == fingerprint), fingerprint)

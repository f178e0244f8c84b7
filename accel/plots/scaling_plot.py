"""The thread-scaling figure: speedup over one thread against threads, Amdahl's law fitted.

Linear axes, as the book draws it: measured speedups (with the range their intervals
allow) as points, the fitted law ``1 / (s + (1 - s) / p)`` as a line with its serial
fraction in the legend, and the ideal ``speedup = p`` as a grey diagonal. A disturbed
run is ringed: fewer free cores than threads makes more threads look useless.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from ..errors import UsageError
from ..evidence import Machine
from ..scaling import Scaling
from . import style


def draw_scaling(
    found: Sequence[Scaling], machine: Machine, path: str | os.PathLike[str] | None = None
) -> Any:
    """The scaling figure of ``found`` (one kernel, one size); saved to ``path`` if given."""
    drawable = [s for s in found if s.fit is not None]
    if not drawable:
        raise UsageError("nothing to draw: no backend finished ok at two thread counts")
    first = drawable[0].runs[0]
    most = max(p for s in drawable for p, _ in s.points)
    with style.figure(16, 8.5) as (fig, ax):
        ax.plot([1, most], [1, most], color=style.GUIDE, linestyle="--", lw=1.5,
                label="ideal: speedup = threads")  # fmt: skip
        for scaling in drawable:
            look = style.backend_style(scaling.backend)
            fit = scaling.fit
            one = scaling.baseline_s
            threads = [r.threads or 1 for r in scaling.runs if r.ok and r.median_s]
            measured = [r for r in scaling.runs if r.ok and r.median_s]
            speedups = [one / r.median_s for r in measured]
            lows = [one / r.interval().high for r in measured]
            highs = [one / r.interval().low for r in measured]
            ax.errorbar(
                threads,
                speedups,
                yerr=[[s - lo for s, lo in zip(speedups, lows, strict=True)],
                      [hi - s for s, hi in zip(speedups, highs, strict=True)]],
                fmt=look.marker,
                color=look.colour,
                markeredgecolor=style.INK,
                capsize=5,
                gid=f"points-{scaling.backend}",
                label=f"{scaling.backend} measured",
            )  # fmt: skip
            grid = [1 + (most - 1) * i / 50 for i in range(51)]
            ax.plot(
                grid,
                [one / fit.time(p) for p in grid],
                color=look.colour,
                linestyle=look.linestyle,
                gid=f"amdahl-{scaling.backend}",
                label=f"{scaling.backend}: Amdahl, serial fraction {fit.serial_fraction:.2f}",
            )
            for r, s in zip(measured, speedups, strict=True):
                if r.disturbed:
                    ax.scatter(
                        [r.threads],
                        [s],
                        s=400,
                        facecolors="none",
                        edgecolors=style.INK,
                        linestyle=":",
                        linewidths=2,
                        gid=f"disturbed-{scaling.backend}",
                    )
        ax.set_xlim(0.8, most + 0.2)
        ax.set_ylim(0, max(most, *(p for s in drawable for p in _tops(s))) * 1.15)
        ax.set_xticks(
            range(1, most + 1) if most <= 16 else sorted({p for s in drawable for p, _ in s.points})
        )
        ax.set_xlabel("threads (--threads)")
        ax.set_ylabel("speedup over 1 thread (linear)")
        ax.set_title(f"{first.kernel}, size {first.size}, {first.dtype}: thread scaling")
        fig.legend(loc="outside right upper", frameon=False)
        notes = [
            "Amdahl's law: T(p) = T1 (s + (1 - s) / p), fitted by least squares to the medians; "
            "error bars: 95% intervals; ringed: disturbed runs (other work took the CPUs)",
            machine.footer([r for s in drawable for r in s.runs]),
        ]
        return style.finish(fig, path, notes)


def _tops(scaling: Scaling) -> list[float]:
    one = scaling.fit.one_thread_s
    return [
        one / r.interval().low for r in scaling.runs if r.ok and r.median_s and r.interval().low
    ]

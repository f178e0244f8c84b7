"""The roofline: achieved GFLOP/s against arithmetic intensity, under the machine's roof.

Each point is one (kernel, backend): the kernel's work per call (``work(size)``: flops
and compulsory bytes) over its median kernel time. The roof is the machine's own
measured figures from its hardware report (``accel hardware --measure``): memory
bandwidth (best STREAM triad) times intensity, capped by the measured peak rate
(NumPy matmul, float64 and float32). For a machine drawn from an export, its report
gives its roof. Integer kernels (pi, primes) count integer operations as "flops".
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import UsageError
from ..evidence import Machine, work_of
from ..record import RunRecord
from ..units import rate
from . import style

#: Why a point can lie above the roof (said under the figure and the table).
ABOVE_THE_ROOF = (
    "points above the roof: their data fits in a cache, faster than the main-memory "
    "bandwidth (STREAM) the roof is drawn with, or the roof was measured on a busy machine"
)


@dataclass(frozen=True)
class Roof:
    """A machine's measured ceilings: memory bandwidth and peak compute rates."""

    bandwidth_gbs: float
    bandwidth_source: str
    peaks: tuple[tuple[str, float], ...]  # (what was measured, GFLOP/s), highest first

    @property
    def peak_gflops(self) -> float:
        return self.peaks[0][1]

    def attainable(self, intensity: float) -> float:
        """GFLOP/s the roof allows at ``intensity`` flop/byte."""
        return min(self.peak_gflops, self.bandwidth_gbs * intensity)


def roof_from_report(report: dict[str, Any] | None) -> Roof | None:
    """The roof in a hardware report (as JSON), or None where it holds no measurements."""
    measured = (report or {}).get("measured") or {}
    streams = measured.get("bandwidth") or []
    best_stream = [b for b in streams if b.get("kernel") == "triad"] or streams
    rates = sorted(measured.get("flops") or [], key=lambda f: -f["best_gflops"])
    if not best_stream or not rates:
        return None
    stream = max(best_stream, key=lambda b: b["best_gbs"])
    return Roof(
        bandwidth_gbs=stream["best_gbs"],
        bandwidth_source=f"STREAM {stream['kernel']}, {stream['threads']} thread"
        + ("s" if stream["threads"] != 1 else ""),
        peaks=tuple((f["name"], f["best_gflops"]) for f in rates),
    )


def gpu_roof_from_report(report: dict[str, Any] | None) -> Roof | None:
    """The GPU's roof in a hardware report (as JSON): its device-memory bandwidth and
    matmul rates from ``accel hardware --measure``, or None where it holds none."""
    measured = (report or {}).get("measured") or {}
    rates = {d["name"]: d for d in measured.get("device") or []}
    peaks = sorted(
        ((f"GPU {d['name']}", d["best"]) for d in rates.values() if d["unit"] == "GFLOP/s"),
        key=lambda peak: -peak[1],
    )
    if "copy" not in rates or not peaks:
        return None
    return Roof(
        bandwidth_gbs=rates["copy"]["best"],
        bandwidth_source="GPU device-to-device copy, CUDA events",
        peaks=tuple(peaks),
    )


def roof_of(point: Point, roof: Roof | None, gpu_roof: Roof | None) -> Roof | None:
    """The roof a point sits under: the GPU's for a GPU backend (none where the GPU's was
    not measured: the CPU's would not apply), the CPU's for the rest."""
    from ..backends import runs_on_gpu
    from ..record import backend_of

    return gpu_roof if runs_on_gpu(backend_of(point.backend)) else roof


def no_roof_reason(machine: Machine) -> str:
    """Why a machine's figure has no roof, and what gives it one."""
    return (
        f"no roof: the stored hardware report of machine {machine.fingerprint or 'unknown'} "
        "holds no measured bandwidth and GFLOP/s (on that machine: accel hardware --measure "
        "keeps them in the store, or accel roofline ... --measure-roof)"
    )


@dataclass(frozen=True)
class Point:
    """One (kernel, backend) on the roofline."""

    kernel: str
    backend: str
    size: int
    intensity: float  # flop per byte
    gflops: float  # achieved: work / median kernel time

    def share_of(self, roof: Roof | None) -> float | None:
        """Achieved over attainable at this intensity (1.0 = on the roof)."""
        return self.gflops / roof.attainable(self.intensity) if roof else None


def points(records: Sequence[RunRecord]) -> list[Point]:
    """A point for every ok record whose kernel's work is known here."""
    found = []
    for r in records:
        work = work_of(r) if r.ok and r.median_s else None
        if work is None or not work.bytes or not work.flops:
            continue
        found.append(
            Point(r.kernel, r.label, r.size, work.intensity, work.flops / r.median_s / 1e9)
        )
    return found


def draw_roofline(
    records: Sequence[RunRecord],
    machine: Machine,
    roof: Roof | None,
    path: str | os.PathLike[str] | None = None,
    gpu_roof: Roof | None = None,
) -> Any:
    """The roofline of ``records`` (any kernels, one machine) under ``roof`` (and the
    GPU's ``gpu_roof`` where measured, drawn dashed), a matplotlib Figure; saved to
    ``path`` where one is given."""
    drawn = points(records)
    if not drawn:
        raise UsageError("nothing to draw: no run finished ok with a known amount of work")
    intensities = [p.intensity for p in drawn]
    low, high = min(intensities) / 8, max(intensities) * 8
    if roof is not None:
        ridge = roof.peak_gflops / roof.bandwidth_gbs
        low, high = min(low, ridge / 8), max(high, ridge * 8)
    with style.figure(14, 9) as (fig, ax):
        notes = []
        if gpu_roof is not None:
            ridge = gpu_roof.peak_gflops / gpu_roof.bandwidth_gbs
            low, high = min(low, ridge / 8), max(high, ridge * 8)
            _draw_roof(ax, gpu_roof, low, high, gid="gpu-roof", dashes=True)
        if roof is not None:
            _draw_roof(ax, roof, low, high)
            if any((p.share_of(roof_of(p, roof, gpu_roof)) or 0) > 1.0 for p in drawn):
                notes.append(ABOVE_THE_ROOF)
        else:
            notes.append(no_roof_reason(machine))
        for p in drawn:
            look = style.backend_style(p.backend)
            ax.plot(
                p.intensity,
                p.gflops,
                linestyle="none",
                marker=style.kernel_marker(p.kernel),
                markersize=16,
                color=look.colour,
                markeredgecolor=style.INK,
                gid=f"point-{p.kernel}-{p.backend}",
            )
        for kernel in dict.fromkeys(p.kernel for p in drawn):
            mine = [p for p in drawn if p.kernel == kernel]
            top = max(mine, key=lambda p: p.gflops)
            ax.annotate(
                kernel,
                (top.intensity, top.gflops),
                xytext=(12, 8),
                textcoords="offset points",
                fontsize=style.BASE_FONT_PT,
                fontweight="bold",
            )
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(low, high)
        ax.set_xlabel("arithmetic intensity (flop per byte moved)")
        ax.set_ylabel("achieved GFLOP/s (work ÷ median kernel time)")
        ax.set_title("Roofline: how close each backend gets to the machine's measured limits")
        _legend(fig, ax, drawn)
        if any(style.backend_style(p.backend).gpu for p in drawn):
            notes.append(
                "GPU points sit under the GPU's measured roof (dashed)"
                if gpu_roof is not None
                else "GPU points are drawn under the host's measured roof (no GPU roof measured)"
            )
        if any(p.kernel in ("pi", "primes") for p in drawn):
            notes.append("pi and primes count integer operations as flops")
        return style.finish(fig, path, [*notes, machine.footer(records)])


def _draw_roof(
    ax, roof: Roof, low: float, high: float, gid: str = "roof", dashes: bool = False
) -> None:
    """The roof (bandwidth slope capped by the highest peak), lower peaks dashed, labelled."""
    import numpy as np

    x = np.geomspace(low, high, 200)
    ax.plot(
        x,
        np.minimum(roof.peak_gflops, roof.bandwidth_gbs * x),
        color=style.INK,
        lw=3,
        ls="--" if dashes else "-",
        gid=gid,
    )
    ax.annotate(
        f"{rate(roof.bandwidth_gbs)} GB/s ({roof.bandwidth_source})",
        (low * 2, roof.bandwidth_gbs * low * 2),
        xytext=(14, -8),
        va="top",
        textcoords="offset points",
        fontsize=style.SMALL_FONT_PT,
    )
    for index, (what, gflops) in enumerate(roof.peaks):
        ridge = gflops / roof.bandwidth_gbs
        if index:
            ax.plot(
                [ridge, high],
                [gflops, gflops],
                color=style.GUIDE,
                ls="--",
                lw=2,
                gid=f"{gid}-compute-{index}",
            )
        ax.annotate(
            f"{rate(gflops)} GFLOP/s ({what})",
            (high, gflops),
            xytext=(-6, 6),
            textcoords="offset points",
            ha="right",
            fontsize=style.SMALL_FONT_PT,
            color=style.INK if index == 0 else style.GUIDE,
        )


def _legend(fig, ax, drawn: Sequence[Point]) -> None:
    """A marker per kernel (shape) and per backend (colour)."""
    from matplotlib.lines import Line2D

    handles = []
    for kernel in dict.fromkeys(p.kernel for p in drawn):
        handles.append(
            Line2D(
                [],
                [],
                linestyle="none",
                marker=style.kernel_marker(kernel),
                markersize=12,
                color=style.GUIDE,
                label=f"kernel {kernel}",
            )
        )
    for backend in dict.fromkeys(p.backend for p in drawn):
        handles.append(
            Line2D(
                [],
                [],
                linestyle="none",
                marker="s",
                markersize=12,
                color=style.backend_style(backend).colour,
                markeredgecolor=style.INK,
                label=backend,
            )
        )
    fig.legend(handles=handles, loc="outside right upper", frameon=False)

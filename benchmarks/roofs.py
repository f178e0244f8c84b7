"""This machine's roofs, measured in the same run: STREAM triad, peak flops, host<->device copies.

The figures come from accel's hardware probe (``probe`` then ``measure``), run in a
child process so that its Numba threads and its 1.5 GB of STREAM arrays are gone
before any kernel is timed. Each figure is the probe's best sample; where the probe
has no figure (no GPU, no device-memory measurement), ``reasons`` says why.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from typing import Any

from accel.hardware.report import HardwareReport

from accel.runner import usable_cpus

#: The probe as a child process: a report with measured figures, as JSON on stdout.
PROBE_SCRIPT = """
import sys
from accel.hardware import probe
from accel.hardware.measure import measure
report = probe()
array_bytes = int(sys.argv[1]) or None
report.measured = measure(report, array_bytes=array_bytes)
sys.stdout.write(report.to_json(indent=None))
"""
NO_DEVICE_MEMORY = (
    "the hardware probe measures host<->device copies but not device-memory bandwidth "
    "or a device flop rate"
)


@dataclass(frozen=True)
class CopyFigure:
    """One host<->device copy rate the probe measured."""

    direction: str  # "h2d" or "d2h"
    host_memory: str  # "pageable" or "pinned"
    size_bytes: int
    median_gbs: float
    best_gbs: float


@dataclass(frozen=True)
class Roofs:
    """What this machine can do at best, as the probe measured it in this run."""

    cores: int
    llc_bytes: int | None = None
    triad_gbs: float | None = None
    triad_threads: int | None = None
    triad_cpu_occupancy: float | None = None
    triad_array_bytes: int | None = None
    peak_gflops: float | None = None
    peak_method: str = ""
    gpu_name: str | None = None
    gpu_memory_gbs: float | None = None
    gpu_peak_gflops: float | None = None
    copies: tuple[CopyFigure, ...] = ()
    reasons: dict[str, str] = field(default_factory=dict)

    @property
    def has_gpu(self) -> bool:
        return self.gpu_name is not None

    def copy_gbs(self, direction: str, host_memory: str, nbytes: int) -> CopyFigure | None:
        """The probe's copy of the same kind at the largest size not above ``nbytes``
        (the smallest size it measured, when all are larger)."""
        same = [c for c in self.copies if c.direction == direction and c.host_memory == host_memory]
        if not same:
            return None
        below = [c for c in same if c.size_bytes <= nbytes]
        if below:
            return max(below, key=lambda c: c.size_bytes)
        return min(same, key=lambda c: c.size_bytes)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def roofs_from_report(report: HardwareReport) -> Roofs:
    """The roofs a probed (and measured) report holds; missing ones say why."""
    cores = report.host.usable_cpus or usable_cpus()
    llc = report.caches.last_level()
    reasons: dict[str, str] = {}
    measured = report.measured
    if measured is None:
        reasons["measured"] = "the probe measured nothing"
        measured_reasons: dict[str, str] = {}
        bandwidth, flops, transfers = [], [], []
    else:
        measured_reasons = measured.reasons
        bandwidth, flops, transfers = measured.bandwidth, measured.flops, measured.transfers
    triads = [b for b in bandwidth if b.kernel == "triad"]
    triad = max(triads, key=lambda b: (b.threads, b.best_gbs), default=None)
    if triad is None:
        reasons["triad"] = measured_reasons.get("bandwidth", "no STREAM triad figure")
    float64 = [f for f in flops if "float64" in f.name]
    peak = max(float64, key=lambda f: f.best_gflops, default=None)
    if peak is None:
        reasons["peak"] = measured_reasons.get("flops", "no float64 flop rate")
    devices = report.gpu.devices
    if devices:
        reasons["gpu_memory"] = NO_DEVICE_MEMORY
        if not transfers:
            reasons["copies"] = measured_reasons.get("transfers", "no host<->device figure")
    else:
        reasons["gpu"] = f"no GPU ({report.gpu.none_reason or 'none found'})"
    return Roofs(
        cores=cores,
        llc_bytes=llc.size_bytes if llc else None,
        triad_gbs=triad.best_gbs if triad else None,
        triad_threads=triad.threads if triad else None,
        triad_cpu_occupancy=triad.cpu_occupancy if triad else None,
        triad_array_bytes=measured.array_bytes if measured else None,
        peak_gflops=peak.best_gflops if peak else None,
        peak_method=f"{peak.name}, {peak.threads}" if peak else "",
        gpu_name=(devices[0].name or "GPU 0") if devices else None,
        copies=tuple(
            CopyFigure(t.direction, t.host_memory, t.size_bytes, t.median_gbs, t.best_gbs)
            for t in transfers
        ),
        reasons=reasons,
    )


def measure_roofs(array_bytes: int | None = None, timeout: float = 600) -> tuple[Roofs, str]:
    """Probe and measure this machine in a child process; the roofs and the fingerprint.

    ``array_bytes`` sets the size of each STREAM array (None: the probe's own choice).
    """
    done = subprocess.run(
        [sys.executable, "-c", PROBE_SCRIPT, str(array_bytes or 0)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        return Roofs(cores=usable_cpus(), reasons={"probe": f"the probe failed: {last}"}), ""
    report = HardwareReport.from_dict(json.loads(done.stdout))
    return roofs_from_report(report), report.fingerprint

"""This machine's roofs, measured in the same run: STREAM triad, peak flops, host<->device
copies, and how much parallel speedup the machine can give right now.

The figures come from accel's hardware probe (``probe`` then ``measure``), run in a
child process so that its Numba threads and its 1.5 GB of STREAM arrays are gone
before any kernel is timed. Each figure is the probe's best sample; where the probe
has no figure (no GPU, no device-memory measurement), ``reasons`` says why. The same
child times a perfectly balanced compute loop (one equal part per thread, Numba
``prange``) against the same parts run serially: that speedup, the *parallel
capacity*, is what any parallel kernel could reach at that moment; on a machine
shared with other processes it is less than the number of cores.

The roofs are measured once per round, interleaved with the kernels' runs, and each
figure is the best of the rounds (:func:`best_roofs`): a roof measured while another
process held the cores would be too low, and would flatter every kernel set against it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from accel.hardware.report import HardwareReport

from accel.threads import usable_cpus

#: The child process: the probe's report with measured figures, and the parallel
#: capacity, as one JSON object on stdout.
PROBE_SCRIPT = """
import json, sys, time
from accel.hardware import probe
from accel.hardware.measure import measure
from accel.threads import usable_cpus

def parallel_capacity(threads, length=10_000_000, samples=5):
    import numpy as np
    from numba import njit, prange, set_num_threads

    @njit(nogil=True)
    def part(n):
        total = 0.0
        for i in range(n):
            total += np.sqrt(i + 0.5)
        return total

    @njit(parallel=True)
    def together(n, parts):
        out = np.zeros(parts)
        for p in prange(parts):
            out[p] = part(n)
        return out.sum()

    @njit
    def alone(n, parts):
        out = np.zeros(parts)
        for p in range(parts):
            out[p] = part(n)
        return out.sum()

    set_num_threads(threads)
    together(100, threads), alone(100, threads)
    best = {together: float("inf"), alone: float("inf")}
    for _ in range(samples):
        for run in (alone, together):
            start = time.perf_counter()
            run(length, threads)
            best[run] = min(best[run], time.perf_counter() - start)
    return best[alone] / best[together]

report = probe()
report.measured = measure(report, array_bytes=int(sys.argv[1]) or None)
threads = usable_cpus()
try:
    capacity, why = parallel_capacity(threads), ""
except Exception as exc:
    capacity, why = None, f"{type(exc).__name__}: {exc}"
sys.stdout.write(json.dumps({"report": report.to_dict(), "capacity": capacity,
                             "capacity_threads": threads, "capacity_reason": why}))
"""
NO_DEVICE_MEMORY = "the hardware probe measured no device-memory bandwidth or device flop rate"


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
    parallel_capacity: float | None = None
    capacity_threads: int | None = None
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
    device_rates = {d.name: d for d in measured.device} if measured is not None else {}
    if devices:
        if "copy" not in device_rates:
            reasons["gpu_memory"] = measured_reasons.get("device", NO_DEVICE_MEMORY)
        if "matmul float64" not in device_rates:
            reasons["gpu_peak"] = measured_reasons.get("device", NO_DEVICE_MEMORY)
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
        gpu_memory_gbs=device_rates["copy"].best if "copy" in device_rates else None,
        gpu_peak_gflops=(
            device_rates["matmul float64"].best if "matmul float64" in device_rates else None
        ),
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
    data = json.loads(done.stdout)
    report = HardwareReport.from_dict(data["report"])
    roofs = roofs_from_report(report)
    reasons = dict(roofs.reasons)
    if data["capacity"] is None:
        reasons["capacity"] = f"parallel capacity not measured: {data['capacity_reason']}"
    roofs = replace(
        roofs,
        parallel_capacity=data["capacity"],
        capacity_threads=data["capacity_threads"],
        reasons=reasons,
    )
    return roofs, report.fingerprint


def _most(values: Sequence[float | None]) -> float | None:
    found = [v for v in values if v is not None]
    return max(found) if found else None


def best_roofs(rounds: Sequence[Roofs]) -> Roofs:
    """Each figure at its best over the rounds (bandwidth, flops, capacity, every copy kind)."""
    first = rounds[0]
    triad = max(rounds, key=lambda r: r.triad_gbs or 0.0)
    peak = max(rounds, key=lambda r: r.peak_gflops or 0.0)
    copies: dict[tuple[str, str, int], CopyFigure] = {}
    for found in rounds:
        for copy in found.copies:
            key = (copy.direction, copy.host_memory, copy.size_bytes)
            if key not in copies or copy.median_gbs > copies[key].median_gbs:
                copies[key] = copy
    reasons: dict[str, str] = {}
    for found in rounds:
        reasons.update(found.reasons)
    for key, present in (("triad", triad.triad_gbs), ("peak", peak.peak_gflops)):
        if present is not None:
            reasons.pop(key, None)
    gpu_memory = _most([r.gpu_memory_gbs for r in rounds])
    gpu_peak = _most([r.gpu_peak_gflops for r in rounds])
    for key, present in (("gpu_memory", gpu_memory), ("gpu_peak", gpu_peak)):
        if present is not None:
            reasons.pop(key, None)
    capacity = _most([r.parallel_capacity for r in rounds])
    if capacity is not None:
        reasons.pop("capacity", None)
    return replace(
        first,
        triad_gbs=triad.triad_gbs,
        triad_threads=triad.triad_threads,
        triad_cpu_occupancy=triad.triad_cpu_occupancy,
        triad_array_bytes=triad.triad_array_bytes,
        peak_gflops=peak.peak_gflops,
        peak_method=peak.peak_method,
        gpu_memory_gbs=gpu_memory,
        gpu_peak_gflops=gpu_peak,
        parallel_capacity=capacity,
        capacity_threads=max((r.capacity_threads or 0 for r in rounds), default=0) or None,
        copies=tuple(copies.values()),
        reasons=reasons,
    )

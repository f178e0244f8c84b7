"""accel.hardware: what this machine is, in a report a newcomer can trust.

Public API::

    probe(measure=False) -> HardwareReport   # typed report; .fingerprint, .to_dict()
    fingerprint() -> str                     # cached per process; keys stored results
    render_text(report) / render_markdown(report)
    SCHEMA_VERSION

Importing this package is cheap: NumPy, numba, llvmlite, pynvml and archspec are
imported only inside probe() (and only the ones it needs).
"""

from __future__ import annotations

import datetime
import functools
import time
from collections.abc import Callable
from typing import Any, TypeVar

from .report import (
    SCHEMA_VERSION,
    CacheInfo,
    CpuInfo,
    GpuInfo,
    HardwareReport,
    HostInfo,
    MeasuredFigures,
    MemoryInfo,
    PerfInfo,
    PoolsInfo,
    SimdInfo,
)

__all__ = [
    "SCHEMA_VERSION",
    "HardwareReport",
    "fingerprint",
    "probe",
    "render_markdown",
    "render_text",
]

T = TypeVar("T")


def _section(collect: Callable[[], T], empty: Callable[[], T], what: str) -> T:
    """Run one collector; on any unexpected error return an empty section saying why."""
    try:
        return collect()
    except Exception as exc:  # the report must always print
        section = empty()
        reasons = getattr(section, "reasons", None)
        if isinstance(reasons, dict):
            reasons["*"] = f"{what} probe failed: {type(exc).__name__}: {exc}"
        return section


def probe(
    measure: bool = False, *, root: str = "/", nvml: Any = None, quick: bool = False
) -> HardwareReport:
    """Probe this machine and return a typed HardwareReport; never raises.

    ``measure=True`` adds measured memory bandwidth, matmul GFLOP/s and (with a
    GPU) host<->device bandwidth, taking roughly 5-15 s. ``root`` re-roots
    every /proc and /sys read (tests point it at a fake tree); ``nvml`` replaces
    the pynvml module (tests pass a fake). ``quick=True`` skips what the fingerprint
    does not need and costs most (running perf, importing NumPy and llvmlite).

    >>> report = probe()
    >>> report.host.usable_cpus, report.fingerprint    # e.g. (2, '3fa2c1d9e0b7')
    """
    from . import caches, cpu, gpu, host, memory, perf, pools, simd, versions
    from .sysread import read_text

    start = time.perf_counter()
    report = HardwareReport(
        created=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    )
    report.host = _section(lambda: host.read_host(root), HostInfo, "host")
    report.cpu = _section(lambda: cpu.read_cpu(root, use_psutil=root == "/"), CpuInfo, "CPU")
    report.caches = _section(lambda: caches.read_caches(root), CacheInfo, "cache")

    def read_simd() -> SimdInfo:
        text, _ = read_text(root, "/proc/cpuinfo")
        return simd.read_simd(cpu.cpuinfo_flags(cpu.parse_cpuinfo(text or "")), live=not quick)

    report.simd = _section(read_simd, SimdInfo, "SIMD")
    report.memory = _section(
        lambda: memory.read_memory(root, use_psutil=root == "/"), MemoryInfo, "memory"
    )
    report.gpu = _section(lambda: gpu.read_gpus(root, nvml), GpuInfo, "GPU")
    if not quick:
        report.perf = _section(lambda: perf.read_perf(root), PerfInfo, "perf")
        _counter_source(report)
    report.pools = _section(lambda: pools.read_pools(root, live=not quick), PoolsInfo, "pools")
    report.libraries = _section(versions.library_versions, dict, "library version")
    report.probe_seconds = time.perf_counter() - start
    if measure:
        from . import measure as measuring

        report.measured = _section(lambda: measuring.measure(report), MeasuredFigures, "measure")
    return report


def _counter_source(report: HardwareReport) -> None:
    """Fill the perf section's counter source: perf, valgrind's simulator, or none and why."""
    from . import valgrind

    try:
        simulator = valgrind.read_simulator(report.caches)
    except Exception as exc:  # a broken valgrind must not break the report
        simulator = valgrind.Simulator(reason=f"valgrind probe failed: {type(exc).__name__}: {exc}")
    perf_why = report.perf.reasons.get("events") or report.perf.reasons.get("perf_path")
    perf_why = perf_why or "every hardware event is <not supported> or not counted"
    source, why = valgrind.counter_source(report.perf.can_count, perf_why, simulator)
    report.perf.counter_source, report.perf.counter_source_reason = source, why
    report.perf.simulator = simulator.label if simulator.usable else None
    if not simulator.usable:
        report.perf.reasons["simulator"] = simulator.reason


@functools.lru_cache(maxsize=1)
def cached_probe() -> HardwareReport:
    """One quick probe per process, enough for fingerprint() (the fingerprint's fields)."""
    return probe(measure=False, quick=True)


def fingerprint() -> str:
    """This machine's short hardware fingerprint (12 hex digits); probes once per process."""
    return cached_probe().fingerprint


def render_text(report: HardwareReport) -> str:
    """The report as aligned plain text for a terminal."""
    from .render import render_text as _render_text

    return _render_text(report)


def render_markdown(report: HardwareReport) -> str:
    """The report as Markdown (tables) for an issue or a slide."""
    from .render import render_markdown as _render_markdown

    return _render_markdown(report)

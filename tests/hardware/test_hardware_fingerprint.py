"""The fingerprint: stable across probes, sensitive to performance-relevant fields only."""

from __future__ import annotations

import copy
import json
import re

import accel.hardware as hw
import pytest
from accel.hardware.report import (
    SCHEMA_VERSION,
    CacheLevel,
    GpuDevice,
    HardwareReport,
    MeasuredFigures,
)


def test_stable_across_two_probes_and_cached(live_report):
    again = hw.probe()
    assert re.fullmatch(r"[0-9a-f]{12}", live_report.fingerprint)
    assert again.fingerprint == live_report.fingerprint
    assert hw.fingerprint() == live_report.fingerprint
    assert hw.cached_probe() is hw.cached_probe()  # probed once per process


def _changed(report: HardwareReport, change) -> HardwareReport:
    other = copy.deepcopy(report)
    change(other)
    return other


GIB = 1024**3


@pytest.mark.parametrize(
    "change",
    [
        lambda r: setattr(r.memory, "available_bytes", (r.memory.available_bytes or 0) // 2),
        lambda r: setattr(r.cpu, "current_mhz", 1234.0),
        lambda r: setattr(r.cpu, "governor", "powersave"),
        lambda r: setattr(r, "created", "1999-01-01T00:00:00+00:00"),
        lambda r: setattr(r, "probe_seconds", 99.0),
        lambda r: setattr(r.perf, "summary", "different"),
        lambda r: setattr(r, "measured", MeasuredFigures(seconds=3.0)),
        lambda r: setattr(r.host, "python_executable", "/elsewhere/python"),
        # Versions belong to each run's key (accel.identity.key_versions), not the machine.
        lambda r: r.libraries.__setitem__("numpy", "0.0.1"),
        lambda r: r.libraries.__setitem__("torch", "9.9.9"),
        lambda r: setattr(r.host, "python_implementation", "PyPy"),
    ],
    ids=[
        "available-memory",
        "current-frequency",
        "governor",
        "timestamp",
        "probe-time",
        "perf-summary",
        "measured",
        "python-path",
        "numpy",
        "torch",
        "python-implementation",
    ],
)
def test_unchanged_by_volatile_fields(live_report, change):
    assert _changed(live_report, change).fingerprint == live_report.fingerprint


@pytest.mark.parametrize(
    "change",
    [
        lambda r: setattr(r.cpu, "model_name", "Some Other CPU"),
        lambda r: setattr(r.cpu, "physical_cores", (r.cpu.physical_cores or 0) + 1),
        lambda r: setattr(r.host, "usable_cpus", (r.host.usable_cpus or 0) + 1),
        lambda r: r.caches.levels.append(CacheLevel(level=4, type="unified", size_bytes=1 << 27)),
        lambda r: setattr(r.simd, "cpu_features", [*r.simd.cpu_features, "SVE2"]),
        lambda r: setattr(r.memory, "total_bytes", (r.memory.total_bytes or 0) + 2 * GIB),
        lambda r: r.gpu.devices.append(GpuDevice(index=0, name="NVIDIA H100 80GB HBM3")),
        lambda r: setattr(r.gpu, "driver_version", "999.1"),
    ],
    ids=[
        "cpu-model",
        "cores",
        "usable-cpus",
        "cache",
        "simd",
        "memory-GiB",
        "gpu-model",
        "driver",
    ],
)
def test_changed_by_performance_fields(live_report, change):
    assert _changed(live_report, change).fingerprint != live_report.fingerprint


def test_cache_size_change_alters_fingerprint(live_report):
    if not live_report.caches.levels:
        pytest.skip("no caches known here")

    def shrink(r):
        r.caches.levels[0].size_bytes = (r.caches.levels[0].size_bytes or 2) // 2

    assert _changed(live_report, shrink).fingerprint != live_report.fingerprint


def test_json_round_trip_keeps_everything(live_report):
    data = json.loads(live_report.to_json())
    assert data["schema_version"] == SCHEMA_VERSION
    assert data["fingerprint"] == live_report.fingerprint
    back = HardwareReport.from_dict(data)
    assert back == live_report
    assert back.fingerprint == live_report.fingerprint
    assert all(isinstance(c, CacheLevel) for c in back.caches.levels)


def test_memory_is_rounded_to_whole_gib(live_report):
    def total(nbytes):
        return lambda r: setattr(r.memory, "total_bytes", nbytes)

    below = _changed(live_report, total(16 * GIB - 40 * 1024**2)).fingerprint
    above = _changed(live_report, total(16 * GIB + 40 * 1024**2)).fingerprint
    assert below == above
    assert _changed(live_report, total(17 * GIB)).fingerprint != above


def test_fingerprint_comes_from_a_quick_probe_equal_to_the_full_ones():
    """fingerprint() skips perf, NumPy and llvmlite yet keys the same machine."""
    import subprocess
    import sys

    code = (
        "import sys, accel.hardware as h; fp = h.fingerprint(); "
        "heavy = [m for m in ('numpy', 'llvmlite', 'numba', 'torch') if m in sys.modules]; "
        "print(fp, heavy, h.probe().fingerprint == fp)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    fingerprint, heavy, same = (
        result.stdout.split(" ", 1)[0],
        *result.stdout.split(" ", 1)[1].rsplit(" ", 1),
    )
    assert len(fingerprint) == 12
    assert heavy == "[]"
    assert same.strip() == "True"

"""The live report cross-checked against independent sources on this machine.

Each expectation is computed here, from /proc, sysfs, lscpu, psutil, perf or
importlib.metadata directly, never from the probe's own helpers.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

linux_only = pytest.mark.skipif(not Path("/proc/cpuinfo").exists(), reason="needs Linux /proc")


def _cpuinfo_lines(key: str) -> list[str]:
    lines = Path("/proc/cpuinfo").read_text().splitlines()
    return [line.split(":", 1)[1].strip() for line in lines if line.split(":")[0].strip() == key]


@linux_only
def test_logical_cpus_match_os_and_cpuinfo(live_report):
    processors = len(_cpuinfo_lines("processor"))
    assert live_report.cpu.logical_cores == os.cpu_count() == processors
    assert live_report.host.logical_cpus == os.cpu_count()


@linux_only
def test_model_vendor_and_flags_match_cpuinfo(live_report):
    names = _cpuinfo_lines("model name")
    if names:
        assert live_report.cpu.model_name == names[0]
    vendors = _cpuinfo_lines("vendor_id")
    if vendors:
        assert live_report.cpu.vendor == vendors[0]
    flags = set((_cpuinfo_lines("flags") or _cpuinfo_lines("Features") or [""])[0].split())
    report = set(live_report.simd.cpu_features)
    assert ("avx512f" in flags) == ("AVX512F" in report)
    assert ("avx2" in flags) == ("AVX2" in report)
    assert ("amx_tile" in flags) == ("AMX-TILE" in report)


def test_core_counts_match_psutil(live_report):
    psutil = pytest.importorskip("psutil")
    assert live_report.cpu.physical_cores == psutil.cpu_count(logical=False)
    assert live_report.cpu.logical_cores == psutil.cpu_count(logical=True)


@pytest.mark.skipif(not hasattr(os, "sched_getaffinity"), reason="no sched_getaffinity here")
def test_usable_cpus_match_affinity_and_quota(live_report):
    affinity = len(os.sched_getaffinity(0))
    assert live_report.host.affinity_cpus == sorted(os.sched_getaffinity(0))
    quota = live_report.host.cgroup_cpu_quota
    expected = affinity if quota is None else min(affinity, max(1, -(-quota // 1)))
    assert live_report.host.usable_cpus == expected
    cpu_max = Path("/sys/fs/cgroup/cpu.max")
    if cpu_max.exists() and cpu_max.read_text().split()[0] == "max":
        assert quota is None


def _sysfs_caches_direct() -> dict[tuple[int, str], tuple[int, int, int | None]]:
    """{(level, type): (size bytes, line bytes, instances)} read from sysfs here, by hand."""
    seen: dict[tuple[int, str], dict[str, tuple[int, int]]] = {}
    for index in sorted(Path("/sys/devices/system/cpu").glob("cpu[0-9]*/cache/index[0-9]*")):
        level = int((index / "level").read_text())
        ctype = (index / "type").read_text().strip().lower()
        size_text = (index / "size").read_text().strip()
        assert size_text.endswith("K"), size_text
        shared = (index / "shared_cpu_list").read_text().strip()
        line = int((index / "coherency_line_size").read_text())
        seen.setdefault((level, ctype), {})[shared] = (int(size_text[:-1]) * 1024, line)
    return {key: (*next(iter(per.values())), len(per)) for key, per in seen.items()}


@pytest.mark.skipif(
    not list(Path("/sys/devices/system/cpu").glob("cpu0/cache/index0")), reason="no sysfs caches"
)
def test_caches_match_sysfs_read_directly(live_report):
    direct = _sysfs_caches_direct()
    got = {
        (c.level, c.type): (c.size_bytes, c.line_bytes, c.instances)
        for c in live_report.caches.levels
    }
    assert live_report.caches.source == "sysfs"
    assert got == direct


@pytest.mark.skipif(shutil.which("lscpu") is None, reason="lscpu not installed")
def test_caches_match_lscpu(live_report):
    done = subprocess.run(["lscpu", "-J", "-C", "--bytes"], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"lscpu -C does not work here: {done.stderr.strip()}")
    rows = json.loads(done.stdout)["caches"]
    by_name = {c.name: c for c in live_report.caches.levels}
    assert set(by_name) == {row["name"] for row in rows}
    for row in rows:
        cache = by_name[row["name"]]
        assert cache.size_bytes == int(row["one-size"])
        assert cache.size_bytes * cache.instances == int(row["all-size"])
        assert cache.associativity == row["ways"]


@pytest.mark.skipif(shutil.which("lscpu") is None, reason="lscpu not installed")
def test_cpu_identity_matches_lscpu(live_report):
    done = subprocess.run(["lscpu", "-J"], capture_output=True, text=True)
    fields = {row["field"].rstrip(":"): row["data"] for row in json.loads(done.stdout)["lscpu"]}
    assert live_report.cpu.model_name == fields["Model name"]
    assert live_report.cpu.architecture == fields["Architecture"]
    if "Socket(s)" in fields and fields["Socket(s)"].isdigit():
        assert live_report.cpu.sockets == int(fields["Socket(s)"])
    if "Hypervisor vendor" in fields:
        assert fields["Hypervisor vendor"] in (live_report.host.virtualization or "")


def test_memory_matches_psutil_and_meminfo(live_report):
    psutil = pytest.importorskip("psutil")
    assert live_report.memory.total_bytes == psutil.virtual_memory().total
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kib = int(meminfo.read_text().split("MemTotal:")[1].split()[0])
        assert live_report.memory.total_bytes == kib * 1024
    nodes = sorted(Path("/sys/devices/system/node").glob("node[0-9]*"))
    assert len(live_report.memory.numa_nodes) == len(nodes)


def test_numpy_targets_match_numpy(live_report):
    np = pytest.importorskip("numpy")
    try:
        from numpy._core import _multiarray_umath as umath
    except ImportError:
        from numpy.core import _multiarray_umath as umath
    simd = live_report.simd
    assert simd.numpy_version == np.__version__
    assert simd.numpy_baseline == list(umath.__cpu_baseline__)
    assert simd.numpy_dispatch == list(umath.__cpu_dispatch__)


def test_numpy_gap_is_a_visible_line_when_the_cpu_is_wider(live_report):
    from accel.hardware import render_text

    simd = live_report.simd
    text = render_text(live_report)
    wider = (
        simd.cpu_vector_bits is not None
        and simd.numpy_baseline_bits is not None
        and simd.cpu_vector_bits > simd.numpy_baseline_bits
    )
    lines = [line for line in text.splitlines() if "but NumPy's baseline is" in line]
    assert bool(lines) == wider
    if wider:
        assert lines[0].lstrip().startswith("! differs")


def test_llvm_target_matches_llvmlite(live_report):
    binding = pytest.importorskip("llvmlite.binding")
    assert live_report.simd.llvm_cpu_name == binding.get_host_cpu_name()


@pytest.mark.skipif(shutil.which("perf") is None, reason="perf not installed")
def test_perf_event_status_matches_running_perf_here(live_report):
    events = (
        "cycles,instructions,cache-references,cache-misses,branches,branch-misses,"
        "task-clock,page-faults"
    )
    done = subprocess.run(
        ["perf", "stat", "-x,", "-e", events, "true"], capture_output=True, text=True
    )
    direct = {}
    for line in done.stderr.splitlines():
        parts = line.split(",")
        if len(parts) > 2 and parts[2] in events.split(","):
            direct[parts[2]] = (
                "not supported" if parts[0] == "<not supported>"
                else "not counted" if parts[0] == "<not counted>"
                else "counted"
            )  # fmt: skip
    if not direct:
        pytest.skip(f"perf stat printed no events here: {done.stderr.strip()[:200]}")
    assert live_report.perf.events == direct
    paranoid = Path("/proc/sys/kernel/perf_event_paranoid")
    if paranoid.exists():
        assert live_report.perf.paranoid == int(paranoid.read_text())
    hardware = [e for e in direct if e not in ("task-clock", "page-faults")]
    if all(direct[e] == "not supported" for e in hardware) and direct["task-clock"] == "counted":
        # This machine (a KVM guest): the report must say exactly that.
        assert "all hardware events are <not supported>" in live_report.perf.summary
        assert "perf stat counts task-clock, page-faults" in live_report.perf.summary


def test_no_gpu_path_says_why(live_report):
    from accel.hardware import render_text

    if live_report.gpu.devices:
        pytest.skip("this machine has a GPU")
    reason = live_report.gpu.none_reason
    assert reason
    if shutil.which("nvidia-smi") is None:
        assert "nvidia-smi not found on PATH" in reason
    try:
        import pynvml  # noqa: F401
    except ImportError:
        assert "nvidia-ml-py not installed" in reason
    else:
        assert "NVML:" in reason
    assert f"none: {reason}" in render_text(live_report)


def test_library_versions_match_metadata(live_report):
    import platform

    libs = live_report.libraries
    assert libs["python"] == platform.python_version()
    for name in ("numpy", "numba", "llvmlite", "psutil", "torch"):
        try:
            expected = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            expected = None
        assert libs[name] == expected


def test_import_is_cheap():
    code = (
        "import sys, accel.hardware; "
        "print(sorted(m for m in ('numpy','numba','llvmlite','torch','cupy','pynvml','archspec',"
        "'psutil') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"

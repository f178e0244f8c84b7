"""Fault injection: broken sysfs, missing tools, failing NVML, crashing collectors.

The report must still be produced and rendered, with each affected field
unknown and a reason a person can act on. Nothing may raise.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import accel.hardware as hw
import pytest
from accel.hardware import caches, gpu, perf, sysread

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def no_tools(monkeypatch):
    """No lscpu, perf, nvidia-smi or sysctl on PATH (shutil.which finds nothing)."""
    monkeypatch.setattr(sysread.shutil, "which", lambda name: None)


def _cache_index(root: Path, cpu: int, index: int, files: dict[str, str]) -> None:
    base = root / f"sys/devices/system/cpu/cpu{cpu}/cache/index{index}"
    base.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (base / name).write_text(content)


def test_unreadable_and_missing_sysfs_files_are_reported(tmp_path):
    good = {"level": "1", "type": "Data", "size": "32K", "coherency_line_size": "64",
            "shared_cpu_list": "0"}  # fmt: skip
    _cache_index(tmp_path, 0, 0, good)
    # index1: its "size" is a directory (reading it fails like an unreadable file)
    _cache_index(tmp_path, 0, 1, {"level": "2", "type": "Unified", "shared_cpu_list": "0"})
    (tmp_path / "sys/devices/system/cpu/cpu0/cache/index1/size").mkdir()
    # index2: no "type" file at all
    _cache_index(tmp_path, 0, 2, {"level": "3", "size": "8192K"})
    levels, problems = caches.read_sysfs_caches(str(tmp_path))
    assert [(c.name, c.size_bytes) for c in levels] == [("L1d", 32768), ("L2", None)]
    assert any("index1/size could not be read" in p for p in problems)
    assert any("index2/type does not exist" in p for p in problems)

    info = caches.read_caches(str(tmp_path))
    assert info.source == "sysfs"
    assert "index1/size" in info.reasons["sysfs"]
    text = hw.render_text(hw.HardwareReport(caches=info))
    assert "L2      unknown" in text
    assert "note    sysfs:" in text


def test_permission_denied_is_named(tmp_path, monkeypatch):
    target = tmp_path / "proc/cpuinfo"
    target.parent.mkdir(parents=True)
    target.write_text("processor : 0\n")
    original = Path.read_text

    def deny(self, *args, **kwargs):
        if self == target:
            raise PermissionError(13, "Permission denied")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", deny)
    value, reason = sysread.read_text(str(tmp_path), "/proc/cpuinfo")
    assert value is None
    assert reason == "/proc/cpuinfo is not readable (permission denied)"


def test_no_sysfs_and_no_lscpu_falls_back_to_getconf_and_says_so(tmp_path, monkeypatch):
    real_which = sysread.shutil.which
    if real_which("getconf") is None:
        pytest.skip("getconf not installed here")
    monkeypatch.setattr(sysread.shutil, "which", lambda n: None if n == "lscpu" else real_which(n))
    monkeypatch.setattr(caches.platform, "system", lambda: "Linux")
    info = caches.read_caches(str(tmp_path))
    assert info.source == "getconf"
    assert info.reasons["fallback"].startswith("used getconf because sysfs: no ")
    assert "lscpu: lscpu not found on PATH" in info.reasons["fallback"]
    assert "note    fallback: used getconf" in hw.render_text(hw.HardwareReport(caches=info))
    assert any(c.level == 1 and c.type == "data" and c.size_bytes for c in info.levels)


def test_no_cache_source_at_all_renders_unknown_with_reasons(tmp_path, no_tools, monkeypatch):
    monkeypatch.setattr(caches.platform, "system", lambda: "Linux")
    info = caches.read_caches(str(tmp_path))
    assert info.levels == []
    reason = info.reasons["levels"]
    assert "sysfs: no /sys/devices/system/cpu/cpu*/ directories" in reason
    assert "lscpu: lscpu not found on PATH" in reason
    assert "getconf: getconf not found on PATH" in reason
    text = hw.render_text(hw.HardwareReport(caches=info))
    assert f"caches  unknown ({reason})" in text


def test_whole_probe_on_an_empty_root_without_tools_or_nvml(tmp_path, no_tools, make_nvml):
    nvml = make_nvml(fail={"nvmlInit": "NVML Shared Library Not Found"})
    report = hw.probe(root=str(tmp_path), nvml=nvml)
    assert (
        report.cpu.model_name is None
        and "/proc/cpuinfo does not exist" in (report.cpu.reasons["model_name"])
    )
    assert report.perf.perf_path is None
    assert report.perf.reasons["perf_path"] == "perf not found on PATH"
    assert report.perf.can_count is False
    assert report.gpu.devices == []
    assert "libnvidia-ml.so not found" in report.gpu.none_reason
    assert "nvidia-smi not found on PATH" in report.gpu.none_reason
    assert "numa_nodes" in report.memory.reasons
    text = hw.render_text(report)
    markdown = hw.render_markdown(report)
    data = json.loads(report.to_json())
    assert "unknown (/proc/cpuinfo does not exist" in text
    assert "verdict   perf unusable: perf not found on PATH" in text
    assert "None: NVML: libnvidia-ml.so not found" in markdown
    assert data["perf"]["reasons"]["perf_path"] == "perf not found on PATH"
    assert len(report.fingerprint) == 12


@pytest.mark.parametrize(
    ("fail", "expected"),
    [
        ({"nvmlInit": "Driver Not Loaded"}, "NVML: NVIDIA driver not loaded"),
        ({"nvmlInit": "Unknown Error"}, "NVML: Unknown Error"),
        ({"nvmlDeviceGetCount": "GPU is lost"}, "NVML: GPU is lost"),
    ],
)
def test_nvml_errors_become_reasons(make_nvml, no_tools, fail, expected):
    info = gpu.read_gpus("/nonexistent-root", make_nvml(fail=fail))
    assert info.devices == []
    assert info.none_reason.startswith(expected)
    assert "nvidia-smi not found on PATH" in info.none_reason


def test_nvml_with_no_device(make_nvml, no_tools):
    info = gpu.read_gpus("/nonexistent-root", make_nvml(devices=[]))
    assert "driver loaded but no NVIDIA device found" in info.none_reason


def test_one_failing_nvml_query_leaves_only_that_field_unknown(make_nvml):
    nvml = make_nvml(fail={"nvmlDeviceGetNumGpuCores": "Not Supported"})
    info, _ = gpu.read_nvml(nvml)
    (device,) = info.devices
    assert device.sm_count is None
    assert device.reasons["sm_count"] == "NVML: Not Supported"
    assert device.name == "NVIDIA GeForce RTX 4090"
    assert device.pcie.bandwidth_max_gbs == pytest.approx(31.5, abs=0.05)
    text = hw.render_text(hw.HardwareReport(gpu=info))
    assert "unknown (NVML: Not Supported) SMs" in text
    assert "max gen4 x16 (31.5 GB/s/direction" in text


def test_nvidia_ml_py_missing(monkeypatch, no_tools):
    import builtins

    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "pynvml":
            raise ImportError("No module named 'pynvml'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    info = gpu.read_gpus("/nonexistent-root")
    assert info.none_reason.startswith("nvidia-ml-py not installed")


def test_crashing_collector_leaves_the_section_unknown(monkeypatch):
    from accel.hardware import cpu

    def boom(*args, **kwargs):
        raise RuntimeError("sysfs exploded")

    monkeypatch.setattr(cpu, "read_cpu", boom)
    report = hw.probe()
    assert report.cpu.model_name is None
    assert report.cpu.reasons["*"] == "CPU probe failed: RuntimeError: sysfs exploded"
    assert "unknown (CPU probe failed: RuntimeError: sysfs exploded)" in hw.render_text(report)
    assert report.host.usable_cpus is not None  # other sections unaffected


def test_perf_refused_by_paranoid_setting(monkeypatch, tmp_path):
    refusal = (FIXTURES / "perf_stat_paranoid_denied.txt").read_text()

    def fake_run(argv, timeout=10.0):
        if argv[1] == "--version":
            return subprocess.CompletedProcess(["/usr/bin/perf", "--version"], 0,
                                               "perf version 6.8\n", ""), None  # fmt: skip
        return subprocess.CompletedProcess(argv, 255, "", refusal), None

    monkeypatch.setattr(perf, "run", fake_run)
    (tmp_path / "proc/sys/kernel").mkdir(parents=True)
    (tmp_path / "proc/sys/kernel/perf_event_paranoid").write_text("4\n")
    info = perf.read_perf(str(tmp_path))
    assert info.paranoid == 4
    assert info.version == "6.8"
    assert info.can_count is False
    assert "exit 255" in info.summary and "Error:" in info.summary
    assert info.events == {e: "missing" for e in perf.EVENTS}


def test_perf_wrapper_that_cannot_find_the_kernel_tool(monkeypatch):
    def fake_run(argv, timeout=10.0):
        return subprocess.CompletedProcess(
            argv, 2, "", "WARNING: perf not found for kernel 6.18.44\n"
        ), None

    monkeypatch.setattr(perf, "run", fake_run)
    info = perf.read_perf("/nonexistent-root")
    assert info.version is None
    assert "WARNING: perf not found for kernel" in info.reasons["version"]
    assert info.can_count is False
    assert "paranoid" in info.reasons


@pytest.mark.parametrize(
    ("fixture", "can_count"),
    [("perf_stat_kvm_guest.csv", False), ("perf_stat_baremetal_all_counted.csv", True)],
)
def test_can_count_means_a_hardware_event_counts(monkeypatch, fixture, can_count):
    """A VM whose perf counts task-clock alone cannot count a cache miss: can_count is False."""
    recorded = (FIXTURES / fixture).read_text()

    def fake_run(argv, timeout=10.0):
        if argv[1] == "--version":
            return subprocess.CompletedProcess(argv, 0, "perf version 6.1.187\n", ""), None
        Path(argv[argv.index("-o") + 1]).write_text(recorded)
        return subprocess.CompletedProcess(argv, 0, "", ""), None

    monkeypatch.setattr(perf, "run", fake_run)
    monkeypatch.setenv("ACCEL_PERF", sys.executable)  # any executable file: run is faked
    info = perf.read_perf("/nonexistent-root")
    assert info.events["task-clock"] == "counted"
    assert info.can_count is can_count
    assert (info.events["cache-misses"] == "counted") is can_count

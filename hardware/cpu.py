"""CPU identity, core counts and clock frequencies.

Sources, in order of trust: /proc/cpuinfo and sysfs cpufreq (Linux), psutil,
``lscpu -J``, ``sysctl`` (macOS), and archspec for the microarchitecture name.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import re

from .report import CpuInfo
from .sysread import read_stripped, read_text, run

# (implementer, part) -> core name, for Arm /proc/cpuinfo which carries no model name.
ARM_PARTS: dict[tuple[str, str], str] = {
    ("0x41", "0xd03"): "Cortex-A53",
    ("0x41", "0xd05"): "Cortex-A55",
    ("0x41", "0xd07"): "Cortex-A57",
    ("0x41", "0xd08"): "Cortex-A72",
    ("0x41", "0xd0b"): "Cortex-A76",
    ("0x41", "0xd0c"): "Neoverse-N1",
    ("0x41", "0xd0d"): "Cortex-A77",
    ("0x41", "0xd40"): "Neoverse-V1",
    ("0x41", "0xd41"): "Cortex-A78",
    ("0x41", "0xd44"): "Cortex-X1",
    ("0x41", "0xd49"): "Neoverse-N2",
    ("0x41", "0xd4f"): "Neoverse-V2",
    ("0x41", "0xd8e"): "Neoverse-N3",
    ("0x41", "0xd84"): "Neoverse-V3",
    ("0xc0", "0xac3"): "Ampere-1",
    ("0xc0", "0xac4"): "Ampere-1a",
    ("0x46", "0x001"): "A64FX",
}
ARM_IMPLEMENTERS = {
    "0x41": "ARM",
    "0x42": "Broadcom",
    "0x43": "Cavium",
    "0x46": "Fujitsu",
    "0x48": "HiSilicon",
    "0x4e": "NVIDIA",
    "0x51": "Qualcomm",
    "0x61": "Apple",
    "0xc0": "Ampere",
}


def parse_cpuinfo(text: str) -> list[dict[str, str]]:
    """Split /proc/cpuinfo text into one dict per processor block (keys as the kernel writes them).

    Blocks without a "processor" key (the trailing "Hardware:" block on some Arm
    kernels) are kept, so callers may look for machine-wide keys there too.
    """
    blocks: list[dict[str, str]] = []
    current: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            if current:
                blocks.append(current)
                current = {}
            continue
        key, sep, value = line.partition(":")
        if sep:
            current[key.strip()] = value.strip()
    if current:
        blocks.append(current)
    return blocks


def processors(blocks: list[dict[str, str]]) -> list[dict[str, str]]:
    """Only the per-processor blocks of parse_cpuinfo output."""
    return [b for b in blocks if "processor" in b]


def first_value(blocks: list[dict[str, str]], *keys: str) -> str | None:
    """The first non-empty value of any of ``keys`` in any block."""
    for block in blocks:
        for key in keys:
            if block.get(key):
                return block[key]
    return None


def cpuinfo_flags(blocks: list[dict[str, str]]) -> list[str]:
    """CPU feature flags: x86 "flags" or Arm "Features", from the first processor that has them."""
    value = first_value(blocks, "flags", "Features")
    return value.split() if value else []


def arm_model_name(blocks: list[dict[str, str]]) -> str | None:
    """A readable core name from Arm "CPU implementer"/"CPU part" ids, e.g. "ARM Neoverse-N1"."""
    impl = first_value(blocks, "CPU implementer")
    part = first_value(blocks, "CPU part")
    if impl is None:
        return None
    impl, part = impl.lower(), (part or "").lower()
    vendor = ARM_IMPLEMENTERS.get(impl, f"implementer {impl}")
    core = ARM_PARTS.get((impl, part), f"part {part}" if part else None)
    return f"{vendor} {core}" if core else vendor


def count_topology(blocks: list[dict[str, str]]) -> tuple[int | None, int | None]:
    """(physical cores, sockets) from "physical id"/"core id" pairs; None where absent."""
    procs = processors(blocks)
    pairs = {(p.get("physical id"), p.get("core id")) for p in procs}
    if not procs or any(None in pair for pair in pairs):
        return None, None
    sockets = len({p.get("physical id") for p in procs})
    return len(pairs), sockets


def parse_frequency_from_model(model_name: str) -> float | None:
    """Nominal clock in MHz from a model string such as "Xeon(R) Gold 6130 CPU @ 2.10GHz"."""
    match = re.search(r"@\s*([0-9.]+)\s*([GM])Hz", model_name)
    if not match:
        return None
    value = float(match.group(1))
    return value * 1000.0 if match.group(2) == "G" else value


def parse_lscpu_json(text: str) -> dict[str, str]:
    """Flatten ``lscpu -J`` output into {"Model name": "...", ...} (nested children included)."""
    data = json.loads(text)
    out: dict[str, str] = {}

    def walk(entries: list[dict]) -> None:
        for entry in entries:
            name = str(entry.get("field", "")).rstrip(":").strip()
            if name and entry.get("data") is not None:
                out.setdefault(name, str(entry["data"]))
            walk(entry.get("children", []))

    walk(data.get("lscpu", []))
    return out


def read_lscpu() -> tuple[dict[str, str] | None, str | None]:
    """``lscpu -J`` fields, or None and why (missing tool, failure, unparsable output)."""
    done, why = run(["lscpu", "-J"], timeout=5)
    if done is None:
        return None, why
    if done.returncode != 0:
        return None, f"lscpu -J failed: {done.stderr.strip()[:200]}"
    try:
        return parse_lscpu_json(done.stdout), None
    except (ValueError, AttributeError) as exc:
        return None, f"lscpu -J output not understood ({exc})"


def microarchitecture() -> tuple[str | None, str | None]:
    """archspec's name for this CPU's microarchitecture (e.g. "icelake"), or None and why."""
    try:
        import archspec.cpu  # optional
    except ImportError:
        return None, "archspec not installed (pip install archspec)"
    try:
        return str(archspec.cpu.host().name), None
    except Exception as exc:  # archspec raises assorted errors on unusual CPUs
        return None, f"archspec could not identify the CPU ({type(exc).__name__}: {exc})"


def _sysctl(name: str) -> str | None:
    done, _ = run(["sysctl", "-n", name], timeout=5)
    if done is None or done.returncode != 0:
        return None
    return done.stdout.strip() or None


def _read_cpufreq(root: str, info: CpuInfo) -> None:
    base = "/sys/devices/system/cpu/cpu0/cpufreq"
    max_khz, why = read_stripped(root, f"{base}/cpuinfo_max_freq")
    missing = why
    if max_khz and max_khz.isdigit():
        info.max_mhz = int(max_khz) / 1000.0
    base_khz, _ = read_stripped(root, f"{base}/base_frequency")
    if base_khz and base_khz.isdigit():
        info.base_mhz = int(base_khz) / 1000.0
    cur_khz, _ = read_stripped(root, f"{base}/scaling_cur_freq")
    if cur_khz and cur_khz.isdigit():
        info.current_mhz = int(cur_khz) / 1000.0
    governor, why = read_stripped(root, f"{base}/scaling_governor")
    info.governor = governor
    if governor is None:
        info.reasons["governor"] = (
            f"{why}: no cpufreq driver (usual in a virtual machine)"
            if missing and "does not exist" in missing
            else why or "unreadable"
        )


def read_cpu(root: str = "/", use_psutil: bool = True) -> CpuInfo:
    """Collect CpuInfo from the live system (or a fake tree under ``root``)."""
    info = CpuInfo(architecture=platform.machine() or None)
    reasons = info.reasons
    text, why_cpuinfo = read_text(root, "/proc/cpuinfo")
    blocks = parse_cpuinfo(text) if text else []
    procs = processors(blocks)

    info.vendor = first_value(blocks, "vendor_id")
    info.model_name = first_value(blocks, "model name", "cpu model", "Processor")
    info.family = first_value(procs, "cpu family")
    info.model = first_value(procs, "model")
    info.stepping = first_value(procs, "stepping")
    if first_value(blocks, "CPU implementer"):
        arm = arm_model_name(blocks)
        info.vendor = info.vendor or (arm.split()[0] if arm else None)
        # Arm kernels may print a generic "model name : ARMv8 Processor rev 1"; prefer the part id.
        if info.model_name is None or info.model_name.startswith("ARMv"):
            info.model_name = arm or info.model_name
        info.model = info.model or first_value(procs, "CPU part")

    physical, sockets = count_topology(blocks)
    info.logical_cores = len(procs) or os.cpu_count()
    info.sockets = sockets
    info.physical_cores = physical

    lscpu: dict[str, str] | None = None
    if info.model_name is None or info.physical_cores is None:
        lscpu, why_lscpu = read_lscpu() if root == "/" else (None, "not on the live system")
        if lscpu:
            info.model_name = info.model_name or lscpu.get("Model name")
            info.vendor = info.vendor or lscpu.get("Vendor ID")
            try:
                per_core = int(lscpu.get("Thread(s) per core", "0"))
                socks = int(lscpu.get("Socket(s)", lscpu.get("Cluster(s)", "0")))
                cores = int(lscpu.get("Core(s) per socket", lscpu.get("Core(s) per cluster", "0")))
                if info.physical_cores is None and per_core and cores:
                    info.physical_cores = cores * max(socks, 1)
                    info.sockets = info.sockets or socks or None
            except ValueError:
                pass
    if info.model_name is None and platform.system() == "Darwin":
        info.model_name = _sysctl("machdep.cpu.brand_string")
    if info.model_name is None:
        reasons["model_name"] = why_cpuinfo or "neither /proc/cpuinfo nor lscpu name the CPU"

    if use_psutil:
        try:
            import psutil

            info.physical_cores = psutil.cpu_count(logical=False) or info.physical_cores
            info.logical_cores = psutil.cpu_count(logical=True) or info.logical_cores
        except Exception:  # psutil missing or unsupported platform: keep the cpuinfo counts
            pass
    if info.physical_cores is None:
        reasons["physical_cores"] = "no core ids in /proc/cpuinfo and psutil could not tell"
    if info.sockets is None:
        reasons["sockets"] = "no 'physical id' in /proc/cpuinfo"

    _read_cpufreq(root, info)
    if info.current_mhz is None:
        mhz = first_value(procs, "cpu MHz")
        with contextlib.suppress(ValueError):
            info.current_mhz = float(mhz) if mhz else None
    if use_psutil and (info.current_mhz is None or info.max_mhz is None):
        try:
            import psutil

            freq = psutil.cpu_freq()
            if freq:
                info.current_mhz = info.current_mhz or (freq.current or None)
                info.max_mhz = info.max_mhz or (freq.max or None)
        except Exception:  # psutil.cpu_freq is missing or raises on some platforms
            pass
    if info.base_mhz is None and info.model_name:
        info.base_mhz = parse_frequency_from_model(info.model_name)
    no_freq = "no cpufreq in sysfs and the model name carries no clock (usual in a VM)"
    for name in ("base_mhz", "max_mhz", "current_mhz"):
        if getattr(info, name) is None:
            reasons[name] = no_freq

    arch, why = microarchitecture()
    info.microarchitecture = arch
    if arch is None:
        reasons["microarchitecture"] = why or "unknown"
    return info

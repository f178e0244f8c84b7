"""NVIDIA GPUs via NVML (nvidia-ml-py), with ``nvidia-smi --query-gpu`` as fallback.

When there is no GPU the report says why, in words a person can act on:
nvidia-ml-py not installed, NVML library missing (no driver), driver not
loaded, no device, nvidia-smi not on PATH.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
from collections.abc import Callable
from typing import Any

from .report import GpuDevice, GpuInfo, PcieLink
from .sysread import run, under

# PCIe generation -> (GT/s per lane, payload fraction of the line code).
# Gen1/2 use 8b/10b, gen3-5 use 128b/130b; gen6 uses PAM4 with 256-byte FLITs,
# of which 242 bytes are not FEC/CRC (DLLP/TLP framing inside the FLIT is ignored).
PCIE_GENERATIONS: dict[int, tuple[float, float]] = {
    1: (2.5, 8 / 10),
    2: (5.0, 8 / 10),
    3: (8.0, 128 / 130),
    4: (16.0, 128 / 130),
    5: (32.0, 128 / 130),
    6: (64.0, 242 / 256),
}
# CUDA cores per SM by compute capability major.minor (for SM count from NVML's core count).
_CORES_PER_SM = {
    "3": 192, "5": 128, "6.0": 64, "6": 128, "7": 64, "8.0": 64, "8": 128, "9": 128,
    "10": 128, "12": 128,
}  # fmt: skip
NVIDIA_SMI_FIELDS = [
    "index",
    "name",
    "uuid",
    "compute_cap",
    "memory.total",
    "clocks.max.sm",
    "clocks.max.memory",
    "power.limit",
    "driver_version",
    "pcie.link.gen.current",
    "pcie.link.gen.max",
    "pcie.link.width.current",
    "pcie.link.width.max",
]


def pcie_bandwidth_gbs(generation: int | None, width: int | None) -> float | None:
    """Theoretical one-direction PCIe bandwidth in GB/s (10^9 bytes/s).

    GT/s per lane x lanes x line-code efficiency / 8 bits:
    gen4 x16 = 16 x 16 x 128/130 / 8 = 31.5 GB/s.

    >>> round(pcie_bandwidth_gbs(4, 16), 2)
    31.51
    """
    if generation is None or width is None or generation not in PCIE_GENERATIONS or width <= 0:
        return None
    rate, efficiency = PCIE_GENERATIONS[generation]
    return rate * width * efficiency / 8.0


def make_pcie_link(
    gen_current: int | None, width_current: int | None, gen_max: int | None, width_max: int | None
) -> PcieLink:
    """A PcieLink with both theoretical bandwidths filled in."""
    return PcieLink(
        gen_current=gen_current,
        width_current=width_current,
        gen_max=gen_max,
        width_max=width_max,
        bandwidth_current_gbs=pcie_bandwidth_gbs(gen_current, width_current),
        bandwidth_max_gbs=pcie_bandwidth_gbs(gen_max, width_max),
    )


def sm_count_from_cores(cores: int | None, compute_capability: str | None) -> int | None:
    """SMs implied by NVML's CUDA core count and the cores per SM of that architecture."""
    if not cores or not compute_capability:
        return None
    per_sm = _CORES_PER_SM.get(compute_capability) or _CORES_PER_SM.get(
        compute_capability.split(".")[0]
    )
    return cores // per_sm if per_sm else None


def format_cuda_version(value: int) -> str:
    """NVML's integer CUDA driver version as text: 12040 -> "12.4"."""
    return f"{value // 1000}.{(value % 1000) // 10}"


def _number(text: str) -> float | None:
    match = re.search(r"[-+]?[0-9]*\.?[0-9]+", text)
    if not match or text.strip().startswith("[") or "N/A" in text:
        return None
    return float(match.group(0))


def parse_nvidia_smi_csv(text: str, fields: list[str]) -> tuple[list[GpuDevice], str | None]:
    """GpuDevices and the driver version from ``nvidia-smi --query-gpu=<fields> --format=csv``.

    Accepts output with or without the header line and with or without units
    ("16384 MiB", "300.00 W"); "[N/A]" and "[Not Supported]" become unknown.
    """
    rows = list(csv.reader(io.StringIO(text.strip()), skipinitialspace=True))
    if rows and rows[0] and rows[0][0].strip().lower().startswith("index"):
        rows = rows[1:]
    devices: list[GpuDevice] = []
    driver: str | None = None
    for row in rows:
        if len(row) < len(fields):
            continue
        values = {f: v.strip() for f, v in zip(fields, row, strict=False)}
        dev = GpuDevice(index=int(values.get("index", len(devices))))
        dev.name = values.get("name") or None
        dev.uuid = values.get("uuid") or None
        cc = values.get("compute_cap", "")
        dev.compute_capability = cc if re.fullmatch(r"\d+\.\d+", cc) else None
        mem = _number(values.get("memory.total", ""))
        dev.memory_total_bytes = int(mem * 1024**2) if mem is not None else None
        dev.sm_clock_max_mhz = _number(values.get("clocks.max.sm", ""))
        dev.memory_clock_max_mhz = _number(values.get("clocks.max.memory", ""))
        dev.power_limit_w = _number(values.get("power.limit", ""))

        def as_int(key: str, values: dict[str, str] = values) -> int | None:
            number = _number(values.get(key, ""))
            return int(number) if number is not None else None

        dev.pcie = make_pcie_link(
            as_int("pcie.link.gen.current"),
            as_int("pcie.link.width.current"),
            as_int("pcie.link.gen.max"),
            as_int("pcie.link.width.max"),
        )
        for key in ("name", "uuid", "compute_capability", "memory_total_bytes", "power_limit_w"):
            if getattr(dev, key) is None:
                dev.reasons[key] = "nvidia-smi reported no value"
        dev.reasons["sm_count"] = "nvidia-smi does not report the SM count"
        driver = driver or values.get("driver_version") or None
        devices.append(dev)
    return devices, driver


def parse_nvidia_smi_cuda_version(text: str) -> str | None:
    """The "CUDA Version: 12.4" of plain ``nvidia-smi`` output."""
    match = re.search(r"CUDA Version:\s*([0-9.]+)", text)
    return match.group(1) if match else None


def nvml_device(nvml: Any, index: int) -> GpuDevice:
    """One GpuDevice from NVML; each failed query leaves its field unknown with NVML's message."""
    dev = GpuDevice(index=index)
    handle = nvml.nvmlDeviceGetHandleByIndex(index)

    def ask(field: str, call: Callable[[], Any]) -> Any:
        try:
            return call()
        except Exception as exc:  # NVMLError_NotSupported, NoPermission, GpuIsLost, ...
            dev.reasons[field] = f"NVML: {exc}"
            return None

    def text(value: Any) -> str | None:
        return value.decode() if isinstance(value, bytes) else (str(value) if value else None)

    dev.name = text(ask("name", lambda: nvml.nvmlDeviceGetName(handle)))
    dev.uuid = text(ask("uuid", lambda: nvml.nvmlDeviceGetUUID(handle)))
    cc = ask("compute_capability", lambda: nvml.nvmlDeviceGetCudaComputeCapability(handle))
    dev.compute_capability = f"{cc[0]}.{cc[1]}" if cc else None
    mem = ask("memory_total_bytes", lambda: nvml.nvmlDeviceGetMemoryInfo(handle))
    dev.memory_total_bytes = int(mem.total) if mem is not None else None
    sm = ask("sm_clock_max_mhz", lambda: nvml.nvmlDeviceGetMaxClockInfo(handle, nvml.NVML_CLOCK_SM))
    dev.sm_clock_max_mhz = float(sm) if sm else None
    mc = ask(
        "memory_clock_max_mhz", lambda: nvml.nvmlDeviceGetMaxClockInfo(handle, nvml.NVML_CLOCK_MEM)
    )
    dev.memory_clock_max_mhz = float(mc) if mc else None
    power = ask("power_limit_w", lambda: nvml.nvmlDeviceGetEnforcedPowerLimit(handle))
    dev.power_limit_w = power / 1000.0 if power else None
    cores = ask("sm_count", lambda: nvml.nvmlDeviceGetNumGpuCores(handle))
    dev.sm_count = sm_count_from_cores(cores, dev.compute_capability)
    if dev.sm_count is None:
        dev.reasons.setdefault("sm_count", "NVML core count or compute capability unknown")
    dev.pcie = make_pcie_link(
        ask("pcie", lambda: nvml.nvmlDeviceGetCurrPcieLinkGeneration(handle)),
        ask("pcie", lambda: nvml.nvmlDeviceGetCurrPcieLinkWidth(handle)),
        ask("pcie", lambda: nvml.nvmlDeviceGetMaxPcieLinkGeneration(handle)),
        ask("pcie", lambda: nvml.nvmlDeviceGetMaxPcieLinkWidth(handle)),
    )
    return dev


def read_nvml(nvml: Any = None) -> tuple[GpuInfo | None, str]:
    """GpuInfo from NVML, or None and why NVML gave nothing.

    ``nvml`` is the pynvml module (tests pass a fake); by default it is imported here.
    """
    if nvml is None:
        try:
            import pynvml as nvml
        except ImportError:
            return None, "nvidia-ml-py not installed (pip install nvidia-ml-py)"
    try:
        nvml.nvmlInit()
    except Exception as exc:
        message = str(exc) or type(exc).__name__
        if "Library Not Found" in message:
            return None, "NVML: libnvidia-ml.so not found (no NVIDIA driver installed)"
        if "Driver Not Loaded" in message:
            return None, "NVML: NVIDIA driver not loaded (is the kernel module loaded?)"
        return None, f"NVML: {message}"
    try:
        count = int(nvml.nvmlDeviceGetCount())
        if count == 0:
            return None, "NVML: driver loaded but no NVIDIA device found"
        info = GpuInfo(source="NVML")
        try:
            version = nvml.nvmlSystemGetDriverVersion()
            info.driver_version = version.decode() if isinstance(version, bytes) else str(version)
        except Exception as exc:
            info.reasons["driver_version"] = f"NVML: {exc}"
        try:
            info.cuda_driver_version = format_cuda_version(
                int(nvml.nvmlSystemGetCudaDriverVersion_v2())
            )
        except Exception as exc:
            info.reasons["cuda_driver_version"] = f"NVML: {exc}"
        for index in range(count):
            try:
                info.devices.append(nvml_device(nvml, index))
            except Exception as exc:
                device = GpuDevice(index=index)
                device.reasons["*"] = f"NVML: {exc}"
                info.devices.append(device)
        return info, ""
    except Exception as exc:
        return None, f"NVML: {exc}"
    finally:
        with contextlib.suppress(Exception):  # a failed shutdown changes nothing we report
            nvml.nvmlShutdown()


def read_nvidia_smi() -> tuple[GpuInfo | None, str]:
    """GpuInfo from ``nvidia-smi --query-gpu``, or None and why."""
    fields = list(NVIDIA_SMI_FIELDS)
    query = ["nvidia-smi", f"--query-gpu={','.join(fields)}", "--format=csv,noheader,nounits"]
    done, why = run(query, timeout=15)
    if done is None:
        return None, why or "nvidia-smi failed"
    if done.returncode != 0 and "compute_cap" in (done.stdout + done.stderr):
        fields.remove("compute_cap")  # drivers before ~510 do not know this field
        query[1] = f"--query-gpu={','.join(fields)}"
        done, why = run(query, timeout=15)
        if done is None:
            return None, why or "nvidia-smi failed"
    if done.returncode != 0:
        message = (done.stdout + done.stderr).strip().splitlines()
        return None, f"nvidia-smi: {message[0] if message else f'exit status {done.returncode}'}"
    devices, driver = parse_nvidia_smi_csv(done.stdout, fields)
    if not devices:
        return None, "nvidia-smi lists no GPU"
    info = GpuInfo(devices=devices, driver_version=driver, source="nvidia-smi")
    plain, _ = run(["nvidia-smi"], timeout=15)
    info.cuda_driver_version = parse_nvidia_smi_cuda_version(plain.stdout) if plain else None
    if info.cuda_driver_version is None:
        info.reasons["cuda_driver_version"] = "not in nvidia-smi's header"
    return info, ""


def read_gpus(root: str = "/", nvml: Any = None) -> GpuInfo:
    """NVIDIA GPUs from NVML, else nvidia-smi; with none, ``none_reason`` joins every reason."""
    info, why_nvml = read_nvml(nvml)
    if info is not None:
        return info
    info, why_smi = read_nvidia_smi()
    if info is not None:
        info.reasons["source"] = f"NVML unavailable ({why_nvml}); used nvidia-smi"
        return info
    reasons = [why_nvml, why_smi]
    if not under(root, "/dev/nvidia0").exists() and not under(root, "/proc/driver/nvidia").exists():
        reasons.append("no /dev/nvidia0 or /proc/driver/nvidia")
    return GpuInfo(none_reason="; ".join(r for r in reasons if r))

"""NVIDIA GPUs via NVML (nvidia-ml-py), with ``nvidia-smi --query-gpu`` as fallback.

Beside what a GPU is (model, memory, clocks, PCIe link, rated memory bandwidth), NVML
says what decides whether a figure taken on it can be trusted, as ``nvidia-smi -q``
shows it: ECC and MIG mode, persistence and compute mode, the NUMA node it hangs off,
NVLink, and its state now (temperature, clock-throttle reasons, other processes and
their memory; :func:`device_state`, read before and after each GPU run).

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

from .report import GpuDevice, GpuInfo, GpuProcess, GpuState, PcieLink
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


#: NVML's clock-event (throttle) reason bits, named as nvidia-smi -q names them.
THROTTLE_REASONS: dict[int, str] = {
    0x1: "gpu_idle",
    0x2: "applications_clocks_setting",
    0x4: "sw_power_cap",
    0x8: "hw_slowdown",
    0x10: "sync_boost",
    0x20: "sw_thermal_slowdown",
    0x40: "hw_thermal_slowdown",
    0x80: "hw_power_brake_slowdown",
    0x100: "display_clock_setting",
}
#: Reasons that mean a figure was taken below the GPU's clocks (idle is not one).
SLOWING_REASONS = frozenset(
    ["sw_power_cap", "hw_slowdown", "sw_thermal_slowdown", "hw_thermal_slowdown",
     "hw_power_brake_slowdown"]
)  # fmt: skip
COMPUTE_MODES = {0: "Default", 1: "Exclusive_Thread", 2: "Prohibited", 3: "Exclusive_Process"}
NVLINK_MAX_LINKS = 18  # NVML_NVLINK_MAX_LINKS
NVML_TEMPERATURE_GPU = 0


def throttle_reason_names(mask: int) -> list[str]:
    """The names of the reasons set in NVML's bit mask; unknown bits by value.

    >>> throttle_reason_names(0x4 | 0x20)
    ['sw_power_cap', 'sw_thermal_slowdown']
    """
    names = [name for bit, name in THROTTLE_REASONS.items() if mask & bit]
    unknown = mask & ~sum(THROTTLE_REASONS)
    return names + ([f"unknown_0x{unknown:x}"] if unknown else [])


def memory_rated_gbs(memory_clock_mhz: float | None, bus_width_bits: int | None) -> float | None:
    """Rated memory bandwidth in GB/s: two transfers per memory clock over the bus.

    NVML's memory clock for GDDR and HBM is half the transfer rate:
    RTX 4090, 10501 MHz x 2 x 384 bits / 8 = 1008 GB/s; A100 40GB, 1215 MHz x 2 x 5120 / 8
    = 1555 GB/s (both the rated figures).

    >>> round(memory_rated_gbs(10501, 384))
    1008
    """
    if not memory_clock_mhz or not bus_width_bits:
        return None
    return memory_clock_mhz * 1e6 * 2 * bus_width_bits / 8 / 1e9


def _enabled(value: Any) -> str | None:
    if value is None:
        return None
    return "enabled" if int(value) else "disabled"


def nvml_state(nvml: Any, handle: Any) -> GpuState:
    """Temperature, SM clock, throttle reasons and the processes on the device, now."""
    state = GpuState()

    def ask(field: str, call: Callable[[], Any]) -> Any:
        try:
            return call()
        except Exception as exc:
            state.reasons[field] = f"NVML: {exc}"
            return None

    temperature = ask(
        "temperature_c", lambda: nvml.nvmlDeviceGetTemperature(handle, NVML_TEMPERATURE_GPU)
    )
    state.temperature_c = float(temperature) if temperature is not None else None
    clock = ask("sm_clock_mhz", lambda: nvml.nvmlDeviceGetClockInfo(handle, nvml.NVML_CLOCK_SM))
    state.sm_clock_mhz = float(clock) if clock is not None else None
    reasons = getattr(nvml, "nvmlDeviceGetCurrentClocksEventReasons", None) or getattr(
        nvml, "nvmlDeviceGetCurrentClocksThrottleReasons", None
    )
    mask = ask("throttle_reasons", lambda: reasons(handle))  # type: ignore[misc]
    state.throttle_reasons = throttle_reason_names(int(mask)) if mask is not None else []
    running = ask("processes", lambda: nvml.nvmlDeviceGetComputeRunningProcesses(handle))
    for process in running or []:
        pid = int(process.pid)
        name = None
        with contextlib.suppress(Exception):
            raw = nvml.nvmlSystemGetProcessName(pid)
            name = raw.decode() if isinstance(raw, bytes) else str(raw)
        used = getattr(process, "usedGpuMemory", None)
        state.processes.append(GpuProcess(pid, name, int(used) if used is not None else None))
    return state


def device_state(index: int = 0, nvml: Any = None) -> GpuState | None:
    """GPU ``index``'s state now through NVML (for the record of a GPU run, before and
    after it), or None where NVML cannot be asked."""
    if nvml is None:
        try:
            import pynvml as nvml
        except ImportError:
            return None
    try:
        nvml.nvmlInit()
    except Exception:
        return None
    try:
        return nvml_state(nvml, nvml.nvmlDeviceGetHandleByIndex(index))
    except Exception:
        return None
    finally:
        with contextlib.suppress(Exception):
            nvml.nvmlShutdown()


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


def nvml_device(nvml: Any, index: int, root: str = "/") -> GpuDevice:
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
    dev.pcie = nvml_pcie_link(nvml, handle, ask)
    bus = ask("memory_bus_width_bits", lambda: nvml.nvmlDeviceGetMemoryBusWidth(handle))
    dev.memory_bus_width_bits = int(bus) if bus else None
    dev.memory_rated_gbs = memory_rated_gbs(dev.memory_clock_max_mhz, dev.memory_bus_width_bits)
    ecc = ask("ecc_mode", lambda: nvml.nvmlDeviceGetEccMode(handle))
    dev.ecc_mode = _enabled(ecc[0]) if ecc is not None else None
    mig = ask("mig_mode", lambda: nvml.nvmlDeviceGetMigMode(handle))
    dev.mig_mode = _enabled(mig[0]) if mig is not None else None
    dev.persistence_mode = _enabled(
        ask("persistence_mode", lambda: nvml.nvmlDeviceGetPersistenceMode(handle))
    )
    mode = ask("compute_mode", lambda: nvml.nvmlDeviceGetComputeMode(handle))
    dev.compute_mode = COMPUTE_MODES.get(int(mode), str(mode)) if mode is not None else None
    pci = ask("numa_node", lambda: nvml.nvmlDeviceGetPciInfo(handle))
    if pci is not None:
        dev.numa_node = _numa_node(root, text(pci.busId) or "", dev.reasons)
    dev.nvlinks_active = _nvlinks_active(nvml, handle, dev.reasons)
    dev.state = nvml_state(nvml, handle)
    return dev


def nvml_pcie_link(
    nvml: Any, handle: Any, ask: Callable[[str, Callable[[], Any]], Any]
) -> PcieLink:
    """The PCIe link's generation and width, current and maximum, as NVML reads them now."""
    return make_pcie_link(
        ask("pcie", lambda: nvml.nvmlDeviceGetCurrPcieLinkGeneration(handle)),
        ask("pcie", lambda: nvml.nvmlDeviceGetCurrPcieLinkWidth(handle)),
        ask("pcie", lambda: nvml.nvmlDeviceGetMaxPcieLinkGeneration(handle)),
        ask("pcie", lambda: nvml.nvmlDeviceGetMaxPcieLinkWidth(handle)),
    )


def _numa_node(root: str, bus_id: str, reasons: dict[str, str]) -> int | None:
    """The NUMA node the GPU hangs off, from sysfs (NVML's bus id 00000000:3B:00.0 is
    sysfs's 0000:3b:00.0); -1 there means the platform does not say."""
    address = bus_id.lower()[-12:]
    path = under(root, f"/sys/bus/pci/devices/{address}/numa_node")
    try:
        node = int(path.read_text().strip())
    except (OSError, ValueError) as exc:
        reasons["numa_node"] = f"{path}: {exc}"
        return None
    if node < 0:
        reasons["numa_node"] = "the platform reports no NUMA node for this device (one node)"
        return None
    return node


def _nvlinks_active(nvml: Any, handle: Any, reasons: dict[str, str]) -> int | None:
    """How many NVLink links are active; None (with NVML's reason) where there is none."""
    active = 0
    for link in range(NVLINK_MAX_LINKS):
        try:
            active += int(bool(nvml.nvmlDeviceGetNvLinkState(handle, link)))
        except Exception as exc:
            if link == 0:
                reasons["nvlinks_active"] = f"NVML: {exc}"
                return None
            break
    return active


def read_nvml(nvml: Any = None, root: str = "/") -> tuple[GpuInfo | None, str]:
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
                info.devices.append(nvml_device(nvml, index, root))
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
    info, why_nvml = read_nvml(nvml, root)
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

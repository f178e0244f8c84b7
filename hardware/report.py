"""The typed hardware report: dataclasses, JSON conversion and the fingerprint.

Unknown-value convention (used by every section): a field that could not be
determined is ``None`` and the section's ``reasons`` dict maps that field's name
to a sentence saying why (``reasons["max_mhz"] = "no cpufreq in sysfs ..."``).
A whole section that failed carries ``reasons["*"]``. Renderers print
``unknown (<reason>)`` for such fields, so nothing is silently blank.

Example::

    >>> from accel.hardware import probe
    >>> report = probe()
    >>> report.fingerprint          # e.g. '3fa2c1d9e0b7'
    >>> report.to_dict()["cpu"]["model_name"]
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Union

SCHEMA_VERSION = 1
"""Version of the report's JSON layout; bumped when a field changes meaning or is removed."""

FINGERPRINT_LENGTH = 12
GIB = 1024**3


@dataclass
class HostInfo:
    """Operating system, Python, and the CPUs this process may really use."""

    os_name: str | None = None
    kernel: str | None = None
    distribution: str | None = None
    machine: str | None = None
    python_implementation: str | None = None
    python_version: str | None = None
    python_executable: str | None = None
    virtualization: str | None = None
    logical_cpus: int | None = None
    affinity_cpus: list[int] | None = None
    cgroup_cpu_quota: float | None = None
    cgroup_cpu_source: str | None = None
    usable_cpus: int | None = None
    #: ``ACCEL_MACHINE_LABEL``: a name that makes this host a machine of its own (a fleet
    #: member; one host standing in for two). Part of the fingerprint where set.
    label: str | None = None
    reasons: dict[str, str] = field(default_factory=dict)


@dataclass
class CpuInfo:
    """What the processor is, how many cores it has and how fast it clocks."""

    model_name: str | None = None
    vendor: str | None = None
    architecture: str | None = None
    family: str | None = None
    model: str | None = None
    stepping: str | None = None
    microarchitecture: str | None = None
    physical_cores: int | None = None
    logical_cores: int | None = None
    sockets: int | None = None
    base_mhz: float | None = None
    max_mhz: float | None = None
    current_mhz: float | None = None
    governor: str | None = None
    reasons: dict[str, str] = field(default_factory=dict)


@dataclass
class CacheLevel:
    """One cache (e.g. L1d): per-instance size and geometry, and how many instances exist."""

    level: int
    type: str  # "data", "instruction" or "unified"
    size_bytes: int | None = None
    line_bytes: int | None = None
    associativity: int | None = None
    sets: int | None = None
    instances: int | None = None
    shared_cpu_list: str | None = None

    @property
    def name(self) -> str:
        """Conventional short name: L1d, L1i, L2, L3."""
        suffix = {"data": "d", "instruction": "i"}.get(self.type, "")
        return f"L{self.level}{suffix}"


@dataclass
class CacheInfo:
    """Every cache level of the CPU, and where the figures came from."""

    levels: list[CacheLevel] = field(default_factory=list)
    source: str | None = None
    reasons: dict[str, str] = field(default_factory=dict)

    def last_level(self) -> CacheLevel | None:
        """The largest-level data or unified cache, or None when no cache is known."""
        candidates = [c for c in self.levels if c.type != "instruction" and c.size_bytes]
        return max(candidates, key=lambda c: c.level, default=None)


@dataclass
class SimdInfo:
    """What vector instructions the CPU has, and what NumPy and LLVM (numba) will use."""

    cpu_features: list[str] = field(default_factory=list)
    cpu_widest: str | None = None
    cpu_vector_bits: int | None = None
    numpy_version: str | None = None
    numpy_baseline: list[str] | None = None
    numpy_dispatch: list[str] | None = None
    numpy_dispatch_active: list[str] | None = None
    numpy_baseline_bits: int | None = None
    numpy_dispatch_bits: int | None = None
    llvm_cpu_name: str | None = None
    llvm_features: list[str] | None = None
    llvm_vector_bits: int | None = None
    notes: list[str] = field(default_factory=list)
    reasons: dict[str, str] = field(default_factory=dict)


@dataclass
class NumaNode:
    """One NUMA node: its CPUs and its memory."""

    node: int
    cpus: str | None = None
    total_bytes: int | None = None


@dataclass
class MemoryInfo:
    """Main memory: size, what is free now, any container limit, NUMA layout."""

    total_bytes: int | None = None
    available_bytes: int | None = None
    cgroup_limit_bytes: int | None = None
    numa_nodes: list[NumaNode] = field(default_factory=list)
    reasons: dict[str, str] = field(default_factory=dict)


@dataclass
class PcieLink:
    """A PCIe link's generation and width, current and maximum, and what they carry."""

    gen_current: int | None = None
    width_current: int | None = None
    gen_max: int | None = None
    width_max: int | None = None
    bandwidth_current_gbs: float | None = None
    bandwidth_max_gbs: float | None = None


@dataclass
class GpuProcess:
    """A process holding memory on a GPU (a figure taken beside it shares the device)."""

    pid: int
    name: str | None = None
    used_bytes: int | None = None


@dataclass
class GpuState:
    """What changes from one moment to the next on a GPU and decides whether a figure can
    be trusted: its temperature, why its clocks are held down, who else is on it."""

    temperature_c: float | None = None
    sm_clock_mhz: float | None = None
    #: NVML's clock-event (throttle) reasons by name: "gpu_idle", "sw_power_cap", ...
    throttle_reasons: list[str] = field(default_factory=list)
    processes: list[GpuProcess] = field(default_factory=list)
    reasons: dict[str, str] = field(default_factory=dict)


@dataclass
class GpuDevice:
    """One NVIDIA GPU as NVML or nvidia-smi describes it."""

    index: int
    name: str | None = None
    uuid: str | None = None
    compute_capability: str | None = None
    sm_count: int | None = None
    memory_total_bytes: int | None = None
    sm_clock_max_mhz: float | None = None
    memory_clock_max_mhz: float | None = None
    power_limit_w: float | None = None
    pcie: PcieLink = field(default_factory=PcieLink)
    #: Memory bus width, and the rated bandwidth it gives with the memory clock
    #: (max memory clock x 2 transfers per clock x bus width / 8, in GB/s).
    memory_bus_width_bits: int | None = None
    memory_rated_gbs: float | None = None
    #: As ``nvidia-smi -q`` shows them: "enabled"/"disabled", compute mode by name.
    ecc_mode: str | None = None
    mig_mode: str | None = None
    persistence_mode: str | None = None
    compute_mode: str | None = None
    numa_node: int | None = None
    #: Active NVLink links (0 where the GPU has NVLink and none is up; None without).
    nvlinks_active: int | None = None
    state: GpuState = field(default_factory=GpuState)
    reasons: dict[str, str] = field(default_factory=dict)


@dataclass
class GpuInfo:
    """All NVIDIA GPUs, driver and CUDA versions; when there are none, ``none_reason`` says why."""

    devices: list[GpuDevice] = field(default_factory=list)
    driver_version: str | None = None
    cuda_driver_version: str | None = None
    source: str | None = None
    none_reason: str | None = None
    reasons: dict[str, str] = field(default_factory=dict)


@dataclass
class PerfInfo:
    """Whether ``perf stat`` can count here, and which events."""

    perf_path: str | None = None
    version: str | None = None
    paranoid: int | None = None
    can_count: bool = False
    events: dict[str, str] = field(default_factory=dict)  # event -> counted / not supported / ...
    summary: str | None = None
    #: Which source ``--counters`` uses here (perf / simulated / none) and why.
    counter_source: str | None = None
    counter_source_reason: str | None = None
    #: Valgrind's cache simulator as runs would use it, e.g. "simulated (valgrind 3.19, ...)".
    simulator: str | None = None
    reasons: dict[str, str] = field(default_factory=dict)

    def events_with(self, status: str) -> list[str]:
        """Names of the events whose status is ``status`` (e.g. "not supported")."""
        return [name for name, s in self.events.items() if s == status]


@dataclass
class BandwidthResult:
    """One STREAM-style figure: kernel, thread count, best and median rate."""

    kernel: str  # "copy" or "triad"
    threads: int
    best_gbs: float
    median_gbs: float
    samples: int
    bytes_per_iteration: int
    cpu_occupancy: float | None = None  # median CPU time / (wall time x threads); <1 = contended


@dataclass
class FlopsResult:
    """One floating-point rate measurement."""

    name: str
    threads: str
    best_gflops: float
    median_gflops: float
    samples: int
    flops_per_cycle_per_core: float | None = None
    cpu_occupancy: float | None = None  # median CPU time / (wall time x usable CPUs)


@dataclass
class TransferResult:
    """One host<->device copy rate (median of several CUDA-event-timed samples)."""

    direction: str  # "h2d" or "d2h"
    host_memory: str  # "pageable" or "pinned"
    size_bytes: int
    median_gbs: float
    best_gbs: float
    samples: int


@dataclass
class PoolsInfo:
    """The thread pools a run would use (BLAS, OpenMP, Numba) and transparent huge pages."""

    blas: list[dict[str, Any]] = field(default_factory=list)
    openmp: list[str] = field(default_factory=list)
    numba_layer: str | None = None
    numba_layers: list[str] = field(default_factory=list)
    thp_enabled: str | None = None
    thp_defrag: str | None = None
    reasons: dict[str, str] = field(default_factory=dict)


@dataclass
class DeviceRate:
    """One figure measured on the GPU itself: memory bandwidth (GB/s, a device-to-device
    copy, bytes read plus written) or a matmul rate (GFLOP/s), timed with CUDA events."""

    name: str  # "copy", "matmul float64", "matmul float32"
    unit: str  # "GB/s" or "GFLOP/s"
    best: float
    median: float
    samples: int
    detail: str = ""


@dataclass
class MeasuredFigures:
    """Measured memory bandwidth, floating-point rate and host<->device bandwidth."""

    seconds: float = 0.0
    bandwidth_method: str | None = None
    array_bytes: int | None = None
    array_note: str | None = None
    bandwidth: list[BandwidthResult] = field(default_factory=list)
    flops: list[FlopsResult] = field(default_factory=list)
    transfer_method: str | None = None
    transfers: list[TransferResult] = field(default_factory=list)
    #: The PCIe link as NVML read it while the largest copy ran (idle links drop to gen1).
    pcie_during_copy: PcieLink | None = None
    device_method: str | None = None
    device: list[DeviceRate] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    reasons: dict[str, str] = field(default_factory=dict)


@dataclass
class HardwareReport:
    """Everything the probe learned about this machine.

    ``fingerprint`` is a short hex hash of the performance-relevant parts only,
    so results measured on this machine can be keyed by it.
    """

    schema_version: int = SCHEMA_VERSION
    created: str | None = None
    probe_seconds: float | None = None
    host: HostInfo = field(default_factory=HostInfo)
    cpu: CpuInfo = field(default_factory=CpuInfo)
    caches: CacheInfo = field(default_factory=CacheInfo)
    simd: SimdInfo = field(default_factory=SimdInfo)
    memory: MemoryInfo = field(default_factory=MemoryInfo)
    gpu: GpuInfo = field(default_factory=GpuInfo)
    perf: PerfInfo = field(default_factory=PerfInfo)
    pools: PoolsInfo = field(default_factory=PoolsInfo)
    libraries: dict[str, str | None] = field(default_factory=dict)
    measured: MeasuredFigures | None = None

    @property
    def fingerprint(self) -> str:
        """Short stable hex hash of the performance-relevant fields (see fingerprint_fields)."""
        return compute_fingerprint(fingerprint_fields(self))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict, including ``fingerprint`` and ``schema_version``."""
        data = dataclasses.asdict(self)
        data["fingerprint"] = self.fingerprint
        return data

    def to_json(self, indent: int | None = 2) -> str:
        """The report as JSON text."""
        return json.dumps(self.to_dict(), indent=indent, sort_keys=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HardwareReport:
        """Rebuild a report from ``to_dict()`` output (unknown keys are ignored)."""
        return from_plain(cls, data)

    @classmethod
    def check(cls, data: Any) -> None:
        """Raise ValueError unless every field of ``data`` (a report from elsewhere: an
        export file) that is present has its annotated type: a number where a number
        is due, text where text is due. Readers then never meet a string where they
        compute with a number.
        """
        check_plain(cls, data, "report")


def fingerprint_fields(report: HardwareReport) -> dict[str, Any]:
    """The subset of the report that affects performance, in canonical form.

    Included: CPU model/vendor/architecture, physical, logical and usable core
    counts, every cache's level/type/size, the CPU's SIMD feature set, total
    memory rounded to GiB, GPU models and memory, driver and CUDA versions: the
    hardware; and the machine label (``ACCEL_MACHINE_LABEL``) where one is set.
    Excluded on purpose: available memory, current clock, governor, timestamps, perf
    status and any measured figure - they change between runs without the machine
    changing - and the Python and library versions, which
    belong to each run's key (the versions of the backend concerned), not to the
    machine: installing a library does not make a new machine.
    """
    cpu, host, mem, gpu = report.cpu, report.host, report.memory, report.gpu
    total_gib = None if mem.total_bytes is None else round(mem.total_bytes / GIB)
    fields = {
        "cpu": [cpu.vendor, cpu.model_name, cpu.architecture, cpu.family, cpu.model],
        "cores": [cpu.physical_cores, cpu.logical_cores, host.usable_cpus],
        "caches": sorted([c.level, c.type, c.size_bytes] for c in report.caches.levels),
        "simd": sorted(report.simd.cpu_features),
        "memory_gib": total_gib,
        "gpus": [[d.name, d.memory_total_bytes] for d in gpu.devices],
        "gpu_driver": [gpu.driver_version, gpu.cuda_driver_version],
    }
    if host.label:  # only where set, so an unlabelled machine keeps its fingerprint
        fields["label"] = host.label
    return fields


def hardware_fingerprint(report: HardwareReport) -> str:
    """The fingerprint without the machine label: the same for machines of the same kind
    (a fleet spreads a sweep over machines that share it)."""
    fields = fingerprint_fields(report)
    fields.pop("label", None)
    return compute_fingerprint(fields)


def compute_fingerprint(fields: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of ``fields``, first FINGERPRINT_LENGTH hex digits."""
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:FINGERPRINT_LENGTH]


def from_plain(tp: Any, value: Any) -> Any:
    """Convert plain JSON data back into the annotated type ``tp`` (dataclasses, lists, dicts).

    Generic over any annotated dataclass: accel's run records are read with it too.
    """
    if value is None:
        return None
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return from_plain(args[0], value) if len(args) == 1 else value
    if dataclasses.is_dataclass(tp) and isinstance(value, dict):
        hints = typing.get_type_hints(tp)
        kwargs = {
            f.name: from_plain(hints[f.name], value[f.name])
            for f in dataclasses.fields(tp)
            if f.name in value and f.init
        }
        return tp(**kwargs)
    if origin is list:
        (item,) = typing.get_args(tp) or (Any,)
        return [from_plain(item, v) for v in value]
    if origin is dict:
        _, item = typing.get_args(tp) or (Any, Any)
        return {k: from_plain(item, v) for k, v in value.items()}
    if tp is float and isinstance(value, int):
        return float(value)
    return value


def check_plain(tp: Any, value: Any, where: str, depth: int = 0) -> None:
    """Raise ValueError unless ``value`` is plain JSON data of the annotated type ``tp``.

    The message names the field at fault from ``where`` (``process.cpu_s must be
    float, got '1 s'``). Generic: accel checks imported run records with it too.
    """
    if depth > 12:
        raise ValueError(f"{where} is nested too deeply")
    if tp is Any:
        return
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        options = typing.get_args(tp)
        if value is None and type(None) in options:
            return
        errors = []
        for option in (o for o in options if o is not type(None)):
            try:
                return check_plain(option, value, where, depth)
            except ValueError as exc:
                errors.append(exc)
        raise errors[0] if errors else ValueError(f"{where} must be null")
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise ValueError(f"{where} must be an object, got {type(value).__name__}")
        hints = typing.get_type_hints(tp)
        for f in dataclasses.fields(tp):
            if f.name in value and f.init:
                check_plain(hints[f.name], value[f.name], f"{where}.{f.name}", depth + 1)
        return
    if origin is list:
        (item,) = typing.get_args(tp) or (Any,)
        if not isinstance(value, list):
            raise ValueError(f"{where} must be a list, got {type(value).__name__}")
        for i, v in enumerate(value):
            check_plain(item, v, f"{where}[{i}]", depth + 1)
        return
    if origin is dict:
        _, item = typing.get_args(tp) or (Any, Any)
        if not isinstance(value, dict):
            raise ValueError(f"{where} must be an object, got {type(value).__name__}")
        for k, v in value.items():
            check_plain(item, v, f"{where}.{k}", depth + 1)
        return
    if tp is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if ok and isinstance(value, int) and abs(value) >= 2**63:
            ok = False
    elif tp is int:
        ok = isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**63
    elif tp is bool or tp is str:
        ok = isinstance(value, tp)
    else:
        ok = True
    if not ok:
        raise ValueError(f"{where} must be {tp.__name__}, got {value!r:.40}")

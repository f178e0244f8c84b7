"""Render a HardwareReport as aligned text (terminal) or Markdown (issue, slide).

Unknown fields print as ``unknown (<reason>)`` using the section's ``reasons``
dict, so a reader always learns why something is missing.
"""

from __future__ import annotations

from typing import Any

from .report import HardwareReport, MeasuredFigures
from .sizes import binary_size
from .sysread import format_cpu_list

_SIMD_LLVM_PREFIXES = ("sse", "ssse", "avx", "fma", "amx", "neon", "sve", "sme", "f16c")


def fmt_bytes(value: int | float | None) -> str:
    """A size in binary units (:func:`.sizes.binary_size`), or "unknown"."""
    return "unknown" if value is None else binary_size(value)


def _unknown(section: Any, name: str) -> str:
    reasons = getattr(section, "reasons", {}) or {}
    reason = reasons.get(name) or reasons.get("*")
    return f"unknown ({reason})" if reason else "unknown"


def _get(section: Any, name: str, fmt: str = "{}") -> str:
    value = getattr(section, name, None)
    return _unknown(section, name) if value is None else fmt.format(value)


def _lines(rows: list[tuple[str, str]], indent: str = "  ") -> list[str]:
    width = max((len(k) for k, _ in rows), default=0)
    return [f"{indent}{k.ljust(width)}  {v}" for k, v in rows]


def _usable_cpus(report: HardwareReport) -> str:
    host = report.host
    if host.usable_cpus is None:
        return _unknown(host, "usable_cpus")
    affinity = (
        f"affinity {len(host.affinity_cpus)} of {host.logical_cpus} logical CPUs "
        f"({format_cpu_list(host.affinity_cpus)})"
        if host.affinity_cpus is not None
        else f"affinity {_unknown(host, 'affinity_cpus')}"
    )
    if host.cgroup_cpu_quota is not None:
        quota = f"cgroup quota {host.cgroup_cpu_quota:g} CPUs ({host.cgroup_cpu_source})"
    elif "cgroup_cpu_quota" in host.reasons:
        quota = f"cgroup quota {_unknown(host, 'cgroup_cpu_quota')}"
    else:
        quota = "no cgroup CPU quota"
    return f"{host.usable_cpus}  ({affinity}; {quota})"


def _frequency(report: HardwareReport) -> str:
    cpu = report.cpu
    parts = []
    for label, name in (("current", "current_mhz"), ("base", "base_mhz"), ("max", "max_mhz")):
        value = getattr(cpu, name)
        parts.append(f"{label} {value:.0f} MHz" if value else f"{label} unknown")
    reasons = {cpu.reasons.get(n) for n in ("current_mhz", "base_mhz", "max_mhz")} - {None}
    tail = f"  ({'; '.join(sorted(r for r in reasons if r))})" if reasons else ""
    return ", ".join(parts) + tail


def _cache_rows(report: HardwareReport) -> list[tuple[str, str]]:
    caches = report.caches
    if not caches.levels:
        return [("caches", _unknown(caches, "levels"))]
    rows = []
    for c in caches.levels:
        geometry = []
        if c.line_bytes:
            geometry.append(f"{c.line_bytes} B lines")
        if c.associativity:
            geometry.append(f"{c.associativity}-way")
        if c.sets:
            geometry.append(f"{c.sets} sets")
        share = f"shared by CPUs {c.shared_cpu_list}" if c.shared_cpu_list else ""
        count = f" x{c.instances}" if c.instances else ""
        text = f"{fmt_bytes(c.size_bytes)}{count}".ljust(14) + ", ".join(geometry)
        rows.append((c.name, f"{text}{'; ' + share if share else ''}"))
    rows.append(("source", caches.source or "none"))
    for key, reason in caches.reasons.items():
        if key != "levels":
            rows.append(("note", f"{key}: {reason}"))
    return rows


def _simd_rows(report: HardwareReport) -> list[tuple[str, str]]:
    s = report.simd
    rows = []
    if s.cpu_features:
        bits = f"{s.cpu_vector_bits}-bit" if s.cpu_vector_bits else _unknown(s, "cpu_vector_bits")
        rows.append(("CPU", f"widest {s.cpu_widest} ({bits}): {' '.join(s.cpu_features)}"))
    else:
        rows.append(("CPU", _unknown(s, "cpu_features")))
    if s.numpy_baseline is not None:
        active = s.numpy_dispatch_active or []
        rows.append(
            (
                f"NumPy {s.numpy_version}",
                f"baseline {' '.join(s.numpy_baseline) or 'none'}; dispatch "
                f"{' '.join(s.numpy_dispatch or []) or 'none'} (active here: "
                f"{' '.join(active) or 'none'})",
            )
        )
    else:
        rows.append(("NumPy", _unknown(s, "numpy_baseline")))
    if s.llvm_cpu_name is not None:
        simd = [f for f in s.llvm_features or [] if f.startswith(_SIMD_LLVM_PREFIXES)]
        bits = f"{s.llvm_vector_bits}-bit" if s.llvm_vector_bits else "width unknown"
        rows.append(("LLVM (numba)", f"host CPU {s.llvm_cpu_name}, {bits}: {' '.join(simd)}"))
    else:
        rows.append(("LLVM (numba)", _unknown(s, "llvm_cpu_name")))
    for note in s.notes:
        rows.append(("! differs", note))
    return rows


def _gpu_lines(report: HardwareReport) -> list[str]:
    g = report.gpu
    if not g.devices:
        reason = g.none_reason or g.reasons.get("*") or "no NVIDIA GPU found"
        return [f"  none: {reason}"]
    lines = _lines(
        [
            ("driver", f"{_get(g, 'driver_version')}, CUDA {_get(g, 'cuda_driver_version')}"),
            ("source", g.source or "unknown"),
        ]
    )
    for d in g.devices:
        p = d.pcie
        link = "PCIe unknown" + (f" ({d.reasons['pcie']})" if "pcie" in d.reasons else "")
        if p.gen_max or p.gen_current:
            link = (
                f"PCIe gen{p.gen_current} x{p.width_current} now "
                f"({_gbs(p.bandwidth_current_gbs)}/direction), max gen{p.gen_max} x{p.width_max} "
                f"({_gbs(p.bandwidth_max_gbs)}/direction; links idle at a lower gen)"
            )
        rows = [
            ("model", f"{_get(d, 'name')}  (cc {_get(d, 'compute_capability')}, "
                      f"{_get(d, 'sm_count')} SMs)"),
            ("uuid", _get(d, "uuid")),
            ("memory", fmt_bytes(d.memory_total_bytes) if d.memory_total_bytes else
             _unknown(d, "memory_total_bytes")),
            ("clocks", f"SM max {_get(d, 'sm_clock_max_mhz', '{:.0f} MHz')}, memory max "
                       f"{_get(d, 'memory_clock_max_mhz', '{:.0f} MHz')}"),
            ("power limit", _get(d, "power_limit_w", "{:.0f} W")),
            ("link", link),
            *_gpu_trust_rows(d),
        ]  # fmt: skip
        lines.append(f"  GPU {d.index}")
        lines.extend(_lines(rows, indent="    "))
    return lines


def _gpu_trust_rows(d: Any) -> list[tuple[str, str]]:
    """What decides whether a figure taken on this GPU can be trusted (nvidia-smi -q's view)."""
    bus = (
        f"{d.memory_bus_width_bits} bits, rated {_gbs(d.memory_rated_gbs)}"
        if d.memory_bus_width_bits
        else _unknown(d, "memory_bus_width_bits")
    )
    modes = ", ".join(
        f"{label} {getattr(d, key) or 'unknown'}"
        for label, key in (
            ("ECC", "ecc_mode"),
            ("MIG", "mig_mode"),
            ("persistence", "persistence_mode"),
            ("compute", "compute_mode"),
        )
    )
    numa = str(d.numa_node) if d.numa_node is not None else _unknown(d, "numa_node")
    nvlink = f"{d.nvlinks_active} active link(s)" if d.nvlinks_active is not None else "none"
    state = d.state
    now = (
        f"{_get(state, 'temperature_c', '{:.0f} C')}, "
        f"SM {_get(state, 'sm_clock_mhz', '{:.0f} MHz')}, "
        f"clocks held by: {', '.join(state.throttle_reasons) or 'nothing'}"
    )
    processes = "; ".join(
        f"{p.pid} {p.name or '?'} ({fmt_bytes(p.used_bytes) if p.used_bytes else '? bytes'})"
        for p in state.processes
    ) or ("none" if "processes" not in state.reasons else _unknown(state, "processes"))
    return [
        ("memory bus", bus),
        ("modes", modes),
        ("NUMA node", numa),
        ("NVLink", nvlink),
        ("now", now),
        ("processes on it", processes),
    ]


def _gbs(value: float | None) -> str:
    return "unknown" if value is None else f"{value:.1f} GB/s"


def _perf_rows(report: HardwareReport) -> list[tuple[str, str]]:
    p = report.perf
    rows = [
        (
            "perf",
            f"{p.perf_path} (version {p.version})" if p.perf_path else _unknown(p, "perf_path"),
        ),
        ("paranoid", _get(p, "paranoid")),
    ]
    if p.events:
        by_status: dict[str, list[str]] = {}
        for event, status in p.events.items():
            by_status.setdefault(status, []).append(event)
        rows.append(
            (
                "events",
                "; ".join(f"{status}: {', '.join(names)}" for status, names in by_status.items()),
            )
        )
    rows.append(("verdict", p.summary or _unknown(p, "events")))
    if p.counter_source:
        source = p.simulator if p.counter_source == "simulated" else p.counter_source
        rows.append(("counters", f"{source}: {p.counter_source_reason}"))
    return rows


def _pool_rows(report: HardwareReport) -> list[tuple[str, str]]:
    """BLAS, OpenMP runtimes, Numba's threading layer and transparent huge pages."""
    pools = report.pools
    blas = (
        "; ".join(
            f"{b['library']} {b.get('version') or ''} ({b.get('threads')} threads"
            + (f", {b['layer']}" if b.get("layer") else "")
            + f"; {b['file']})"
            for b in pools.blas
        )
        if pools.blas
        else _unknown(pools, "blas")
    )
    numba = (
        f"{pools.numba_layer} (loads here: {', '.join(pools.numba_layers) or 'none'})"
        if pools.numba_layer
        else _unknown(pools, "numba_layer")
    )
    thp = (
        f"{pools.thp_enabled} (defrag {pools.thp_defrag or 'unknown'})"
        if pools.thp_enabled
        else _unknown(pools, "thp_enabled")
    )
    return [
        ("BLAS", blas),
        ("OpenMP", "; ".join(pools.openmp) or "none found"),
        ("numba layer", numba),
        ("huge pages", thp),
    ]


def _occupancy(value: float | None) -> str:
    return "" if value is None else f", got {100 * value:.0f}% of its CPU time"


def _measured_lines(m: MeasuredFigures) -> list[str]:
    lines = [f"Measured (took {m.seconds:.1f} s)"]
    rows: list[tuple[str, str]] = []
    if m.bandwidth:
        rows.append(("method", m.bandwidth_method or "unknown"))
        rows.append(("arrays", m.array_note or fmt_bytes(m.array_bytes)))
        for b in m.bandwidth:
            label = f"{b.kernel} {b.threads} thread{'s' if b.threads > 1 else ''}"
            rows.append(
                (
                    label,
                    f"best {b.best_gbs:.1f} GB/s, median {b.median_gbs:.1f} GB/s "
                    f"({b.samples} runs{_occupancy(b.cpu_occupancy)})",
                )
            )
    elif "bandwidth" in m.reasons:
        rows.append(("bandwidth", f"failed: {m.reasons['bandwidth']}"))
    for f in m.flops:
        per_cycle = (
            f", {f.flops_per_cycle_per_core:.1f} flop/cycle/core at the reported clock"
            if f.flops_per_cycle_per_core
            else ""
        )
        rows.append((f.name, f"best {f.best_gflops:.1f} GFLOP/s, median {f.median_gflops:.1f} "
                             f"({f.threads}{per_cycle}{_occupancy(f.cpu_occupancy)})"))  # fmt: skip
    if "flops" in m.reasons:
        rows.append(("flops", f"failed: {m.reasons['flops']}"))
    if m.transfers:
        rows.append(("transfers", m.transfer_method or ""))
        for t in m.transfers:
            rows.append(
                (
                    f"{t.direction} {t.host_memory} {fmt_bytes(t.size_bytes)}",
                    f"median {t.median_gbs:.1f} GB/s, best {t.best_gbs:.1f} GB/s",
                )
            )
    elif "transfers" in m.reasons:
        rows.append(("host<->GPU", f"not measured: {m.reasons['transfers']}"))
    link = m.pcie_during_copy
    if link is not None:
        rows.append(
            (
                "PCIe during copy",
                f"gen{link.gen_current} x{link.width_current} (max gen{link.gen_max} "
                f"x{link.width_max}), read by NVML while the largest pinned copy ran",
            )
        )
    elif "pcie_during_copy" in m.reasons:
        rows.append(("PCIe during copy", f"not read: {m.reasons['pcie_during_copy']}"))
    if m.device:
        rows.append(("GPU roofs", m.device_method or ""))
        for d in m.device:
            rows.append(
                (f"GPU {d.name}", f"best {d.best:.1f} {d.unit}, median {d.median:.1f} ({d.detail})")
            )
    elif "device" in m.reasons:
        rows.append(("GPU roofs", f"not measured: {m.reasons['device']}"))
    for note in m.notes:
        rows.append(("note", note))
    return lines + _lines(rows)


def render_text(report: HardwareReport) -> str:
    """The whole report as aligned plain text (one section per hardware part)."""
    h, c, mem = report.host, report.cpu, report.memory
    out = [
        f"accel hardware report  (fingerprint {report.fingerprint}, "
        f"schema {report.schema_version}, "
        f"probed in {report.probe_seconds or 0:.2f} s)",
        "Host",
    ]
    os_text = f"{_get(h, 'os_name')} {h.kernel or ''} {h.machine or ''}".strip()
    if h.distribution:
        os_text += f" ({h.distribution})"
    out += _lines(
        [
            ("OS", os_text),
            ("Python", f"{h.python_implementation} {h.python_version} ({h.python_executable})"),
            ("virtualisation", h.virtualization or "none detected (bare metal?)"),
            ("usable CPUs", _usable_cpus(report)),
            *([("machine label", h.label)] if h.label else []),
        ]
    )
    out.append("CPU")
    identity = ", ".join(
        f"{k} {v}"
        for k, v in (("family", c.family), ("model", c.model), ("stepping", c.stepping))
        if v
    )
    out += _lines(
        [
            (
                "model",
                f"{_get(c, 'model_name')} ({c.vendor or 'vendor unknown'}"
                f"{', ' + identity if identity else ''})",
            ),
            (
                "architecture",
                f"{_get(c, 'architecture')}, microarchitecture "
                f"{_get(c, 'microarchitecture')} (archspec)",
            ),
            (
                "cores",
                f"{_get(c, 'physical_cores')} physical, {_get(c, 'logical_cores')} logical, "
                f"{_get(c, 'sockets')} socket(s)",
            ),
            ("frequency", _frequency(report)),
            ("governor", _get(c, "governor")),
        ]  # fmt: skip
    )
    out.append("Caches")
    out += _lines(_cache_rows(report))
    out.append("SIMD")
    out += _lines(_simd_rows(report))
    out.append("Memory")
    numa = (
        ", ".join(
            f"node{n.node}: CPUs {n.cpus or '?'}, {fmt_bytes(n.total_bytes)}"
            for n in mem.numa_nodes
        )
        if mem.numa_nodes
        else _unknown(mem, "numa_nodes")
    )
    out += _lines(
        [
            (
                "total",
                fmt_bytes(mem.total_bytes) if mem.total_bytes else _unknown(mem, "total_bytes"),
            ),
            (
                "available",
                fmt_bytes(mem.available_bytes)
                if mem.available_bytes
                else _unknown(mem, "available_bytes"),
            ),
            (
                "cgroup limit",
                fmt_bytes(mem.cgroup_limit_bytes) if mem.cgroup_limit_bytes else "none",
            ),
            (f"NUMA ({len(mem.numa_nodes)} node{'s' if len(mem.numa_nodes) != 1 else ''})", numa),
        ]  # fmt: skip
    )
    out.append("GPUs")
    out += _gpu_lines(report)
    out.append("perf")
    out += _lines(_perf_rows(report))
    out.append("Thread pools")
    out += _lines(_pool_rows(report))
    out.append("Libraries")
    out.append(
        "  "
        + ", ".join(
            f"{name} {version or 'not installed'}" for name, version in report.libraries.items()
        )
    )
    if report.measured is not None:
        out += _measured_lines(report.measured)
    else:
        out.append("Measured: not run (add --measure for bandwidth and GFLOP/s, ~10-20 s)")
    return "\n".join(out)


def _md(text: str) -> str:
    """Text safe inside Markdown: "<not supported>" must not vanish as an HTML tag."""
    return text.replace("<", "&lt;").replace(">", "&gt;")


def _md_table(headers: list[str], rows: list[list[str]]) -> list[str]:
    def esc(cell: str) -> str:
        return _md(cell).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(esc(cell) for cell in row) + " |" for row in rows]
    return lines


def render_markdown(report: HardwareReport) -> str:
    """The report as Markdown: a heading, key tables, and the SIMD gaps as a quote."""
    h, c, mem = report.host, report.cpu, report.memory
    out = [
        f"### Hardware: {c.model_name or 'unknown CPU'} (fingerprint `{report.fingerprint}`)",
        "",
    ]
    summary = [
        ["OS", f"{h.os_name} {h.kernel} ({h.distribution or 'distribution unknown'})"],
        ["Python", f"{h.python_implementation} {h.python_version}"],
        ["Virtualisation", h.virtualization or "none detected"],
        ["Usable CPUs", _usable_cpus(report)],
        ["CPU", f"{_get(c, 'model_name')}, {_get(c, 'microarchitecture')}, "
                f"{_get(c, 'physical_cores')} cores / {_get(c, 'logical_cores')} threads"],
        ["Frequency", _frequency(report)],
        ["Memory", f"{fmt_bytes(mem.total_bytes)} total, {fmt_bytes(mem.available_bytes)} "
                   f"available, {len(mem.numa_nodes)} NUMA node(s)"],
        ["perf", report.perf.summary or _unknown(report.perf, "events")],
        *[[name, value] for name, value in _pool_rows(report)],
        ["Libraries", ", ".join(f"{k} {v or '-'}" for k, v in report.libraries.items())],
    ]  # fmt: skip
    out += _md_table(["", ""], summary)
    out += ["", "**Caches**", ""]
    out += _md_table(
        ["cache", "size", "instances", "line", "ways", "shared by CPUs"],
        [
            [
                lvl.name,
                fmt_bytes(lvl.size_bytes),
                str(lvl.instances or "?"),
                f"{lvl.line_bytes} B" if lvl.line_bytes else "?",
                str(lvl.associativity or "?"),
                lvl.shared_cpu_list or "?",
            ]
            for lvl in report.caches.levels
        ]
        or [["unknown", _unknown(report.caches, "levels"), "", "", "", ""]],
    )
    out += ["", "**SIMD**", ""]
    out += _md_table(["who", "what"], [[k, v] for k, v in _simd_rows(report) if k != "! differs"])
    for note in report.simd.notes:
        out += ["", f"> {_md(note)}"]
    out += ["", "**GPUs**", ""]
    g = report.gpu
    if g.devices:
        rows = []
        for d in g.devices:
            p = d.pcie
            rows.append(
                [
                    str(d.index),
                    d.name or "?",
                    d.compute_capability or "?",
                    str(d.sm_count or "?"),
                    fmt_bytes(d.memory_total_bytes),
                    f"gen{p.gen_current} x{p.width_current} / max gen{p.gen_max} x{p.width_max}",
                    _gbs(p.bandwidth_max_gbs),
                ]
            )
        out += _md_table(
            ["#", "GPU", "cc", "SMs", "memory", "PCIe now / max", "link GB/s/dir"], rows
        )
        out += ["", f"Driver {g.driver_version or '?'}, CUDA {g.cuda_driver_version or '?'}"]
        trust = [[str(d.index), *(_md(v) for _, v in _gpu_trust_rows(d))] for d in g.devices]
        out += [""] + _md_table(
            ["#", "memory bus", "modes", "NUMA node", "NVLink", "now", "processes on it"], trust
        )
    else:
        out.append(_md(f"None: {g.none_reason or 'no NVIDIA GPU found'}"))
    m = report.measured
    if m is not None:
        out += [
            "",
            f"**Measured** (took {m.seconds:.1f} s; {m.bandwidth_method or 'no bandwidth method'})",
            "",
        ]
        rows = [
            [f"{b.kernel}", str(b.threads), f"{b.best_gbs:.1f} GB/s", f"{b.median_gbs:.1f} GB/s"]
            for b in m.bandwidth
        ]
        rows += [
            [f.name, f.threads, f"{f.best_gflops:.1f} GFLOP/s", f"{f.median_gflops:.1f} GFLOP/s"]
            for f in m.flops
        ]
        rows += [
            [f"{t.direction} {t.host_memory} {fmt_bytes(t.size_bytes)}", "-",
             f"{t.best_gbs:.1f} GB/s", f"{t.median_gbs:.1f} GB/s"]
            for t in m.transfers
        ]  # fmt: skip
        out += _md_table(["measurement", "threads", "best", "median"], rows)
        if m.array_note:
            out += ["", f"Arrays: {m.array_note}."]
        for key, reason in m.reasons.items():
            out.append(_md(f"- {key}: {reason}"))
    return "\n".join(out) + "\n"

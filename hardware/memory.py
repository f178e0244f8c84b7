"""Main memory: total and available (psutil, else /proc/meminfo), cgroup limit, NUMA nodes."""

from __future__ import annotations

import re

from .cgroups import read_memory_limit
from .report import MemoryInfo, NumaNode
from .sysread import read_stripped, read_text, under


def parse_meminfo(text: str) -> dict[str, int]:
    """/proc/meminfo (or a NUMA node's meminfo) as {key: bytes}; "Node 0 MemTotal" -> "MemTotal"."""
    values: dict[str, int] = {}
    for line in text.splitlines():
        match = re.match(r"\s*(?:Node\s+\d+\s+)?([A-Za-z0-9_()]+):\s+(\d+)\s*(kB)?", line)
        if match:
            values[match.group(1)] = int(match.group(2)) * (1024 if match.group(3) else 1)
    return values


def read_numa_nodes(root: str = "/") -> tuple[list[NumaNode], str | None]:
    """NUMA nodes from /sys/devices/system/node/node*/ (cpulist, meminfo), or [] and why."""
    base = under(root, "/sys/devices/system/node")
    if not base.is_dir():
        return [], "/sys/devices/system/node does not exist"
    nodes = []
    for path in sorted(base.glob("node[0-9]*"), key=lambda p: int(p.name[4:])):
        node = NumaNode(node=int(path.name[4:]))
        node.cpus, _ = read_stripped(root, f"/sys/devices/system/node/{path.name}/cpulist")
        text, _ = read_text(root, f"/sys/devices/system/node/{path.name}/meminfo")
        if text:
            node.total_bytes = parse_meminfo(text).get("MemTotal")
        nodes.append(node)
    return nodes, None if nodes else "no node* directories in /sys/devices/system/node"


def read_memory(root: str = "/", use_psutil: bool = True) -> MemoryInfo:
    """Collect MemoryInfo from psutil, /proc/meminfo, cgroups and sysfs NUMA nodes."""
    info = MemoryInfo()
    if use_psutil:
        try:
            import psutil

            vm = psutil.virtual_memory()
            info.total_bytes, info.available_bytes = int(vm.total), int(vm.available)
        except Exception as exc:  # psutil missing or failing: fall back to /proc/meminfo
            info.reasons["psutil"] = f"psutil unavailable ({type(exc).__name__})"
    if info.total_bytes is None:
        text, why = read_text(root, "/proc/meminfo")
        values = parse_meminfo(text) if text else {}
        info.total_bytes = values.get("MemTotal")
        info.available_bytes = values.get("MemAvailable")
        for key, name in (("total_bytes", "MemTotal"), ("available_bytes", "MemAvailable")):
            if getattr(info, key) is None:
                info.reasons[key] = why or f"no {name} in /proc/meminfo"
    info.cgroup_limit_bytes = read_memory_limit(root)
    info.numa_nodes, why = read_numa_nodes(root)
    if why:
        info.reasons["numa_nodes"] = why
    return info

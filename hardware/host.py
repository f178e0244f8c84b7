"""Host facts: OS, kernel, Python, virtualisation, and the CPUs this process may really use.

"Usable CPUs" is what a parallel program can expect: the smaller of the CPU
affinity set (``os.sched_getaffinity``) and the cgroup CPU quota rounded up
(see cgroups.py). A container limited to 2 of 64 CPUs therefore reports 2, not 64.
"""

from __future__ import annotations

import os
import platform
import sys

from .cgroups import compute_usable_cpus, read_cpu_quota
from .report import HostInfo
from .sysread import read_text, run, under


def parse_os_release(text: str) -> str | None:
    """PRETTY_NAME from /etc/os-release text, e.g. "Debian GNU/Linux 12 (bookworm)"."""
    for line in text.splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "PRETTY_NAME":
            return value.strip().strip('"').strip("'") or None
    return None


def detect_virtualization(
    cpuinfo_flags: set[str], hypervisor_vendor: str | None, container_marker: str | None
) -> str | None:
    """A short phrase such as "KVM guest", "virtual machine", "container"; None on bare metal."""
    parts = []
    if hypervisor_vendor:
        parts.append(f"{hypervisor_vendor} guest")
    elif "hypervisor" in cpuinfo_flags:
        parts.append("virtual machine (cpuinfo 'hypervisor' flag)")
    if container_marker:
        parts.append(f"container ({container_marker})")
    return ", ".join(parts) or None


def _cpuinfo_flags(root: str) -> set[str]:
    text, _ = read_text(root, "/proc/cpuinfo")
    for line in (text or "").splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("flags", "Features"):
            return set(value.split())
    return set()


def _hypervisor_vendor() -> str | None:
    done, _ = run(["lscpu"], timeout=5)
    if done is None or done.returncode != 0:
        return None
    for line in done.stdout.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "Hypervisor vendor":
            return value.strip() or None
    return None


#: The environment variable that names this machine apart from its host (a fleet member).
LABEL_VARIABLE = "ACCEL_MACHINE_LABEL"


def read_host(root: str = "/", affinity: set[int] | None = None) -> HostInfo:
    """Collect HostInfo from the live system (or from a fake tree under ``root``).

    ``affinity`` overrides ``os.sched_getaffinity(0)`` (for tests and non-Linux).
    """
    info = HostInfo(
        os_name=platform.system() or None,
        kernel=platform.release() or None,
        machine=platform.machine() or None,
        python_implementation=platform.python_implementation(),
        python_version=platform.python_version(),
        python_executable=sys.executable or None,
        logical_cpus=os.cpu_count(),
        label=os.environ.get(LABEL_VARIABLE, "").strip() or None,
    )
    reasons = info.reasons
    text, why = read_text(root, "/etc/os-release")
    info.distribution = parse_os_release(text) if text else None
    if info.distribution is None and info.os_name == "Darwin":
        info.distribution = f"macOS {platform.mac_ver()[0]}"
    elif info.distribution is None:
        reasons["distribution"] = why or "/etc/os-release has no PRETTY_NAME"

    flags = _cpuinfo_flags(root)
    vendor = _hypervisor_vendor() if "hypervisor" in flags and root == "/" else None
    marker = next(
        (f"{p} present" for p in ("/.dockerenv", "/run/.containerenv") if under(root, p).exists()),
        "KUBERNETES_SERVICE_HOST set" if os.environ.get("KUBERNETES_SERVICE_HOST") else None,
    )
    info.virtualization = detect_virtualization(flags, vendor, marker)

    if affinity is None and hasattr(os, "sched_getaffinity"):
        try:
            affinity = set(os.sched_getaffinity(0))
        except OSError as exc:
            reasons["affinity_cpus"] = f"sched_getaffinity failed: {exc}"
    if affinity is not None:
        info.affinity_cpus = sorted(affinity)
    elif "affinity_cpus" not in reasons:
        reasons["affinity_cpus"] = f"os.sched_getaffinity is not available on {info.os_name}"

    if info.os_name == "Linux" or root != "/":
        quota, source, why = read_cpu_quota(root)
        info.cgroup_cpu_quota, info.cgroup_cpu_source = quota, source
        if why:
            reasons["cgroup_cpu_quota"] = why
    else:
        reasons["cgroup_cpu_quota"] = f"cgroups do not exist on {info.os_name}"

    base = len(info.affinity_cpus) if info.affinity_cpus else info.logical_cpus
    if base is None:
        reasons["usable_cpus"] = "neither the affinity set nor os.cpu_count() is known"
    else:
        info.usable_cpus = compute_usable_cpus(base, info.cgroup_cpu_quota)
    return info

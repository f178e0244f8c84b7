"""cgroup limits on this process: CPU quota (v2 cpu.max, v1 cfs quota/period) and memory limit.

The pure functions take file text, so tests feed recorded fixtures; the
``read_*`` functions walk this process's cgroup directories from the innermost
up to the mount point and keep the tightest limit (a parent's limit binds too).
"""

from __future__ import annotations

import math
import posixpath
from dataclasses import dataclass

from .sysread import read_text

# Limits at or above this are "unlimited" sentinels (v1 writes PAGE_COUNTER_MAX * page size).
_UNLIMITED_BYTES = 1 << 60


def parse_cpu_max(text: str) -> float | None:
    """CPUs allowed by a cgroup v2 ``cpu.max`` ("200000 100000" -> 2.0; "max 100000" -> None)."""
    parts = text.split()
    if not parts or parts[0] == "max":
        return None
    period = int(parts[1]) if len(parts) > 1 else 100000
    return int(parts[0]) / period if period > 0 else None


def parse_cfs_quota(quota_text: str, period_text: str) -> float | None:
    """CPUs allowed by cgroup v1 ``cpu.cfs_quota_us``/``cpu.cfs_period_us`` (-1 -> None)."""
    quota, period = int(quota_text.strip()), int(period_text.strip())
    if quota <= 0 or period <= 0:
        return None
    return quota / period


def parse_memory_limit(text: str) -> int | None:
    """Bytes from v2 ``memory.max`` or v1 ``memory.limit_in_bytes``; None when unlimited."""
    text = text.strip()
    if not text or text == "max":
        return None
    value = int(text)
    return None if value >= _UNLIMITED_BYTES else value


def compute_usable_cpus(affinity_count: int, quota: float | None) -> int:
    """CPUs a parallel program can use: the affinity count, capped by the quota rounded up.

    >>> compute_usable_cpus(64, 2.0)
    2
    >>> compute_usable_cpus(8, 1.5)
    2
    """
    if quota is None:
        return max(1, affinity_count)
    return max(1, min(affinity_count, math.ceil(quota - 1e-9)))


def parse_proc_self_cgroup(text: str) -> dict[str, str]:
    """Map controller name to cgroup path from /proc/self/cgroup ("" is the v2 unified tree)."""
    paths: dict[str, str] = {}
    for line in text.splitlines():
        parts = line.strip().split(":", 2)
        if len(parts) != 3:
            continue
        _, controllers, path = parts
        for name in controllers.split(",") if controllers else [""]:
            paths[name] = path
    return paths


@dataclass(frozen=True)
class CgroupDir:
    """A directory of this process's cgroup hierarchy and its cgroup version (1 or 2)."""

    version: int
    path: str


def cgroup_dirs(mountinfo: str, proc_self_cgroup: str, controller: str) -> list[CgroupDir]:
    """Directories whose ``controller`` limits bind this process, innermost first.

    Pure: works on the text of /proc/self/mountinfo and /proc/self/cgroup, and
    handles v2, v1 and hybrid layouts, including containers whose cgroup mount
    root is the container's own cgroup.
    """
    own = parse_proc_self_cgroup(proc_self_cgroup)
    found: list[CgroupDir] = []
    for line in mountinfo.splitlines():
        left, sep, right = line.partition(" - ")
        fields, rfields = left.split(), right.split()
        if not sep or len(fields) < 5 or len(rfields) < 3:
            continue
        mount_root, mount_point = fields[3], fields[4]
        fstype, superopts = rfields[0], rfields[2].split(",")
        if fstype == "cgroup2":
            version, cg_path = 2, own.get("")
        elif fstype == "cgroup" and controller in superopts:
            version, cg_path = 1, own.get(controller)
        else:
            continue
        if cg_path is None:
            continue
        rel = posixpath.relpath(cg_path, mount_root)
        if rel.startswith(".."):
            rel = "."  # our cgroup lies outside this mount's view: only the mount root is visible
        current = posixpath.normpath(posixpath.join(mount_point, rel))
        while True:
            found.append(CgroupDir(version, current))
            if len(current) <= len(mount_point):
                break
            current = posixpath.dirname(current)
    return found


def _own_dirs(root: str, controller: str) -> tuple[list[CgroupDir], str | None]:
    mountinfo, why = read_text(root, "/proc/self/mountinfo")
    own, why2 = read_text(root, "/proc/self/cgroup")
    if mountinfo is None or own is None:
        return [], why or why2
    return cgroup_dirs(mountinfo, own, controller), None


def read_cpu_quota(root: str = "/") -> tuple[float | None, str | None, str | None]:
    """The tightest cgroup CPU quota on this process: (CPUs, file it came from, why unknown).

    (None, None, None) means "no quota" - the common case on a desktop.
    """
    dirs, why = _own_dirs(root, "cpu")
    if why:
        return None, None, why
    best: tuple[float, str] | None = None
    for cg in dirs:
        try:
            if cg.version == 2:
                source = posixpath.join(cg.path, "cpu.max")
                text, _ = read_text(root, source)
                quota = parse_cpu_max(text) if text else None
            else:
                source = posixpath.join(cg.path, "cpu.cfs_quota_us")
                q, _ = read_text(root, source)
                p, _ = read_text(root, posixpath.join(cg.path, "cpu.cfs_period_us"))
                quota = parse_cfs_quota(q, p) if q and p else None
        except ValueError:
            continue
        if quota is not None and (best is None or quota < best[0]):
            best = (quota, source)
    return (best[0], best[1], None) if best else (None, None, None)


def read_memory_limit(root: str = "/") -> int | None:
    """The tightest cgroup memory limit on this process in bytes, or None when unlimited/unknown."""
    dirs, _ = _own_dirs(root, "memory")
    limits = []
    for cg in dirs:
        name = "memory.max" if cg.version == 2 else "memory.limit_in_bytes"
        text, _ = read_text(root, posixpath.join(cg.path, name))
        try:
            limit = parse_memory_limit(text) if text else None
        except ValueError:
            continue
        if limit is not None:
            limits.append(limit)
    return min(limits) if limits else None

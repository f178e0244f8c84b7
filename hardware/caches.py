"""CPU caches: every level with type, size, line size, associativity and sharing.

Primary source is sysfs (/sys/devices/system/cpu/cpu*/cache/index*); fallbacks
are ``lscpu -J -C --bytes``, ``sysctl hw.*cachesize`` (macOS) and
``getconf -a`` (glibc's LEVEL*_CACHE_* values).
"""

from __future__ import annotations

import json
import platform
import re
from collections.abc import Callable
from pathlib import Path

from .report import CacheInfo, CacheLevel
from .sysread import read_stripped, run, under

CACHE_TYPES = {"data": "data", "instruction": "instruction", "unified": "unified"}
SYSFS_CPU = "/sys/devices/system/cpu"
_INDEX_FILES = (
    "level",
    "type",
    "size",
    "coherency_line_size",
    "ways_of_associativity",
    "number_of_sets",
    "shared_cpu_list",
)


def parse_size(text: str) -> int:
    """Bytes from a sysfs/lscpu size such as "48K", "2048K", "32 MiB", "1M" or "65536"."""
    match = re.fullmatch(r"\s*([0-9.]+)\s*([KMGT]?)(i?B)?\s*", text, re.IGNORECASE)
    if not match:
        raise ValueError(f"not a size: {text!r}")
    scale = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}[match.group(2).upper()]
    return int(float(match.group(1)) * scale)


def parse_cache_index(files: dict[str, str]) -> CacheLevel:
    """One CacheLevel from the text of one sysfs cache/indexN directory's files.

    ``files`` maps file name (e.g. "size") to content; missing geometry stays None.
    """
    ctype = CACHE_TYPES.get(files["type"].strip().lower(), files["type"].strip().lower())
    cache = CacheLevel(level=int(files["level"]), type=ctype)
    if files.get("size"):
        cache.size_bytes = parse_size(files["size"])
    for attr, key in (
        ("line_bytes", "coherency_line_size"),
        ("associativity", "ways_of_associativity"),
        ("sets", "number_of_sets"),
    ):
        value = files.get(key, "").strip()
        if value.isdigit() and int(value) > 0:
            setattr(cache, attr, int(value))
    cache.shared_cpu_list = files.get("shared_cpu_list", "").strip() or None
    return cache


def summarise_caches(entries: list[CacheLevel]) -> list[CacheLevel]:
    """Merge per-CPU entries into one per (level, type), counting distinct instances.

    Two CPUs share an instance when their ``shared_cpu_list`` is the same.
    """
    groups: dict[tuple[int, str], dict[str | None, CacheLevel]] = {}
    for entry in entries:
        groups.setdefault((entry.level, entry.type), {}).setdefault(entry.shared_cpu_list, entry)
    order = {"data": 0, "instruction": 1, "unified": 2}
    result = []
    for (level, ctype), instances in sorted(
        groups.items(), key=lambda kv: (kv[0][0], order.get(kv[0][1], 3))
    ):
        first = next(iter(instances.values()))
        result.append(
            CacheLevel(
                level=level,
                type=ctype,
                size_bytes=first.size_bytes,
                line_bytes=first.line_bytes,
                associativity=first.associativity,
                sets=first.sets,
                instances=len(instances),
                shared_cpu_list=first.shared_cpu_list,
            )
        )
    return result


def read_sysfs_caches(root: str = "/") -> tuple[list[CacheLevel], list[str]]:
    """All caches from sysfs under ``root``, and the problems met (unreadable files etc.)."""
    problems: list[str] = []
    cpu_dir = under(root, SYSFS_CPU)
    entries: list[CacheLevel] = []
    try:
        cpus = sorted(p for p in cpu_dir.glob("cpu[0-9]*") if p.name[3:].isdigit())
    except OSError as exc:
        return [], [f"{SYSFS_CPU} could not be listed ({exc})"]
    if not cpus:
        return [], [f"no {SYSFS_CPU}/cpu*/ directories"]
    for cpu in cpus:
        try:
            indexes = sorted(cpu.glob("cache/index[0-9]*"))
        except OSError as exc:
            problems.append(f"{cpu.name}/cache could not be listed ({exc})")
            continue
        for index in indexes:
            files: dict[str, str] = {}
            for name in _INDEX_FILES:
                rel = "/" + str(Path(index, name).relative_to(Path(root)))
                text, why = read_stripped(root, rel)
                if text is not None:
                    files[name] = text
                elif name in ("level", "type", "size"):
                    problems.append(why or f"{rel} unreadable")
            if "level" not in files or "type" not in files:
                continue
            try:
                entries.append(parse_cache_index(files))
            except ValueError as exc:
                problems.append(f"{index}: {exc}")
    if not entries and not problems:
        problems.append(f"no cache/index* directories under {SYSFS_CPU}/cpu*")
    return summarise_caches(entries), problems


def parse_lscpu_caches(text: str) -> list[CacheLevel]:
    """CacheLevels from ``lscpu -J -C --bytes`` JSON (one-size per instance, all-size total)."""
    data = json.loads(text)
    result = []
    for row in data.get("caches", []):
        one = row.get("one-size")
        total = row.get("all-size")
        size = parse_size(str(one)) if one is not None else None
        instances = None
        if size and total is not None:
            instances = max(1, round(parse_size(str(total)) / size))
        ctype = str(row.get("type", "unified")).lower()

        def as_int(value: object) -> int | None:
            try:
                number = int(str(value))
            except (TypeError, ValueError):
                return None
            return number if number > 0 else None

        result.append(
            CacheLevel(
                level=int(row["level"]),
                type=CACHE_TYPES.get(ctype, ctype),
                size_bytes=size,
                line_bytes=as_int(row.get("coherency-size")),
                associativity=as_int(row.get("ways")),
                sets=as_int(row.get("sets")),
                instances=instances,
            )
        )
    return result


def read_lscpu_caches() -> tuple[list[CacheLevel], str | None]:
    """Caches from ``lscpu -J -C --bytes``, or [] and why."""
    done, why = run(["lscpu", "-J", "-C", "--bytes"], timeout=5)
    if done is None:
        return [], why
    if done.returncode != 0:
        return [], f"lscpu -C failed: {done.stderr.strip()[:200]}"
    try:
        levels = parse_lscpu_caches(done.stdout)
    except (ValueError, KeyError) as exc:
        return [], f"lscpu -C output not understood ({exc})"
    return levels, None if levels else "lscpu -C lists no caches"


def parse_sysctl_caches(values: dict[str, str]) -> list[CacheLevel]:
    """CacheLevels from macOS sysctl values (hw.l1dcachesize, hw.l2cachesize, ...)."""
    keys = [
        (1, "data", "hw.l1dcachesize"),
        (1, "instruction", "hw.l1icachesize"),
        (2, "unified", "hw.l2cachesize"),
        (3, "unified", "hw.l3cachesize"),
    ]
    line = values.get("hw.cachelinesize")
    result = []
    for level, ctype, key in keys:
        value = values.get(key, "").strip()
        if value.isdigit() and int(value) > 0:
            result.append(
                CacheLevel(
                    level=level,
                    type=ctype,
                    size_bytes=int(value),
                    line_bytes=int(line) if line and line.isdigit() else None,
                )
            )
    return result


def read_sysctl_caches() -> tuple[list[CacheLevel], str | None]:
    """Caches from ``sysctl`` (macOS), or [] and why."""
    names = [
        "hw.l1dcachesize",
        "hw.l1icachesize",
        "hw.l2cachesize",
        "hw.l3cachesize",
        "hw.cachelinesize",
    ]
    done, why = run(["sysctl", *names], timeout=5)
    if done is None:
        return [], why
    values = {}
    for line in done.stdout.splitlines():
        key, _, value = line.partition(":")
        values[key.strip()] = value.strip()
    levels = parse_sysctl_caches(values)
    return levels, None if levels else "sysctl reports no cache sizes"


GETCONF_CACHES = [
    (1, "data", "LEVEL1_DCACHE"),
    (1, "instruction", "LEVEL1_ICACHE"),
    (2, "unified", "LEVEL2_CACHE"),
    (3, "unified", "LEVEL3_CACHE"),
    (4, "unified", "LEVEL4_CACHE"),
]


def parse_getconf(text: str) -> dict[str, int]:
    """``getconf -a`` output as {name: int}; names without a numeric value are left out."""
    values: dict[str, int] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            values[parts[0]] = int(parts[1])
    return values


def caches_from_getconf(values: dict[str, int]) -> list[CacheLevel]:
    """CacheLevels from glibc's LEVEL*_CACHE_* values (as ``getconf -a`` prints them)."""
    result = []
    for level, ctype, name in GETCONF_CACHES:
        size = values.get(f"{name}_SIZE", 0)
        if size <= 0:
            continue
        line = values.get(f"{name}_LINESIZE", 0)
        ways = values.get(f"{name}_ASSOC", 0)
        result.append(
            CacheLevel(
                level=level,
                type=ctype,
                size_bytes=size,
                line_bytes=line if line > 0 else None,
                associativity=ways if ways > 0 else None,
            )
        )
    return result


def read_getconf_caches() -> tuple[list[CacheLevel], str | None]:
    """Caches from glibc ``getconf -a`` (CPython's os.sysconf lacks these names), or [] and why."""
    done, why = run(["getconf", "-a"], timeout=5)
    if done is None:
        return [], why
    levels = caches_from_getconf(parse_getconf(done.stdout))
    return levels, None if levels else "getconf -a reports no cache sizes"


def read_caches(root: str = "/") -> CacheInfo:
    """CacheInfo from the first source that works; every failed source's reason is kept."""
    info = CacheInfo()
    tried: list[str] = []
    levels, problems = read_sysfs_caches(root)
    if levels:
        info.levels, info.source = levels, "sysfs"
        if problems:
            info.reasons["sysfs"] = "; ".join(problems[:3]) + (" ..." if len(problems) > 3 else "")
        return info
    tried.append("sysfs: " + ("; ".join(problems[:2]) or "nothing found"))
    fallbacks: list[tuple[str, Callable[[], tuple[list[CacheLevel], str | None]]]] = [
        ("lscpu", read_lscpu_caches)
    ]
    if platform.system() == "Darwin":
        fallbacks.append(("sysctl", read_sysctl_caches))
    fallbacks.append(("getconf", read_getconf_caches))
    for name, reader in fallbacks:
        levels, why = reader()
        if levels:
            info.levels, info.source = levels, name
            info.reasons["fallback"] = f"used {name} because " + " | ".join(tried)
            return info
        tried.append(f"{name}: {why}")
    info.reasons["levels"] = "no source described the caches (" + " | ".join(tried) + ")"
    return info

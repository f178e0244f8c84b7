"""CPU time, memory and context switches of the worker over the timed repetitions.

Taken around the same region as the counters, so a parallel backend visibly keeps
every core busy (``cpu_utilisation`` near the thread count) and a GPU backend
visibly leaves the CPU idle (near 0). ``RunRecord.process`` then holds::

    {"cpu_s": 1.02, "wall_s": 0.52, "cpu_utilisation": 1.96,
     "peak_rss_bytes": 98_566_144, "rss_growth_bytes": 4096,
     "voluntary_switches": 3, "involuntary_switches": 41,
     "measured": "worker pid 811: getrusage(RUSAGE_SELF), psutil RSS"}

The worker itself is read with ``getrusage(RUSAGE_SELF)`` (microsecond CPU times;
all its threads) and psutil (RSS). Child processes alive across the region (the
PyPy server, which runs the kernel for the ``pypy`` backend) are read with psutil
(CPU times in clock ticks, usually 10 ms; peak RSS from ``/proc/<pid>/status``)
and added in; ``measured`` names every process read and how. ``RUSAGE_CHILDREN``
would not do: it covers only children that have exited and been waited for.
``peak_rss_bytes`` is the highest resident memory reached so far (over the
process's life, up to the end of the region); ``rss_growth_bytes`` is resident
memory after the region minus before (negative when the region freed memory).
"""

from __future__ import annotations

import contextlib
import os
import resource
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

# ru_maxrss is in kilobytes on Linux and in bytes on macOS.
_MAXRSS_SCALE = 1 if sys.platform == "darwin" else 1024


@dataclass(frozen=True)
class Usage:
    """Cumulative figures of one or more processes at one moment."""

    cpu_s: float
    rss_bytes: int
    peak_rss_bytes: int
    voluntary: int
    involuntary: int


def _own_usage(process: Any) -> Usage:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return Usage(
        cpu_s=usage.ru_utime + usage.ru_stime,
        rss_bytes=process.memory_info().rss,
        peak_rss_bytes=usage.ru_maxrss * _MAXRSS_SCALE,
        voluntary=usage.ru_nvcsw,
        involuntary=usage.ru_nivcsw,
    )


def _peak_rss(pid: int, fallback: int) -> int:
    """VmHWM of a process (Linux), else its current RSS."""
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return fallback


def _child_usage(child: Any) -> Usage:
    with child.oneshot():
        times = child.cpu_times()
        rss = child.memory_info().rss
        switches = child.num_ctx_switches()
    return Usage(
        cpu_s=times.user + times.system,
        rss_bytes=rss,
        peak_rss_bytes=_peak_rss(child.pid, rss),
        voluntary=switches.voluntary,
        involuntary=switches.involuntary,
    )


def _total(usages: list[Usage]) -> Usage:
    return Usage(
        cpu_s=sum(u.cpu_s for u in usages),
        rss_bytes=sum(u.rss_bytes for u in usages),
        peak_rss_bytes=sum(u.peak_rss_bytes for u in usages),
        voluntary=sum(u.voluntary for u in usages),
        involuntary=sum(u.involuntary for u in usages),
    )


@dataclass
class ProcessRegion:
    """Filled in when the measured region ends: ``figures`` is the record's ``process``."""

    figures: dict[str, Any] | None = None


@contextlib.contextmanager
def measured_region() -> Iterator[ProcessRegion]:
    """Process figures for the body of the ``with``; ``figures`` stays None if it raises.

    >>> with measured_region() as region:
    ...     sum(range(10**6))
    499999500000
    >>> region.figures["wall_s"] > 0
    True
    """
    import psutil

    me = psutil.Process()
    children = []
    for child in me.children(recursive=True):
        with contextlib.suppress(psutil.Error):  # a child may end as it is listed
            children.append((child, _child_usage(child)))
    region = ProcessRegion()
    own_before = _own_usage(me)
    start = time.perf_counter()
    yield region
    wall = time.perf_counter() - start
    after = [_own_usage(me)]
    measured = [f"worker pid {os.getpid()}: getrusage(RUSAGE_SELF), psutil RSS"]
    kept = [own_before]
    for child, usage in children:
        try:
            name, at_end = child.name(), _child_usage(child)
        except psutil.Error:  # the child ended during the region: its share is unknown
            measured.append(f"child pid {child.pid} ended during the region, not counted")
            continue
        kept.append(usage)
        after.append(at_end)
        measured.append(f"child {name} pid {child.pid}: psutil, /proc status")
    first, last = _total(kept), _total(after)
    cpu = last.cpu_s - first.cpu_s
    region.figures = {
        "cpu_s": cpu,
        "wall_s": wall,
        "cpu_utilisation": cpu / wall if wall > 0 else None,
        "peak_rss_bytes": last.peak_rss_bytes,
        "rss_growth_bytes": last.rss_bytes - first.rss_bytes,
        "voluntary_switches": last.voluntary - first.voluntary,
        "involuntary_switches": last.involuntary - first.involuntary,
        "measured": "; ".join(measured),
    }

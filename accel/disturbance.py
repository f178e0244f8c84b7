"""Was a run disturbed? Measured around its timed repetitions, said in one sentence.

Three figures, each taken before and after the timed region:

- the time the worker's threads spent *waiting for a CPU* while runnable, from the
  scheduler's own account (``/proc/<pid>/task/<tid>/schedstat``: time on a CPU and
  time on a run queue, in nanoseconds, for every thread of the worker and of its
  children, such as the PyPy server). On-CPU time divided by wall time is the cores
  the run *got*; on-CPU plus waiting time divided by wall time is the cores its
  threads *asked for*. A sleeping thread asks for nothing, so a GPU run or a pool
  with passive waiting is not flagged for its idle threads;
- CPU steal over the region (``/proc/stat``): time the hypervisor gave this VM's CPUs
  to another guest;
- the load average before and after (context for a person, not a trigger: it is a
  one-minute average and counts the run's own threads).

:func:`judge` turns them into the record's ``disturbed``: None for a clean run, else
the reason, e.g. ``got 0.41 of the 2.00 cores its threads asked for (waited 1.2 s
for a CPU); load 3.9 before, 4.1 after on 2 CPUs``.

Written here rather than taken from a library: psutil gives neither per-thread run
queue delays nor steal over an interval in one call, and pyperf (which warns about
system load) checks before a run only, not whether this run's threads had to wait.
"""

from __future__ import annotations

import contextlib
import glob
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

#: A run whose threads waited this share of the time they asked for is disturbed...
WAIT_SHARE_LIMIT = 0.10
#: ... when the wait is also this share of the region's wall time (a thread that
#: mostly sleeps, as a GPU run's does, waits a few scheduler ticks after each wake-up).
WAIT_WALL_LIMIT = 0.02
#: A run on CPUs whose time was stolen this share of the region is disturbed.
STEAL_SHARE_LIMIT = 0.05


@dataclass(frozen=True)
class Snapshot:
    """Cumulative scheduler figures at one moment (None where the OS does not give them)."""

    at: float
    on_cpu_s: float | None
    waiting_s: float | None
    steal_ticks: int | None
    total_ticks: int | None
    load: float | None


def _schedstat(pids: Iterable[int]) -> tuple[float, float] | None:
    """(seconds on a CPU, seconds waiting on a run queue) summed over every thread."""
    on_cpu = waiting = 0
    seen = False
    for pid in pids:
        for path in glob.glob(f"/proc/{pid}/task/*/schedstat"):
            try:
                with open(path) as handle:
                    ran, waited, _ = handle.read().split()
            except (OSError, ValueError):  # a thread that ended as it was read
                continue
            on_cpu, waiting, seen = on_cpu + int(ran), waiting + int(waited), True
    return (on_cpu / 1e9, waiting / 1e9) if seen else None


def _stat_ticks() -> list[int] | None:
    """The first line of /proc/stat: ticks of every CPU by kind (user, nice, system,
    idle, iowait, irq, softirq, steal, ...)."""
    try:
        with open("/proc/stat") as handle:
            values = [int(v) for v in handle.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    return values + [0] * (8 - len(values))


def _cpu_ticks() -> tuple[int, int] | None:
    """(steal ticks, all ticks) of every CPU."""
    values = _stat_ticks()
    return None if values is None else (values[7], sum(values[:8]))


def busy_cores(interval: float = 0.05) -> float | None:
    """Cores that other work keeps busy now: the CPUs' non-idle time over ``interval``
    seconds while this process sleeps (None where /proc/stat cannot be read).

    Coarse (the kernel counts in ticks of 10 ms) but enough to tell a quiet machine
    from one where other processes run, which is what :mod:`accel.threads` asks.
    """
    before = _stat_ticks()
    start = time.perf_counter()
    time.sleep(interval)
    after = _stat_ticks()
    elapsed = time.perf_counter() - start
    if before is None or after is None or elapsed <= 0:
        return None
    delta = [b - a for a, b in zip(before[:8], after[:8], strict=True)]
    idle = delta[3] + delta[4]  # idle and iowait
    tick = 1 / (os.sysconf("SC_CLK_TCK") or 100)
    return max(sum(delta) - idle, 0) * tick / elapsed


def snapshot(pids: Iterable[int]) -> Snapshot:
    """The figures now, for the threads of ``pids``."""
    sched = _schedstat(pids)
    ticks = _cpu_ticks()
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = None
    return Snapshot(
        at=time.perf_counter(),
        on_cpu_s=sched[0] if sched else None,
        waiting_s=sched[1] if sched else None,
        steal_ticks=ticks[0] if ticks else None,
        total_ticks=ticks[1] if ticks else None,
        load=load,
    )


def contention(before: Snapshot, after: Snapshot, cpus: int) -> dict[str, Any]:
    """What the region got against what it asked for: the record's ``process["contention"]``."""
    wall = after.at - before.at
    found: dict[str, Any] = {
        "wall_s": wall,
        "cpus": cpus,
        "load_before": before.load,
        "load_after": after.load,
    }
    if before.on_cpu_s is not None and after.on_cpu_s is not None and wall > 0:
        on_cpu = max(after.on_cpu_s - before.on_cpu_s, 0.0)
        waiting = max((after.waiting_s or 0.0) - (before.waiting_s or 0.0), 0.0)
        found.update(
            on_cpu_s=on_cpu,
            waiting_s=waiting,
            cores_got=on_cpu / wall,
            cores_asked=(on_cpu + waiting) / wall,
        )
    if before.total_ticks is not None and after.total_ticks is not None:
        total = after.total_ticks - before.total_ticks
        if total > 0:
            found["steal_share"] = (after.steal_ticks - before.steal_ticks) / total
    return found


def judge(figures: dict[str, Any] | None) -> str | None:
    """None for a clean run, else why it was disturbed, with the measured figures.

    >>> print(judge({"cores_got": 0.41, "cores_asked": 2.0, "waiting_s": 1.2, "on_cpu_s": 0.3,
    ...              "wall_s": 0.73, "cpus": 2, "load_before": 3.9, "load_after": 4.1}))
    got 0.41 of the 2.00 cores its threads asked for (waited 1.2 s for a CPU); load 3.9 \
before, 4.1 after on 2 CPUs
    >>> judge({"cores_got": 1.0, "cores_asked": 1.01, "waiting_s": 0.01, "on_cpu_s": 1.0,
    ...        "cpus": 2, "load_before": 0.2, "load_after": 1.0}) is None
    True
    """
    if not figures:
        return None
    reasons = []
    asked, got = figures.get("cores_asked"), figures.get("cores_got")
    waiting, on_cpu = figures.get("waiting_s"), figures.get("on_cpu_s")
    if asked and got is not None and waiting is not None and on_cpu is not None:
        wall = figures.get("wall_s") or 0.0
        if waiting > WAIT_SHARE_LIMIT * (waiting + on_cpu) and waiting > WAIT_WALL_LIMIT * wall:
            reasons.append(
                f"got {got:.2f} of the {asked:.2f} cores its threads asked for "
                f"(waited {waiting:.2g} s for a CPU)"
            )
    elif (figures.get("load_before") or 0) > figures.get("cpus", 1):
        reasons.append("no scheduler figures here; the load was above the CPU count")
    steal = figures.get("steal_share")
    if steal is not None and steal > STEAL_SHARE_LIMIT:
        reasons.append(f"CPU steal {steal:.0%} (the hypervisor ran another guest)")
    if not reasons:
        return None
    before, after = figures.get("load_before"), figures.get("load_after")
    if before is not None and after is not None:
        reasons.append(f"load {before:.1f} before, {after:.1f} after on {figures['cpus']} CPUs")
    return "; ".join(reasons)


@dataclass
class Region:
    """Filled in when the region ends: ``figures`` (contention) and ``disturbed`` (reason)."""

    figures: dict[str, Any] | None = None
    disturbed: str | None = None


@contextlib.contextmanager
def watched(cpus: int) -> Iterator[Region]:
    """Contention figures and the verdict for the body of the ``with`` (this process and
    its children, such as a PyPy server started before it)."""
    import psutil

    def pids() -> list[int]:
        found = [os.getpid()]
        with contextlib.suppress(psutil.Error):
            found += [c.pid for c in psutil.Process().children(recursive=True)]
        return found

    region = Region()
    before = snapshot(pids())
    yield region
    region.figures = contention(before, snapshot(pids()), cpus)
    region.disturbed = judge(region.figures)

"""Can ``perf stat`` count here, and which events?

Runs ``perf stat -x, -e <events> true`` (argument list, no shell) and reads
perf's CSV: a value means the event counted; ``<not supported>`` means the
(virtual) PMU lacks it; ``<not counted>`` means it was scheduled but never ran
(multiplexing, or forbidden by perf_event_paranoid). In a VM without a virtual
PMU the hardware events are ``<not supported>`` while the software events
(task-clock, page-faults) still count.
"""

from __future__ import annotations

import re

from .report import PerfInfo
from .sysread import read_stripped, run

EVENTS = [
    "cycles",
    "instructions",
    "cache-references",
    "cache-misses",
    "branches",
    "branch-misses",
    "task-clock",
    "page-faults",
]
SOFTWARE_EVENTS = {"task-clock", "page-faults"}
COUNTED, NOT_SUPPORTED, NOT_COUNTED, MISSING = "counted", "not supported", "not counted", "missing"


def normalise_event(name: str) -> str:
    """Plain event name: "cpu_core/cycles/" -> "cycles", "cycles:u" -> "cycles"."""
    name = name.strip()
    match = re.fullmatch(r"[\w.-]+/([\w.-]+)/\w*", name)
    if match:
        name = match.group(1)
    return name.split(":", 1)[0]


def parse_perf_stat_csv(text: str, events: list[str] | None = None) -> dict[str, str]:
    """Status of each event in ``perf stat -x,`` output: counted / not supported / not counted.

    Hybrid CPUs print one line per core type (cpu_core/..., cpu_atom/...): the
    event counts if any of them counted. Requested events perf did not print at
    all are "missing".
    """
    status: dict[str, str] = {}
    rank = {COUNTED: 3, NOT_COUNTED: 2, NOT_SUPPORTED: 1}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split(",")
        if len(fields) < 3:
            continue
        value, event = fields[0].strip(), normalise_event(fields[2])
        if not event:
            continue
        if value == "<not supported>":
            new = NOT_SUPPORTED
        elif value == "<not counted>":
            new = NOT_COUNTED
        else:
            try:
                float(value)
            except ValueError:
                continue
            new = COUNTED
        if rank[new] > rank.get(status.get(event, ""), 0):
            status[event] = new
    for event in events or []:
        status.setdefault(event, MISSING)
    return status


def summarise(events: dict[str, str]) -> str:
    """One sentence on what perf can count, e.g. for a VM without a virtual PMU."""
    counted = [e for e, s in events.items() if s == COUNTED]
    unsupported = [e for e, s in events.items() if s == NOT_SUPPORTED]
    not_counted = [e for e, s in events.items() if s == NOT_COUNTED]
    hardware = [e for e in events if e not in SOFTWARE_EVENTS]
    if counted and not unsupported and not not_counted:
        return "perf stat counts every requested event (hardware and software)"
    if not counted:
        return "perf stat counted no event"
    parts = [f"perf stat counts {', '.join(counted)}"]
    if unsupported:
        hw_all = set(hardware) <= set(unsupported)
        label = "all hardware events are" if hw_all else "these events are"
        parts.append(
            f"{label} <not supported> ({', '.join(unsupported)})"
            + ("; typical of a virtual machine without a virtual PMU" if hw_all else "")
        )
    if not_counted:
        parts.append(f"<not counted>: {', '.join(not_counted)}")
    return "; ".join(parts)


def parse_perf_version(text: str) -> str | None:
    """ "perf version 6.1.187" -> "6.1.187"."""
    match = re.search(r"perf version\s+(\S+)", text)
    return match.group(1) if match else None


def read_perf(root: str = "/", events: list[str] | None = None) -> PerfInfo:
    """PerfInfo for this machine: version, paranoid level, and a real ``perf stat`` trial."""
    events = list(events or EVENTS)
    info = PerfInfo()
    paranoid, why = read_stripped(root, "/proc/sys/kernel/perf_event_paranoid")
    try:
        info.paranoid = int(paranoid) if paranoid is not None else None
    except ValueError:
        why = f"perf_event_paranoid holds {paranoid!r}"
    if info.paranoid is None:
        info.reasons["paranoid"] = why or "unknown"

    done, why = run(["perf", "--version"], timeout=10)
    if done is None:
        info.reasons["perf_path"] = why or "perf not found"
        info.summary = f"perf unusable: {why}"
        return info
    info.perf_path = done.args[0] if isinstance(done.args, list) else None
    info.version = parse_perf_version(done.stdout + done.stderr)
    if info.version is None:
        first = (done.stdout + done.stderr).strip().splitlines()
        info.reasons["version"] = f"perf --version said: {first[0] if first else 'nothing'}"[:200]

    done, why = run(["perf", "stat", "-x,", "-e", ",".join(events), "true"], timeout=20)
    if done is None:
        info.reasons["events"] = why or "perf stat did not run"
        info.summary = f"perf stat could not run: {why}"
        return info
    info.events = parse_perf_stat_csv(done.stderr, events)
    if done.returncode != 0 and not any(s == COUNTED for s in info.events.values()):
        message = done.stderr.strip().splitlines()
        info.reasons["events"] = f"perf stat failed (exit {done.returncode}): " + (
            message[0][:200] if message else "no message"
        )
        info.summary = info.reasons["events"]
        return info
    info.can_count = any(s == COUNTED for s in info.events.values())
    info.summary = summarise(info.events)
    return info

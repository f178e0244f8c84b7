"""The one perf module: find ``perf``, probe which events it counts here, read its CSV.

Used by the hardware report (``accel hardware``) and by the run counters
(``accel run --counters``), so both find the same perf (``$ACCEL_PERF``, else ``perf``
on PATH), try it the same way (``perf stat`` with the options a counted run uses, on a
trivial command) and name the same events the same way (:func:`normalise_event`).

perf's CSV (``perf stat -x, --no-big-num``): a value means the event counted;
``<not supported>`` means the (virtual) PMU lacks it; ``<not counted>`` means it was
scheduled but never ran (multiplexing, or forbidden by perf_event_paranoid). In a VM
without a virtual PMU the hardware events are ``<not supported>`` while the software
events (task-clock, page-faults) still count: then perf "runs" but cannot count a
single cache miss, and ``can_count`` (hardware events) is False.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field

from .report import PerfInfo
from .sysread import find_program, read_stripped, run

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
SOFTWARE_EVENTS = frozenset(
    {
        "task-clock",
        "cpu-clock",
        "page-faults",
        "minor-faults",
        "major-faults",
        "context-switches",
        "cpu-migrations",
        "alignment-faults",
        "emulation-faults",
    }
)
COUNTED, NOT_SUPPORTED, NOT_COUNTED, MISSING = "counted", "not supported", "not counted", "missing"
#: The perf executable to use instead of ``perf`` on PATH.
PERF_ENV = "ACCEL_PERF"
PERF_FIX = (
    "install perf (Debian: apt-get install linux-perf; Ubuntu: linux-tools-$(uname -r)) "
    f"or set {PERF_ENV}=/path/to/perf"
)
#: A decimal comma would break perf's comma-separated output.
PERF_LOCALE = {"LC_NUMERIC": "C", "LC_ALL": "C"}
PROBE_TIMEOUT_S = 30.0
# A hybrid CPU's per-core-type copy of a named event: cpu_core/cycles/ -> cycles.
_PMU_EVENT = re.compile(r"[\w.-]+/([\w.-]+)/(\w*)")


def is_hardware_event(name: str) -> bool:
    """True for events a CPU's PMU counts (cycles, cache-misses), False for software events."""
    return normalise_event(name) not in SOFTWARE_EVENTS


def normalise_event(printed: str, requested: Sequence[str] = ()) -> str:
    """The name an event is known by: as requested where perf printed it so, else plain.

    One rule for the hardware report and the run counters: a requested name stays as it
    is (``cycles:u`` when asked for ``cycles:u``); a hybrid CPU's ``cpu_core/cycles/``
    becomes ``cycles`` (``cpu/cycles/u`` becomes ``cycles:u``); a modifier perf added to a
    plain request (``cycles:u`` for ``cycles``) goes.

    >>> normalise_event("cpu_core/cycles/"), normalise_event("cycles:u", ["cycles"])
    ('cycles', 'cycles')
    """
    printed = printed.strip()
    if printed in requested:
        return printed
    match = _PMU_EVENT.fullmatch(printed)
    name = printed
    if match is not None:
        name = match.group(1) + (f":{match.group(2)}" if match.group(2) else "")
    if name in requested:
        return name
    plain = name.split(":", 1)[0]
    return plain if plain in requested or not requested else name


@dataclass(frozen=True)
class EventCount:
    """One event as perf reported it: the value is None unless it was counted."""

    value: float | None
    unit: str
    status: str
    fraction: float | None


def _merge(old: EventCount, new: EventCount) -> EventCount:
    """Two lines for one event (a hybrid CPU's core types): counts add, the lower fraction holds."""
    if old.value is None or new.value is None:
        if old.value is not None:
            return old
        if new.value is not None:
            return new
        rank = {NOT_COUNTED: 2, NOT_SUPPORTED: 1}
        return new if rank.get(new.status, 0) > rank.get(old.status, 0) else old
    fractions = [f for f in (old.fraction, new.fraction) if f is not None]
    return EventCount(old.value + new.value, old.unit, COUNTED, min(fractions, default=None))


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def parse_perf_csv(text: str, requested: Sequence[str] = ()) -> dict[str, EventCount]:
    """Counts from ``perf stat -x, --no-big-num`` output, keyed by :func:`normalise_event`.

    A line is ``value,unit,event,run time,percent running[,metric,metric unit]``.
    ``<not supported>`` and ``<not counted>`` values become those statuses with
    value None; a percentage below 100 means the event was multiplexed (counted for
    that share of the region, and scaled by perf). Comments, blank lines and perf's
    messages are skipped. Lines of a hybrid CPU's core types (``cpu_core/cycles/``,
    ``cpu_atom/cycles/``) are added into one event unless that name was requested.
    """
    counts: dict[str, EventCount] = {}
    for line in text.splitlines():
        fields = line.strip().split(",")
        if len(fields) < 5 or fields[0].startswith("#"):
            continue
        # The event name itself may hold commas; run time and percentage follow it.
        end = next(
            (
                i
                for i in range(3, len(fields) - 1)
                if fields[i].isdigit() and _is_number(fields[i + 1])
            ),
            None,
        )
        if end is None:
            continue
        raw, unit, name = fields[0].strip(), fields[1].strip(), ",".join(fields[2:end]).strip()
        if raw == "<not supported>":
            count = EventCount(None, unit, NOT_SUPPORTED, None)
        elif raw == "<not counted>":
            count = EventCount(None, unit, NOT_COUNTED, None)
        elif _is_number(raw):
            count = EventCount(float(raw), unit, COUNTED, float(fields[end + 1]) / 100.0)
        else:
            continue
        key = normalise_event(name, requested)
        counts[key] = _merge(counts[key], count) if key in counts else count
    return counts


def parse_perf_stat_csv(text: str, events: Sequence[str] | None = None) -> dict[str, str]:
    """Status of each event in ``perf stat -x,`` output: counted / not supported / not counted.

    Requested events perf did not print at all are "missing"; on a hybrid CPU an event
    counts if any core type counted it.
    """
    statuses = {name: count.status for name, count in parse_perf_csv(text, events or ()).items()}
    for event in events or []:
        statuses.setdefault(event, MISSING)
    return statuses


def summarise(events: dict[str, str]) -> str:
    """One sentence on what perf can count, e.g. for a VM without a virtual PMU."""
    counted = [e for e, s in events.items() if s == COUNTED]
    unsupported = [e for e, s in events.items() if s == NOT_SUPPORTED]
    not_counted = [e for e, s in events.items() if s == NOT_COUNTED]
    hardware = [e for e in events if is_hardware_event(e)]
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


def find_perf() -> tuple[str | None, str]:
    """The perf executable (``$ACCEL_PERF``, else ``perf`` on PATH), or None and why not."""
    return find_program(PERF_ENV, "perf", PERF_FIX)


def perf_command(
    perf: str,
    events: Sequence[str],
    control: str,
    ack: str,
    output: str | None,
    workload: list[str],
    *,
    start_disabled: bool = True,
) -> list[str]:
    """``perf stat`` around ``workload``, its counters off until the control FIFO says so.

    With ``output`` None, perf writes its CSV to stderr.
    """
    return [
        perf, "stat", "-x,", "--no-big-num", *(["-D", "-1"] if start_disabled else []),
        "--control", f"fifo:{control},{ack}",
        "-e", ",".join(events), *(["-o", output] if output else []), "--", *workload,
    ]  # fmt: skip


def paranoid_level(root: str = "/") -> tuple[int | None, str]:
    """kernel.perf_event_paranoid, or None and why it cannot be read."""
    text, why = read_stripped(root, "/proc/sys/kernel/perf_event_paranoid")
    if text is None:
        return None, why or "unknown"
    try:
        return int(text), ""
    except ValueError:
        return None, f"perf_event_paranoid holds {text!r}"


_WHY_ABSENT = {
    NOT_SUPPORTED: "not supported by this CPU/VM (perf reports <not supported>)",
    NOT_COUNTED: "not counted (perf reports <not counted>: the counter never ran)",
    MISSING: "perf printed no count",
}


def absent_reason(statuses: dict[str, str]) -> str:
    """One sentence naming the events that were not counted and why, or '' if all were.

    >>> absent_reason({"cycles": "not supported", "task-clock": "counted"})
    'cycles: not supported by this CPU/VM (perf reports <not supported>)'
    """
    parts = []
    for status, why in _WHY_ABSENT.items():
        names = [name for name, s in statuses.items() if s == status]
        if names:
            parts.append(f"{', '.join(names)}: {why}")
    return "; ".join(parts)


@dataclass(frozen=True)
class PerfProbe:
    """What ``perf stat`` counts here, with each event's status, or why it does not run."""

    perf: str | None
    statuses: dict[str, str] = field(default_factory=dict)
    reason: str = ""
    stderr: str = ""

    @property
    def can_count(self) -> bool:
        """perf runs and counts at least one of the probed events (software ones included)."""
        return self.perf is not None and COUNTED in self.statuses.values()

    @property
    def counts_hardware(self) -> bool:
        """perf counts at least one probed hardware event (a cache miss, a cycle)."""
        return self.perf is not None and any(
            status == COUNTED and is_hardware_event(name) for name, status in self.statuses.items()
        )


def probe(events: Sequence[str] = tuple(EVENTS)) -> PerfProbe:
    """Try ``perf stat`` with a counted run's own options on ``true`` (cached per process)."""
    perf, why = find_perf()
    if perf is None:
        return PerfProbe(None, {}, why)
    return _probe(perf, tuple(events))


def _probe_once(perf: str, events: tuple[str, ...]) -> PerfProbe:
    with tempfile.TemporaryDirectory(prefix="accel-perf-probe-") as folder:
        control, ack, output = (os.path.join(folder, n) for n in ("ctl", "ack", "out.csv"))
        os.mkfifo(control)
        os.mkfifo(ack)
        # Counters on from the start: which of the events count at all?
        command = perf_command(perf, events, control, ack, output, ["true"], start_disabled=False)
        done, why = run(command, timeout=PROBE_TIMEOUT_S)
        try:
            with open(output) as handle:
                statuses = parse_perf_stat_csv(handle.read(), events)
        except OSError:
            statuses = {}
    if done is None:
        return PerfProbe(perf, {e: MISSING for e in events}, f"perf stat does not run: {why}")
    statuses = {name: statuses.get(name, MISSING) for name in events}
    if COUNTED in statuses.values():
        return PerfProbe(perf, statuses, "", done.stderr)
    said = done.stderr.strip()
    if "paranoid" in said or "Access to performance monitoring" in said:
        setting = re.search(r"perf_event_paranoid setting is (-?\d+)", said)
        level = setting.group(1) if setting else paranoid_level()[0]
        return PerfProbe(
            perf,
            statuses,
            "perf is not permitted to count here (kernel.perf_event_paranoid is "
            f"{'unknown' if level is None else level}; perf stat exit {done.returncode}); "
            "as root: sysctl kernel.perf_event_paranoid=1, or grant CAP_PERFMON",
            done.stderr,
        )
    if any(status != MISSING for status in statuses.values()):
        return PerfProbe(
            perf, statuses, f"no requested event counts here: {absent_reason(statuses)}"
        )
    first = next((line.strip() for line in said.splitlines() if line.strip()), "no message")
    return PerfProbe(
        perf,
        statuses,
        f"perf stat does not run ({perf}, exit {done.returncode}): {first[:200]}",
        done.stderr,
    )


_probe = functools.cache(_probe_once)


def read_perf(root: str = "/", events: list[str] | None = None) -> PerfInfo:
    """PerfInfo for this machine: version, paranoid level, and the counters' own probe.

    ``can_count`` is True only where a hardware event counts: task-clock counting in a
    VM without a virtual PMU counts no cache miss.
    """
    events = list(events or EVENTS)
    info = PerfInfo()
    info.paranoid, why = paranoid_level(root)
    if info.paranoid is None:
        info.reasons["paranoid"] = why
    perf, why = find_perf()
    if perf is None:
        why = "perf not found on PATH" if why.startswith("perf is not on PATH") else why
        info.reasons["perf_path"] = why
        info.summary = f"perf unusable: {why}"
        return info
    done, why = run([perf, "--version"], timeout=10)
    if done is None:
        info.reasons["perf_path"] = why or "perf not found"
        info.summary = f"perf unusable: {why}"
        return info
    info.perf_path = shutil.which(perf) or perf
    info.version = parse_perf_version(done.stdout + done.stderr)
    if info.version is None:
        first = (done.stdout + done.stderr).strip().splitlines()
        info.reasons["version"] = f"perf --version said: {first[0] if first else 'nothing'}"[:200]
    probed = _probe_once(perf, tuple(events))
    info.events = dict(probed.statuses)
    if not probed.can_count:
        info.reasons["events"] = probed.reason
        said = probed.stderr.strip().splitlines()
        info.summary = probed.reason + (f"; perf said: {said[0][:200]}" if said else "")
        return info
    info.can_count = probed.counts_hardware
    info.summary = summarise(info.events)
    return info

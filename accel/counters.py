"""Counters for the timed repetitions only: ``perf stat`` around a worker, switched by FIFOs.

The runner wraps the worker command (an argument list, never a shell)::

    perf stat -x, --no-big-num -D -1 --control fifo:CTL,ACK -e EVENTS -o OUT \
        -- python -m accel.worker SPEC RECORD

perf starts with every counter off (``-D -1``). The worker writes ``enable`` to the
control FIFO just before the timed repetitions and ``disable`` just after, waiting
each time for perf's ``ack`` (:func:`counting`), so the counts hold the timed calls
and nothing else: not the interpreter starting, not imports, not JIT compilation,
not building inputs. Child processes (the PyPy server) inherit the counters, so their
work in the region counts too. The round trip lies outside the per-call loop and adds
nothing to the timed samples.

``RunRecord.counters`` then holds::

    {"scope": "timed repetitions", "repeats": 20,
     "events": {"task-clock": {"value": 412.5, "unit": "msec", "status": "counted",
                               "fraction": 1.0, "per_call": 20.6},
                "cycles": {"value": None, "unit": "", "status": "not supported",
                           "fraction": None, "per_call": None}},
     "ipc": 1.92, "miss_ratio": 0.031}

``fraction`` is the share of the region an event was really counted (perf's running
over enabled time): below 1 the PMU was multiplexed and perf scaled the value up.
Events perf cannot count have status ``not supported``, ``not counted`` or
``missing`` and value None, never 0; ``ipc`` and ``miss_ratio`` are None unless both
of their events counted. Where nothing can be counted, ``counters`` is None and
``counters_reason`` says why.
"""

from __future__ import annotations

import contextlib
import os
import re
import select
import signal
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import UsageError
from .hardware.perf import (
    EVENTS,
    MISSING,
    PERF_ENV,
    PERF_FIX,
    PERF_LOCALE,
    EventCount,
    PerfProbe,
    absent_reason,
    find_perf,
    is_hardware_event,
    parse_perf_csv,
    perf_command,
    probe,
)

if TYPE_CHECKING:
    from .cachesim import SimulatedPlan

__all__ = [
    "PERF_ENV",
    "PERF_FIX",
    "EventCount",
    "PerfProbe",
    "absent_reason",
    "find_perf",
    "parse_perf_csv",
    "perf_command",
    "probe",
]

#: Events counted unless ``--events`` says otherwise (close to the book's choice).
DEFAULT_EVENTS: tuple[str, ...] = tuple(EVENTS)
#: Environment variables that hand the worker perf's control and acknowledgement FIFOs.
CONTROL_ENV, ACK_ENV = "ACCEL_PERF_CONTROL", "ACCEL_PERF_ACK"
ACK_TIMEOUT_S = 10.0
_EVENT_LIST = re.compile(r"[A-Za-z0-9_.:/=,-]{1,2000}")
# One event of a list: commas inside /.../ belong to PMU terms (cpu/event=0x3c,umask=0/).
_EVENT_ITEM = re.compile(r"(?:[^,/]|/[^/]*/)+")


def parse_events(events: str | Sequence[str] | None) -> tuple[str, ...]:
    """The events to count, checked against a strict pattern; None gives the default set.

    >>> parse_events("task-clock,page-faults")
    ('task-clock', 'page-faults')
    """
    if events is None:
        return DEFAULT_EVENTS
    text = events if isinstance(events, str) else ",".join(events)
    items = _EVENT_ITEM.findall(text)
    if not _EVENT_LIST.fullmatch(text) or ",".join(items) != text or not all(items):
        raise UsageError(
            "events must be perf event names separated by commas (letters, digits and "
            f"- _ . : / =), e.g. {','.join(DEFAULT_EVENTS[:3])}; got {text!r}"
        )
    return tuple(items)


def _ratio(events: Mapping[str, Mapping[str, Any]], top: str, bottom: str) -> float | None:
    a, b = events.get(top, {}).get("value"), events.get(bottom, {}).get("value")
    return a / b if a is not None and b else None


def summarise(
    counts: Mapping[str, EventCount], events: Sequence[str], repeats: int
) -> dict[str, Any]:
    """The record's ``counters`` entry: every requested event, per call, IPC and miss ratio."""
    names = list(events) + [name for name in counts if name not in events]
    table: dict[str, dict[str, Any]] = {}
    for name in names:
        count = counts.get(name, EventCount(None, "", MISSING, None))
        per_call = count.value / repeats if count.value is not None and repeats else None
        table[name] = {
            "value": count.value,
            "unit": count.unit,
            "status": count.status,
            "fraction": count.fraction,
            "per_call": per_call,
        }
    return {
        "source": "perf",
        "label": "perf",
        "scope": "timed repetitions",
        "repeats": repeats,
        "events": table,
        "ipc": _ratio(table, "instructions", "cycles"),
        "miss_ratio": _ratio(table, "cache-misses", "cache-references"),
    }


_PERF_NOTES = frozenset({"Events enabled", "Events disabled"})
_SIGNAL_DESCRIPTIONS = {
    description: int(number)
    for number in signal.Signals
    if (description := signal.strsignal(number)) is not None
}


class CounterPlan:
    """The runner's side: whether one worker run is counted, its command, and its counts.

    >>> plan = plan_counters(True, DEFAULT_EVENTS, folder)        # doctest: +SKIP
    >>> command = plan.wrap(worker_command)                         # doctest: +SKIP
    >>> ... run command with plan.environment() added ...           # doctest: +SKIP
    >>> plan.fill(record)                                           # doctest: +SKIP
    """

    def __init__(
        self, events: Sequence[str], reason: str, perf: str | None = None, folder: str = ""
    ) -> None:
        self.events = tuple(events)
        self.reason = reason
        self.perf = perf
        #: Set when the counts come from a second run under valgrind's cache simulator.
        self.simulation: SimulatedPlan | None = None
        self.program = ""
        self.control, self.ack, self.output = (
            os.path.join(folder, name) for name in ("perf-ctl", "perf-ack", "perf.csv")
        )

    @property
    def counting(self) -> bool:
        return self.perf is not None and not self.reason

    def wrap(self, worker: list[str]) -> list[str]:
        """The command to start: the worker under ``perf stat``, or the worker alone."""
        if not self.counting:
            return worker
        assert self.perf is not None
        self.program = worker[0]
        return perf_command(self.perf, self.events, self.control, self.ack, self.output, worker)

    def environment(self) -> dict[str, str]:
        """Variables the worker needs to switch the counters (none when not counting)."""
        if not self.counting:
            return {}
        return {CONTROL_ENV: self.control, ACK_ENV: self.ack, **PERF_LOCALE}

    def worker_outcome(self, returncode: int | None, stderr: str) -> tuple[int | None, str]:
        """The worker's own exit code and stderr, seen through perf.

        perf exits 0 when its workload dies of a signal, saying so on stderr as
        ``<program>: <signal description>``; that becomes ``-signal`` again, as if the
        worker had been started directly. perf's ``Events enabled/disabled`` notes go.
        """
        if not self.counting:
            return returncode, stderr
        lines = [line for line in stderr.splitlines() if line not in _PERF_NOTES]
        for line in reversed(lines):
            program, _, said = line.partition(": ")
            if program == self.program and said in _SIGNAL_DESCRIPTIONS:
                returncode = -_SIGNAL_DESCRIPTIONS[said]
                break
        return returncode, "\n".join(lines)

    def fill(self, record: Any) -> None:
        """Put the counts (or why there are none) into the worker's record."""
        record.counters = None
        if not self.counting:
            record.counters_reason = self.reason
            return
        if record.counters_reason:  # the worker could not switch the counters
            return
        repeats = len(record.samples_s)
        if not repeats:
            record.counters_reason = "no timed repetitions ran, so nothing was counted"
            return
        try:
            with open(self.output) as handle:
                counts = parse_perf_csv(handle.read(), self.events)
        except OSError as exc:
            record.counters_reason = f"perf wrote no counts ({exc.strerror})"
            return
        if not counts:
            record.counters_reason = "perf's output holds no counts"
            return
        record.counters = summarise(counts, self.events, repeats)
        record.counters_reason = absent_reason(
            {name: entry["status"] for name, entry in record.counters["events"].items()}
        )


#: Where counts come from: ``auto`` picks perf where a hardware event counts, else the
#: cache simulator (see :func:`choose_source`).
COUNTER_SOURCES: tuple[str, ...] = ("auto", "perf", "simulated")


def choose_source(source: str, events: Sequence[str]) -> tuple[str, str]:
    """The source a counted run uses (perf or simulated) and, for ``auto``, why.

    ``auto`` takes perf where it counts a requested hardware event, or where only
    software events (task-clock, page-faults) were asked for and perf counts them;
    otherwise valgrind's cache simulator, where it can run; otherwise perf, whose
    probe then says what it cannot count (and the second value why the simulator cannot).
    """
    if source != "auto":
        return source, ""
    found = probe(events)
    if found.counts_hardware:
        return "perf", ""
    if found.can_count and not any(is_hardware_event(e) for e in events):
        return "perf", ""
    from .cachesim import simulator

    if simulator().usable:
        return "simulated", found.reason or "perf counts no hardware event here"
    return "perf", simulator().reason


def plan_counters(
    enabled: bool,
    events: Sequence[str],
    folder: str,
    source: str = "auto",
    backend: str = "",
) -> CounterPlan:
    """Decide whether and how a run in ``folder`` is counted: perf's FIFOs, or the simulator."""
    if not enabled:
        return CounterPlan(events, "counters not requested (use --counters)")
    chosen, why_not_simulated = choose_source(source, events)
    if chosen == "simulated":
        from .cachesim import plan_simulated

        simulation, why = plan_simulated(folder, backend)
        plan = CounterPlan(events, why)
        plan.simulation = simulation
        return plan
    found = probe(events)
    if not found.can_count:
        also = f"; no simulated counts either: {why_not_simulated}" if why_not_simulated else ""
        return CounterPlan(events, found.reason + also)
    plan = CounterPlan(events, "", found.perf, folder)
    try:
        os.mkfifo(plan.control)
        os.mkfifo(plan.ack)
    except OSError as exc:
        return CounterPlan(events, f"cannot make perf's control FIFOs in {folder}: {exc}")
    return plan


class CounterControlError(RuntimeError):
    """perf did not take or acknowledge a control command."""


class PerfControl:
    """The worker's side: switch perf's counters on and off through its FIFOs."""

    def __init__(self, control: str, ack: str, timeout: float = ACK_TIMEOUT_S) -> None:
        self.timeout = timeout
        # perf holds both FIFOs open, so non-blocking opens find it or fail at once.
        self.control_fd = os.open(control, os.O_WRONLY | os.O_NONBLOCK)
        try:
            self.ack_fd = os.open(ack, os.O_RDONLY | os.O_NONBLOCK)
        except OSError:
            os.close(self.control_fd)
            raise

    def send(self, command: str) -> None:
        """Write ``command`` (enable / disable) and wait for perf's ``ack``."""
        os.write(self.control_fd, f"{command}\n".encode())
        received = b""
        deadline = time.monotonic() + self.timeout
        while b"ack" not in received:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.ack_fd], [], [], left)[0]:
                raise CounterControlError(
                    f"perf did not acknowledge {command!r} in {self.timeout:g} s"
                )
            with contextlib.suppress(BlockingIOError):
                received += os.read(self.ack_fd, 64)

    def close(self) -> None:
        os.close(self.control_fd)
        os.close(self.ack_fd)


@dataclass
class CountedRegion:
    """What :func:`counting` did: ``problem`` is '' when the counts cover the region exactly."""

    active: bool = False
    problem: str = ""


@contextlib.contextmanager
def counting(environ: Mapping[str, str] = os.environ) -> Iterator[CountedRegion]:
    """perf's counters on for the body of the ``with`` only, when the runner set perf up.

    Without the control variables this does nothing. A failure to switch is noted in
    the yielded region's ``problem`` and never raised: the run itself goes on.
    """
    region = CountedRegion()
    control, ack = environ.get(CONTROL_ENV), environ.get(ACK_ENV)
    if not control or not ack:
        yield region
        return
    perf: PerfControl | None = None
    try:
        perf = PerfControl(control, ack)
        perf.send("enable")
        region.active = True
    except (OSError, CounterControlError) as exc:
        region.problem = f"could not switch perf's counters on: {exc}"
    try:
        yield region
    finally:
        if perf is not None:
            if region.active:
                try:
                    perf.send("disable")
                except (OSError, CounterControlError) as exc:
                    region.problem = f"could not switch perf's counters off: {exc}"
            perf.close()

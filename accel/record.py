"""The run record: everything one measurement produced, as typed data and as JSON.

A record is written by the worker process and read by the parent, the store and the
reports. ``SCHEMA_VERSION`` changes whenever a field changes meaning; readers refuse
records from a newer schema rather than misread them.

The parts of a record are typed too (:class:`Check`, :class:`Transfer`,
:class:`Counters` with an :class:`EventFigures` per event, :class:`ProcessFigures`),
serialised to the same JSON objects as before; they also read by key
(``record.counters["ipc"]``, ``record.process.get("cpu_s")``) as those objects do.
A record read from a file is checked against these annotations (:func:`check_types`),
so a new field is checked as soon as it is declared.
"""

from __future__ import annotations

import json
import statistics
import typing
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from typing import Any, Literal

from .hardware.report import check_plain, from_plain
from .intervals import Interval, median_interval, untrusted

SCHEMA_VERSION = 1

Status = Literal["ok", "invalid", "failed", "timeout", "unavailable"]
STATUSES: tuple[str, ...] = ("ok", "invalid", "failed", "timeout", "unavailable")


@dataclass
class Samples:
    """Timed repetitions of the kernel (seconds each) and their summary statistics."""

    values: list[float]

    @property
    def repeats(self) -> int:
        return len(self.values)

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def mean(self) -> float:
        return statistics.fmean(self.values)

    @property
    def stdev(self) -> float:
        return statistics.stdev(self.values) if len(self.values) > 1 else 0.0

    @property
    def minimum(self) -> float:
        return min(self.values)

    @property
    def maximum(self) -> float:
        return max(self.values)

    @property
    def iqr(self) -> float:
        """Interquartile range; 0 with fewer than two samples."""
        if len(self.values) < 2:
            return 0.0
        q1, _, q3 = statistics.quantiles(self.values, n=4, method="inclusive")
        return q3 - q1

    @property
    def interval(self) -> Interval | None:
        """The median with its 95% confidence interval (order statistics)."""
        return median_interval(self.values)

    @property
    def untrusted(self) -> str | None:
        """Why the samples are too spread to trust (wide spread, two clusters), or None."""
        return untrusted(self.values)

    def summary(self) -> dict[str, float | int]:
        interval = self.interval
        return {
            "repeats": self.repeats,
            "median_s": self.median,
            "mean_s": self.mean,
            "stdev_s": self.stdev,
            "iqr_s": self.iqr,
            "min_s": self.minimum,
            "max_s": self.maximum,
            "ci_low_s": interval.low,
            "ci_high_s": interval.high,
            "ci_confidence": interval.confidence,
            "untrusted": self.untrusted,
        }


class Part:
    """A typed part of a record that also reads (and writes) by key, as its JSON object."""

    def keys(self) -> list[str]:
        return [f.name for f in fields(self)]  # type: ignore[arg-type]

    def __getitem__(self, name: str) -> Any:
        if name not in self.keys():
            raise KeyError(name)
        return getattr(self, name)

    def __setitem__(self, name: str, value: Any) -> None:
        if name not in self.keys():
            raise KeyError(f"{type(self).__name__} has no field {name!r}")
        setattr(self, name, value)

    def __contains__(self, name: object) -> bool:
        return name in self.keys()

    def get(self, name: str, default: Any = None) -> Any:
        return getattr(self, name) if name in self.keys() else default

    def __eq__(self, other: object) -> bool:
        """Equal to the same part, or to its JSON object (a dict of every field)."""
        if isinstance(other, Mapping) and not isinstance(other, Part):
            return asdict(self) == dict(other)  # type: ignore[call-overload]
        if type(other) is not type(self):
            return NotImplemented
        return asdict(self) == asdict(other)  # type: ignore[call-overload]

    __hash__ = None  # type: ignore[assignment]  # mutable, as the dict it stands for

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Any:
        """The part from its JSON object; unknown or missing names are a ValueError."""
        names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        unknown = sorted(set(data) - names)
        if unknown:
            where = _PART_NAMES.get(cls, cls.__name__.lower())
            raise ValueError(f"{where} has no field {unknown[0]!r}")
        check_plain(cls, dict(data), _PART_NAMES.get(cls, cls.__name__.lower()))
        hints = typing.get_type_hints(cls)
        try:
            return cls(**{k: from_plain(hints[k], v) for k, v in data.items()})
        except TypeError as exc:  # a required field missing
            raise ValueError(f"{cls.__name__.lower()}: {exc}") from None


@dataclass(eq=False)
class Check(Part):
    """The kernel's verdict on the run's output: passed, an error figure, and why.

    A kernel's check always gives all three; an imported record must have them too.
    """

    passed: bool
    error: float | None = None
    detail: str = ""


@dataclass(eq=False)
class EventFigures(Part):
    """One perf event over the timed repetitions: its count, and per call where counted."""

    value: float | None = None
    unit: str = ""
    status: str = ""
    fraction: float | None = None
    per_call: float | None = None


@dataclass(eq=False)
class Counters(Part):
    """Counts over the timed repetitions, from perf (:func:`accel.counters.summarise`) or
    valgrind's cache simulator (:func:`accel.cachesim.summarise`, with its ``notes``, the
    ``seconds`` the simulated run took, split in ``phases_s``, and the L1 miss ratios)."""

    source: str = "perf"
    label: str = ""
    scope: str = "timed repetitions"
    repeats: int = 0
    events: dict[str, EventFigures] = field(default_factory=dict)
    ipc: float | None = None
    miss_ratio: float | None = None
    l1d_miss_ratio: float | None = None
    l1i_miss_ratio: float | None = None
    notes: list[str] = field(default_factory=list)
    seconds: float | None = None
    #: Simulated only: where ``seconds`` went (:func:`accel.cachesim.simulated_phases`).
    phases_s: dict[str, float] = field(default_factory=dict)


@dataclass(eq=False)
class ProcessFigures(Part):
    """CPU time, memory and context switches over the timed repetitions
    (:mod:`accel.process_stats`), and how much of the CPUs the run got
    (``contention``, :mod:`accel.disturbance`)."""

    cpu_s: float | None = None
    wall_s: float | None = None
    cpu_utilisation: float | None = None
    peak_rss_bytes: int | None = None
    rss_growth_bytes: int | None = None
    voluntary_switches: int | None = None
    involuntary_switches: int | None = None
    measured: str = ""
    contention: dict[str, Any] | None = None


@dataclass(eq=False)
class Transfer(Part):
    """Host-to-device and device-to-host movement of one run (time and bytes).

    ``h2d_s``/``d2h_s`` are the device's own times of the copies where it has a clock
    (CUDA events), else wall times; the wall times stand beside, and ``includes`` says
    what was inside the timed copy (records before these fields leave them empty).
    """

    h2d_s: float
    h2d_bytes: int
    d2h_s: float
    d2h_bytes: int
    pinned: bool | None = None
    #: Wall time of the same copies (the host's view: launch, wait, return).
    h2d_wall_s: float | None = None
    d2h_wall_s: float | None = None
    #: The clock ``h2d_s``/``d2h_s`` come from ("CUDA events on the copy stream", ...).
    clock: str = ""
    #: What the times cover (the copy alone, after a warm-up; staging apart).
    includes: str = ""


def run_label(backend: str, variant: str | None) -> str:
    """What views call a run: its backend, and its variant where it ran one
    (``numpy (numpy_roll)``)."""
    return f"{backend} ({variant})" if variant else backend


def backend_of(label: str) -> str:
    """The backend of a run's label (:attr:`RunRecord.label`): ``numpy (numpy_roll)`` -> numpy."""
    return label.split(" ", 1)[0]


@dataclass
class RunRecord:
    """One measured run of one kernel on one backend at one size."""

    kernel: str
    backend: str
    size: int
    dtype: str
    status: Status
    reason: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    threads: int | None = None
    seed: int = 0
    check: Check | None = None
    first_call_s: float | None = None
    warmups: int = 0
    samples_s: list[float] = field(default_factory=list)
    phases_s: dict[str, float] = field(default_factory=dict)
    transfer: Transfer | None = None
    counters: Counters | None = None
    counters_reason: str = ""
    process: ProcessFigures | None = None
    #: A GPU run's device state through NVML, "before" and "after" the timed calls:
    #: temperature, SM clock, throttle reasons, other processes (None without NVML).
    gpu_state: dict[str, Any] | None = None
    #: None for a clean run, else why its timings cannot be trusted, measured
    #: (:mod:`accel.disturbance`): "got 0.41 of the 2.00 cores its threads asked for ...".
    disturbed: str | None = None
    #: The thread pools the run ran with (:func:`accel.threads.pools_in_use`).
    pools: dict[str, Any] | None = None
    versions: dict[str, str] = field(default_factory=dict)
    machine: str = ""
    started_at: str = ""
    wall_s: float | None = None
    stderr_tail: str = ""
    #: The code that ran: the implementation module, or for a kernel defined with
    #: accel.Kernel the function and how the backend ran it ("loop, compiled by
    #: numba.njit (derived: one source with pypy, python)").
    implementation: str = ""
    #: The named variant of the backend's implementation that ran ('': the backend's own).
    variant: str = ""
    schema: int = SCHEMA_VERSION

    def __setattr__(self, name: str, value: Any) -> None:
        """A part given as its JSON object (a dict) is kept as its typed record."""
        part = _PARTS.get(name)
        if part is not None and isinstance(value, Mapping) and not isinstance(value, Part):
            value = part.from_dict(value)
        object.__setattr__(self, name, value)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def label(self) -> str:
        """What views call the run (:func:`run_label`): ``numpy (numpy_roll)``."""
        return run_label(self.backend, self.variant)

    @property
    def samples(self) -> Samples | None:
        return Samples(self.samples_s) if self.samples_s else None

    @property
    def median_s(self) -> float | None:
        return statistics.median(self.samples_s) if self.samples_s else None

    @property
    def end_to_end_s(self) -> float | None:
        """Median kernel time plus the transfers a call to this backend pays."""
        if self.median_s is None:
            return None
        if self.transfer is None:
            return self.median_s
        return self.median_s + self.transfer.h2d_s + self.transfer.d2h_s

    def _repr_html_(self) -> str:
        """The record as a one-row table, as a notebook shows it."""
        from .display import html_table

        return html_table([self])

    def to_pandas(self) -> Any:
        """The record as a one-row pandas DataFrame (pandas: the ``notebook`` extra)."""
        from .display import to_pandas

        return to_pandas([self])

    def interval(self, end_to_end: bool = False) -> Interval | None:
        """The median's confidence interval; ``end_to_end`` adds the transfers each way."""
        found = self.samples.interval if self.samples_s else None
        if found is None or not end_to_end or self.transfer is None:
            return found
        return found.shifted(self.transfer.h2d_s + self.transfer.d2h_s)

    @property
    def trust(self) -> str | None:
        """Why this run's times should not be taught from: disturbed, or too spread; None."""
        reasons = [
            *([f"disturbed: {self.disturbed}"] if self.disturbed else []),
            *([why] if (why := untrusted(self.samples_s)) else []),
        ]
        return "; ".join(reasons) or None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["stats"] = self.samples.summary() if self.samples else None
        data["end_to_end_s"] = self.end_to_end_s
        return data

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, sort_keys=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunRecord:
        """Rebuild a record; refuses a newer schema and ignores derived fields.

        The parts become their typed records; :func:`check_types` then checks every
        field of a record from an untrusted file (``accel import``).
        """
        schema = data.get("schema")
        if isinstance(schema, bool) or not isinstance(schema, int) or schema > SCHEMA_VERSION:
            raise ValueError(
                f"run record schema {schema!r} is not readable by this accel "
                f"(reads up to {SCHEMA_VERSION}); upgrade accel"
            )
        names = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in names}
        if values.get("status") not in STATUSES:
            raise ValueError(f"run record has unknown status {values.get('status')!r}")
        return cls(**values)


#: The record's fields that hold a typed part, by name.
_PARTS: dict[str, type[Part]] = {
    "check": Check,
    "transfer": Transfer,
    "counters": Counters,
    "process": ProcessFigures,
}
_PART_NAMES = {part: name for name, part in _PARTS.items()}


def check_types(record: Any) -> None:
    """ValueError naming the first field of ``record`` (or of one of its parts) whose value
    is not of its annotated type (``process.cpu_s must be float, got '1 s'``)."""
    hints = typing.get_type_hints(type(record))
    for f in fields(record):
        value = getattr(record, f.name)
        plain = asdict(value) if is_dataclass(value) else value
        check_plain(hints[f.name], plain, f.name)

"""Checks for data that came from elsewhere: an ``accel export`` file, a recovery file.

Export files travel between machines, so every run and machine in one is treated as
hostile until checked here: names that later become parts of file names (kernel,
backend, dtype, machine) may hold no path separator or other odd character; every
time is a finite, non-negative number of seconds that sums without overflow; every
nested object has the shape the readers (tables, figures, selection) expect; every
string is valid Unicode and every whole number fits in 64 bits. A record that passes
can be shown, ranked and drawn without an exception.

Types come from the record's own annotations (:func:`accel.record.check_types`); the
ranges and names are checked here. Hand-written rather than a schema library's: the
rules are few, and the messages must name the field in a user's words
(``run 3: samples_s[1] is -1``).
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, fields
from typing import Any

from .record import Counters, ProcessFigures, RunRecord, check_types

#: A kernel, backend or dtype name: letters, digits, '_', '.', '+', '-', starting with a
#: letter, digit or '_' (so never '..', never a path separator), at most 100 characters.
NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+-]{0,99}")
#: A machine fingerprint: hex in practice; empty where the probe could not give one.
MACHINE = re.compile(r"[A-Za-z0-9_.+-]{0,100}")
#: Longest time accepted for any timed phase or sample: a year. Far beyond any real run,
#: and small enough that sums and means of many of them stay finite.
MAX_SECONDS = 366 * 24 * 3600.0
#: Deepest nesting accepted anywhere in a record (our own records nest 4 deep).
MAX_DEPTH = 16
_INT64 = range(-(2**63), 2**63)
_NUMBER = (int, float)


def check_name(value: Any, what: str, pattern: re.Pattern[str] = NAME) -> str:
    """``value`` if it is a safe name (see :data:`NAME`); ValueError otherwise."""
    if not isinstance(value, str) or pattern.fullmatch(value) is None:
        raise ValueError(
            f"{what} {value!r:.60} is not a valid name (letters, digits, '_', '.', '+', '-'; "
            "no path separators)"
        )
    return value


def file_name_part(name: str) -> str:
    """``name`` made safe as part of a file name in a folder we write to.

    Every character outside :data:`NAME`'s alphabet becomes '_' and leading dots go,
    so ``../../tmp/evil`` becomes ``_.._tmp_evil``: never a path out of the folder.

    >>> file_name_part("../../tmp/x/evil")
    '_.._tmp_x_evil'
    """
    safe = re.sub(r"[^A-Za-z0-9_.+-]", "_", name).lstrip(".")
    return safe[:100] or "_"


def text(value: Any, name: str) -> str:
    """``value`` if it is a string SQLite and every printer can take (no lone surrogates)."""
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{name} is not valid Unicode text: {value!r:.60}") from None
    return value


def plain(value: Any, where: str, depth: int = 0) -> None:
    """Raise ValueError unless ``value`` is JSON data every reader can handle.

    Strings (keys too) valid Unicode, whole numbers within 64 bits, nesting at most
    :data:`MAX_DEPTH` deep.
    """
    if depth > MAX_DEPTH:
        raise ValueError(f"{where} is nested more than {MAX_DEPTH} deep")
    if isinstance(value, str):
        text(value, where)
    elif isinstance(value, bool) or value is None or isinstance(value, float):
        return
    elif isinstance(value, int):
        if value not in _INT64:
            raise ValueError(f"{where} {str(value)[:20]}... does not fit in 64 bits")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            plain(item, f"{where}[{i}]", depth + 1)
    elif isinstance(value, dict):
        for key, item in value.items():
            text(key, f"a key of {where}")
            plain(item, f"{where}.{key}", depth + 1)
    else:
        raise ValueError(f"{where} holds a {type(value).__name__}, not JSON data")


def seconds(value: Any, where: str, *, optional: bool = False) -> None:
    """A time: a finite number of seconds from 0 to :data:`MAX_SECONDS`."""
    if value is None and optional:
        return
    if (
        isinstance(value, bool)
        or not isinstance(value, _NUMBER)
        or not 0 <= value <= MAX_SECONDS  # False for NaN
    ):
        raise ValueError(
            f"{where} is {value!r:.40}: a time must be a number of seconds "
            f"from 0 to {MAX_SECONDS:.0f} (a year)"
        )


def number(value: Any, where: str, *, optional: bool = True, finite: bool = False) -> None:
    """A number (None too where ``optional``); finite where ``finite``."""
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, _NUMBER):
        raise ValueError(f"{where} must be a number, got {value!r:.40}")
    if finite and not math.isfinite(value):
        raise ValueError(f"{where} must be a finite number, got {value!r}")


def check_record(record: RunRecord) -> None:
    """Raise ValueError unless every field of ``record`` is what its readers expect.

    Names safe for file names, times finite and non-negative, nested objects of the
    right shape, text valid Unicode, whole numbers within 64 bits.
    """
    for name in ("kernel", "backend", "dtype"):
        check_name(getattr(record, name), name)
    if record.variant != "":  # '' is the backend's own implementation
        check_name(record.variant, "variant")
    check_name(record.machine, "machine", MACHINE)
    if isinstance(record.size, bool) or not isinstance(record.size, int) or record.size < 1:
        raise ValueError(f"size must be a positive whole number, got {record.size!r:.40}")
    check_types(record)  # every field's type, nested parts too, from RunRecord's annotations
    plain(asdict(record), "record")
    for name in ("size", "threads", "seed", "warmups"):
        value = getattr(record, name)
        if value is not None and value not in _INT64:
            raise ValueError(f"{name} {str(value)[:20]}... does not fit in 64 bits")
    for i, sample in enumerate(record.samples_s):
        seconds(sample, f"samples_s[{i}]")
    if len(record.samples_s) > 1_000_000:
        raise ValueError("samples_s holds more than a million samples")
    for phase, value in record.phases_s.items():
        seconds(value, f"phases_s.{phase}")
    seconds(record.first_call_s, "first_call_s", optional=True)
    seconds(record.wall_s, "wall_s", optional=True)
    if record.check is not None and record.check.error is None:
        raise ValueError("check needs passed (true/false), error (a number) and detail (text)")
    _check_transfer(record)
    _check_counters(record.counters)
    _check_process(record.process)


def _check_transfer(record: RunRecord) -> None:
    transfer = record.transfer
    if transfer is None:
        return
    for name in ("h2d_s", "d2h_s"):
        seconds(getattr(transfer, name), f"transfer.{name}")
    for name in ("h2d_wall_s", "d2h_wall_s"):
        seconds(getattr(transfer, name), f"transfer.{name}", optional=True)
    for name in ("h2d_bytes", "d2h_bytes"):
        if not 0 <= getattr(transfer, name) < 2**63:
            raise ValueError(f"transfer.{name} must be a whole number of bytes")


def _check_counters(counters: Counters | None) -> None:
    if counters is None:
        return
    for name, entry in counters.events.items():
        for field in ("value", "fraction", "per_call"):
            number(entry[field], f"counters.events.{name}.{field}", finite=True)
    for field in ("ipc", "miss_ratio", "l1d_miss_ratio", "l1i_miss_ratio"):
        number(counters[field], f"counters.{field}", finite=True)
    seconds(counters.seconds, "counters.seconds", optional=True)
    for phase, value in counters.phases_s.items():
        seconds(value, f"counters.phases_s.{phase}")


def _check_process(process: ProcessFigures | None) -> None:
    if process is None:
        return
    for f in fields(process):
        if f.name not in ("measured", "contention"):
            number(getattr(process, f.name), f"process.{f.name}", finite=True)


def check_machine(machine: Any) -> dict[str, Any]:
    """``machine`` if it is ``{"fingerprint", "report", "first_seen"}`` with a readable report."""
    from .hardware.report import HardwareReport

    if not isinstance(machine, dict) or not isinstance(machine.get("report"), dict):
        raise ValueError("needs a fingerprint, a report object and first_seen")
    check_name(machine.get("fingerprint"), "fingerprint", MACHINE)
    text(machine.get("first_seen"), "first_seen")
    plain(machine["report"], "report")
    HardwareReport.check(machine["report"])
    return machine

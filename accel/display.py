"""Run records in a notebook: HTML tables (``_repr_html_``) and pandas DataFrames.

Jupyter shows an object by calling its ``_repr_html_``; :class:`~accel.record.RunRecord`,
:class:`~accel.comparison.Comparison` (what :func:`accel.compare` returns) and the
selection that :func:`accel.fastest` returns all have one, built here with :func:`accel.html.html`
(autoescaped: a failure's reason is shown as text, never as markup). ``to_pandas()``
turns the same rows into a DataFrame; pandas is the optional ``notebook`` extra and is
imported only there.

>>> records = accel.compare(movavg, size=100_000)      # doctest: +SKIP
>>> records                                           # a table in a notebook cell
>>> records.to_pandas().sort_values("median_s")       # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from .html import html
from .units import seconds

#: A run record (accel.record.RunRecord), which imports this module for its own display.
RunRecord = Any

#: The DataFrame's columns, one row per record: what a notebook user sorts and plots by.
COLUMNS = (
    "kernel",
    "backend",
    "variant",
    "size",
    "dtype",
    "threads",
    "status",
    "median_s",
    "end_to_end_s",
    "first_call_s",
    "stdev_s",
    "repeats",
    "check_passed",
    "check",
    "reason",
    "implementation",
    "machine",
    "started_at",
)

_HEADERS = ("backend", "status", "median", "end to end", "first call", "reps", "check or reason")


def row(record: RunRecord) -> dict[str, Any]:
    """One record as a flat dict of :data:`COLUMNS`."""
    check = record.check or {}
    samples = record.samples
    found = {name: getattr(record, name, None) for name in COLUMNS[:10]}
    found.update(
        stdev_s=samples.stdev if samples else None,
        repeats=samples.repeats if samples else 0,
        check_passed=check.get("passed"),
        check=check.get("detail", ""),
        reason=record.reason,
        implementation=getattr(record, "implementation", ""),
        machine=record.machine,
        started_at=record.started_at,
    )
    return found


def to_pandas(records: Iterable[RunRecord]) -> Any:
    """A pandas DataFrame with one row per record and the columns of :data:`COLUMNS`."""
    try:
        import pandas
    except ImportError:
        from .errors import UsageError

        raise UsageError(
            "to_pandas() needs pandas: pip install 'accel-testbed[notebook]' (or pandas)"
        ) from None
    return pandas.DataFrame([row(r) for r in records], columns=list(COLUMNS))


def _cells(record: RunRecord) -> list[str]:
    detail = (record.check or {}).get("detail", "") if record.ok else record.reason
    implementation = getattr(record, "implementation", "")
    if implementation:
        detail = f"{detail} [{implementation}]" if detail else implementation
    samples = record.samples
    return [
        record.label,
        record.status,
        seconds(record.median_s),
        seconds(record.end_to_end_s),
        seconds(record.first_call_s),
        str(samples.repeats) if samples else "-",
        detail,
    ]


def html_table(records: Sequence[RunRecord], notes: Sequence[str] = ()) -> str:
    """An HTML table of ``records`` (a caption naming the kernel, size and dtype), and notes."""
    first = records[0] if records else None
    caption = (
        f"{first.kernel}: size {first.size}, {first.dtype}, {first.threads} threads"
        if first
        else "no runs"
    )
    return html(
        _HEADERS,
        [_cells(r) for r in records],
        caption=caption,
        notes=notes,
        css_class="accel-records",
        align_left=True,
    )

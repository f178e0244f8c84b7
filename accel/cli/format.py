"""What ``accel run`` prints about one record: its timings, counters and process figures.

Tables of several records (compare, counters, history, ...) are drawn by :mod:`accel.tables`;
figures are written by :mod:`accel.units`.
"""

from __future__ import annotations

from ..record import RunRecord
from ..tables import DERIVED, derivable, derived_cell, event_cell, text, verdict
from ..threads import describe_pools
from ..units import memory, seconds


def count_of(number: int, thing: str) -> str:
    """``3 calls``, ``1 call``."""
    return f"{number} {thing}{'' if number == 1 else 's'}"


def _split(counted) -> str:
    """``: 8.2 s start-up, 1.9 s counted`` for a simulated run that says where its time went."""
    phases = counted.get("phases_s") or {}
    if "region" not in phases:
        return ""
    region = phases["region"]
    return f": {seconds(counted['seconds'] - region)} outside the region, {seconds(region)} in it"


def counter_lines(record: RunRecord) -> list[str]:
    """The counters block of ``accel run``: every event in total and per call."""
    if record.counters is None:
        return [f"counters     none: {record.counters_reason}"] if record.counters_reason else []
    counted = record.counters
    if counted.get("source") == "simulated":
        lines = [
            f"counters     timed repetitions only ({count_of(counted['repeats'], 'call')}, "
            "in a second run "
            f"of {seconds(counted['seconds'])}{_split(counted)}), {counted['label']}"
        ]
    else:
        lines = [
            "counters     timed repetitions only "
            f"({count_of(counted['repeats'], 'call')}), by perf stat"
        ]
    rows = [
        [name, event_cell(entry, "value"), event_cell(entry)]
        for name, entry in counted["events"].items()
    ]
    lines.extend("  " + line for line in text(["event", "total", "per call"], rows).splitlines())
    derived = [
        f"{DERIVED[key][0]} {derived_cell(record, key)}" for key in derivable(counted["events"])
    ]
    if derived:
        lines.append("  " + ", ".join(derived))
    lines.extend(f"  {note}" for note in counted.get("notes", []))
    if record.counters_reason:
        lines.append(f"  not counted: {record.counters_reason}")
    return lines


def process_lines(record: RunRecord) -> list[str]:
    """CPU time against wall time, memory and context switches over the timed region."""
    p = record.process
    if p is None:
        return []
    cores = "-" if p["cpu_utilisation"] is None else f"{p['cpu_utilisation']:.2f}"
    return [
        f"process      CPU {seconds(p['cpu_s'])} in {seconds(p['wall_s'])} wall = {cores} cores; "
        f"peak RSS {memory(p['peak_rss_bytes'])} ({memory(p['rss_growth_bytes'], True)} "
        f"in the timed region); context switches {p['voluntary_switches']} voluntary, "
        f"{p['involuntary_switches']} involuntary"
    ]


def run_summary(record: RunRecord) -> str:
    """A person-readable account of one run record."""
    head = f"{record.kernel} on {record.label}: size {record.size}, {record.dtype}"
    head += f", {record.threads} thread{'s' if record.threads != 1 else ''}"
    lines = [
        head,
        f"status       {record.status}" + (f": {record.reason}" if record.reason else ""),
    ]
    if record.first_call_s is not None:
        lines.append(f"first call   {seconds(record.first_call_s)} (compile/JIT included)")
    stats = record.samples
    if stats is not None:
        lines.append(
            f"median       {seconds(stats.median)} ± {seconds(stats.stdev)} stdev "
            f"(min {seconds(stats.minimum)}, max {seconds(stats.maximum)})"
        )
        ci = stats.interval
        lines.append(
            f"interval     {seconds(ci.low)} to {seconds(ci.high)} holds the median with "
            f"{ci.confidence:.0%} confidence (order statistics)"
        )
        lines.append(f"repetitions  {stats.repeats} timed, after {record.warmups} warm-up(s)")
        lines.append(f"trust        {record.trust or 'clean: undisturbed, spread within 10%'}")
    if record.transfer is not None:
        t = record.transfer
        lines.append(
            f"transfer     to device {seconds(t.h2d_s)} ({t.h2d_bytes:,} B), "
            f"back {seconds(t.d2h_s)} ({t.d2h_bytes:,} B); "
            f"end to end {seconds(record.end_to_end_s)}"
        )
    lines.extend(counter_lines(record))
    lines.extend(process_lines(record))
    if record.pools is not None:
        lines.append(f"pools        {describe_pools(record.pools)}")
    if record.check is not None:
        lines.append(f"check        {verdict(record)}: {record.check['detail']}")
    if record.status in ("failed", "timeout") and record.stderr_tail:
        lines.append("worker stderr (last lines):")
        lines.extend("  " + line for line in record.stderr_tail.splitlines()[-8:])
    return "\n".join(lines)

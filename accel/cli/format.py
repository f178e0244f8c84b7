"""Plain-text tables and human-readable figures for the command line."""

from __future__ import annotations

from collections.abc import Sequence


def seconds(value: float | None) -> str:
    """A duration with a unit that keeps three significant figures: 7.51 ms, 1.23 s."""
    if value is None:
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6), ("ns", 1e-9)):
        if abs(value) >= scale or unit == "ns":
            return f"{value / scale:.3g} {unit}"
    return f"{value:g} s"


def count(value: float | None) -> str:
    """A count with three significant figures and an SI suffix: 1.23M, 512k, 42."""
    if value is None:
        return "-"
    for suffix, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(value) >= scale:
            return f"{value / scale:.3g}{suffix}"
    return f"{value:.3g}"


def memory(value: float | None, signed: bool = False) -> str:
    """Bytes in binary units with three significant figures: 149 MiB, +4 KiB."""
    if value is None:
        return "-"
    sign = ("+" if value >= 0 else "-") if signed else ""
    size = abs(value) if signed else value
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if size >= scale:
            return f"{sign}{size / scale:.3g} {unit}"
    return f"{sign}{size:.0f} B"


def event_cell(entry: dict, key: str = "per_call") -> str:
    """One event of a record's counters: its value (``per_call`` or ``value``) or why none.

    A multiplexed event carries the share of the region it was really counted: 1.2M (62%).
    """
    if entry["status"] != "counted":
        return "unsupported" if entry["status"] == "not supported" else entry["status"]
    if entry["unit"] == "msec":  # task-clock, cpu-clock: CPU time
        cell = seconds(entry[key] / 1e3)
    else:
        cell = count(entry[key]) + (f" {entry['unit']}" if entry["unit"] else "")
    fraction = entry.get("fraction")
    return cell + (f" ({fraction:.0%})" if fraction is not None and fraction < 0.995 else "")


#: Figures derived from two events: label and (numerator, denominator) events.
DERIVED = {
    "ipc": ("IPC", ("instructions", "cycles")),
    "miss_ratio": ("cache miss ratio", ("cache-misses", "cache-references")),
}


def _derivable(counted: dict) -> list[str]:
    """The derived figures whose two events were both asked for."""
    return [key for key, (_, needs) in DERIVED.items() if set(needs) <= set(counted["events"])]


def _ratio(value: float | None, percent: bool) -> str:
    if value is None:
        return "-"
    return f"{value:.1%}" if percent else f"{value:.2f}"


def counter_lines(record) -> list[str]:
    """The counters block of ``accel run``: every event in total and per call."""
    if record.counters is None:
        return [f"counters     none: {record.counters_reason}"] if record.counters_reason else []
    counted = record.counters
    lines = [f"counters     timed repetitions only ({counted['repeats']} calls), by perf stat"]
    rows = [
        [name, event_cell(entry, "value"), event_cell(entry)]
        for name, entry in counted["events"].items()
    ]
    lines.extend("  " + line for line in table(["event", "total", "per call"], rows).splitlines())
    derived = [f"{DERIVED[key][0]} {_derived_cell(record, key)}" for key in _derivable(counted)]
    if derived:
        lines.append("  " + ", ".join(derived))
    if record.counters_reason:
        lines.append(f"  not counted: {record.counters_reason}")
    return lines


def process_lines(record) -> list[str]:
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


def transfer_share(record) -> str:
    """Share of end-to-end time spent moving data; "none" where nothing moves."""
    if record.transfer is None:
        return "none" if record.median_s is not None else "-"
    moved = record.transfer.h2d_s + record.transfer.d2h_s
    total = record.end_to_end_s
    return f"{moved / total:.0%}" if total else "-"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns padded to their widest cell; the last column is left unpadded."""
    widths = [len(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row[:-1]):
            widths[i] = max(widths[i], len(cell))
    lines = []
    for row in [list(headers), *rows]:
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])] + [row[-1]]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def verdict(record) -> str:
    """The check's verdict in a few words, or why there is none."""
    if record.check is None:
        return "-"
    return "passed" if record.check["passed"] else "FAILED"


def run_summary(record) -> str:
    """A person-readable account of one run record."""
    head = f"{record.kernel} on {record.backend}: size {record.size}, {record.dtype}"
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
        lines.append(f"repetitions  {stats.repeats} timed, after {record.warmups} warm-up(s)")
    if record.transfer is not None:
        t = record.transfer
        lines.append(
            f"transfer     to device {seconds(t.h2d_s)} ({t.h2d_bytes:,} B), "
            f"back {seconds(t.d2h_s)} ({t.d2h_bytes:,} B); "
            f"end to end {seconds(record.end_to_end_s)}"
        )
    lines.extend(counter_lines(record))
    lines.extend(process_lines(record))
    if record.check is not None:
        lines.append(f"check        {verdict(record)}: {record.check['detail']}")
    if record.status in ("failed", "timeout") and record.stderr_tail:
        lines.append("worker stderr (last lines):")
        lines.extend("  " + line for line in record.stderr_tail.splitlines()[-8:])
    return "\n".join(lines)


def compare_rows(records, resident: bool = False) -> tuple[list[str], list[list[str]]]:
    """Headers and rows of a comparison: fastest first, runs without timings last.

    Ranked by end-to-end time: the kernel plus moving its data to the backend's device
    and back, what one call from host data costs. ``resident`` ranks by kernel time
    alone, the case where data stays on the device across many calls.
    """

    def ranked(record) -> float | None:
        return record.median_s if resident else record.end_to_end_s

    baseline = next((ranked(r) for r in records if r.backend == "python" and r.ok), None)
    timed = sorted((r for r in records if r.median_s is not None), key=ranked)
    untimed = [r for r in records if r.median_s is None]
    counted = any(r.counters is not None for r in records)
    rows = []
    for r in timed:
        speedup = f"{baseline / ranked(r):.1f}x" if baseline and ranked(r) else "-"
        spread = r.samples.stdev if r.samples else None
        rows.append(
            [
                r.backend,
                r.status,
                seconds(r.median_s),
                seconds(spread),
                str(len(r.samples_s)),
                seconds(r.end_to_end_s),
                speedup,
                seconds(r.first_call_s),
                transfer_share(r),
                *([_counter_cell(r, "cache-misses"), _derived_cell(r, "ipc")] if counted else []),
                verdict(r) + (f" ({r.reason})" if r.status != "ok" else ""),
            ]
        )
    headers = ["backend", "status", "median", "stdev", "reps", "end to end", "vs python"]
    headers += ["first call", "transfer", *(["cache misses/call", "IPC"] if counted else [])]
    headers += ["check"]
    blanks = ["-"] * (len(headers) - 3)
    for r in untimed:
        rows.append([r.backend, r.status, *blanks, r.reason or "-"])
    return headers, rows


def ranking_note(records, resident: bool = False) -> str | None:
    """Which figure a comparison ranks by, where moving data makes the two differ."""
    if not any(r.transfer is not None for r in records):
        return None
    if resident:
        return (
            "ranked by kernel time (--resident: data stays on the device across calls; "
            "transfers paid once, not counted)"
        )
    return (
        "ranked by end to end = kernel + one transfer each way, as a call from host data pays "
        "(--resident ranks by kernel time, data kept on the device)"
    )


def _counter_cell(record, event: str) -> str:
    if record.counters is None:
        return "-"
    entry = record.counters["events"].get(event)
    return "-" if entry is None else event_cell(entry)


def _derived_cell(record, name: str) -> str:
    if record.counters is None:
        return "-"
    statuses = {record.counters["events"].get(e, {}).get("status") for e in DERIVED[name][1]}
    if "not supported" in statuses:
        return "unsupported"
    return _ratio(record.counters[name], name == "miss_ratio")


def counter_rows(records, events: Sequence[str]) -> tuple[list[str], list[list[str]]]:
    """The counter view of a comparison: per-call counts, ratios and CPU use.

    Fastest end to end first, as the timing view ranks by default.
    """
    ordered = sorted(records, key=lambda r: (r.end_to_end_s is None, r.end_to_end_s or 0.0))
    derived = _derivable({"events": events})
    rows = []
    for r in ordered:
        p = r.process or {}
        cores = p.get("cpu_utilisation")
        rows.append(
            [
                r.backend,
                r.status,
                seconds(r.median_s),
                *(_counter_cell(r, event) for event in events),
                *(_derived_cell(r, key) for key in derived),
                "-" if cores is None else f"{cores:.2f}",
                memory(p.get("peak_rss_bytes")),
                transfer_share(r),
            ]
        )
    headers = ["backend", "status", "median", *(f"{event}/call" for event in events)]
    headers += [*(DERIVED[key][0] for key in derived), "cores", "peak RSS", "transfer"]
    return headers, rows


def compare_notes(records) -> list[str]:
    """Footnotes of a comparison: why counters are absent, and what the marks mean."""
    notes = []
    reasons = dict.fromkeys(r.counters_reason for r in records if r.samples_s and r.counters_reason)
    notes.extend(f"counters: {reason}" for reason in reasons)
    counted = [r.counters for r in records if r.counters]
    if counted:
        note = "counters cover the timed repetitions only"
        if any(
            (entry["fraction"] or 1.0) < 0.995 for c in counted for entry in c["events"].values()
        ):
            note += "; (62%) = counted for that share of the region (multiplexed, scaled by perf)"
        notes.append(note)
    if any(r.median_s is not None for r in records):
        notes.append("transfer: share of end-to-end time spent moving data; none = in-process CPU")
    return notes

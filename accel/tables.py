"""Tables of runs: what the comparison and counter tables say, and how a table is drawn.

The cells come from records (:func:`compare_rows`, :func:`counter_rows`, with the cell
helpers they share with ``accel run``); the same headers and rows are then drawn as
plain text (:func:`text`; by rich on a terminal or in a notebook: :func:`show`), as
Markdown (:func:`markdown`) or as HTML (:func:`accel.html.html`, from the package's
Jinja templates, which the lecture report uses too). The command line, the report, the
notebook views and the tests all build their tables here.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, TextIO

from .html import Rows
from .record import RunRecord
from .units import count, memory, seconds

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table


# -- drawing ---------------------------------------------------------------------------


def text(headers: Sequence[str] | None, rows: Rows) -> str:
    """Columns padded to their widest cell, two spaces apart; the last column is left unpadded.

    ``headers=None``: the rows alone.
    """
    table = [list(headers), *rows] if headers is not None else list(rows)
    if not table:
        return ""
    widths = [0] * len(table[0])
    for row in table:
        for i, cell in enumerate(row[:-1]):
            widths[i] = max(widths[i], len(cell))
    lines = []
    for row in table:
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])] + [row[-1]]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def markdown_cell(value: str) -> str:
    """Text safe in a Markdown table cell, on one line: ``|`` escaped, and a ``<`` that
    would open an HTML tag (``<not supported>``) written as ``&lt;`` so it stays visible;
    ``<= 1.15x`` stays as it is."""
    return re.sub(r"<(?=[A-Za-z/!?])", "&lt;", value.replace("|", "\\|").replace("\n", " "))


def markdown(headers: Sequence[str], rows: Rows) -> list[str]:
    """A Markdown table, one line per row, every cell passed through :func:`markdown_cell`."""
    lines = ["| " + " | ".join(markdown_cell(h) for h in headers) + " |"]
    lines.append("|" + "---|" * len(headers))
    lines.extend("| " + " | ".join(markdown_cell(c) for c in row) + " |" for row in rows)
    return lines


def rich_table(headers: Sequence[str], rows: Rows, *, title: str | None = None) -> Table:
    """The table as a ``rich`` Table: bold headers, long cells wrapped to the screen.

    Displayed as it is by a terminal's console and by a Jupyter notebook.
    """
    from rich import box
    from rich.table import Column, Table
    from rich.text import Text

    drawn = Table(
        *(Column(header=Text(h)) for h in headers),
        title=title,
        box=box.SIMPLE_HEAD,
        header_style="bold",
        show_edge=False,
        pad_edge=False,
        padding=(0, 1, 0, 0),  # with the box's blank column rule: two spaces, as in text()
    )
    for row in rows:
        drawn.add_row(*(Text(cell) for cell in row))  # cells are text, never rich markup
    return drawn


def console(file: TextIO | None = None) -> Console | None:
    """A rich console for ``file`` (default stdout) where it is a terminal or a notebook.

    None where it is neither (a pipe, a file, a test's captured output): there tables
    and progress stay plain text, so the output is the same on every machine and a
    program can read it.
    """
    file = file or sys.stdout
    if getattr(file, "isatty", lambda: False)():
        from rich.console import Console

        return Console(file=file)
    if "ipykernel" in sys.modules:  # a Jupyter kernel; rich draws into the notebook
        from rich.console import Console

        drawn = Console(file=file)
        return drawn if drawn.is_jupyter else None
    return None


def show(headers: Sequence[str], rows: Rows, file: TextIO | None = None) -> None:
    """Print a table to ``file`` (default stdout): drawn by rich on a terminal or in a
    notebook, as :func:`text` anywhere else."""
    file = file or sys.stdout
    drawn = console(file)
    if drawn is None:
        print(text(headers, rows), file=file)
    else:
        drawn.print(rich_table(headers, rows))


# -- cells -----------------------------------------------------------------------------

#: Figures derived from two events: label and (numerator, denominator) events.
DERIVED = {
    "ipc": ("IPC", ("instructions", "cycles")),
    "miss_ratio": ("cache miss ratio", ("cache-misses", "cache-references")),
    "l1d_miss_ratio": ("L1d miss ratio", ("L1-dcache-load-misses", "L1-dcache-loads")),
}
#: The counter view's columns for simulated counts (valgrind's cache simulator).
SIMULATED_VIEW = (
    "instructions",
    "L1-dcache-loads",
    "L1-dcache-load-misses",
    "L1-dcache-store-misses",
    "cache-references",
    "cache-misses",
)


def counter_source(record: RunRecord) -> str | None:
    """Where ``record``'s counts came from: its label (``perf`` before sources were named)."""
    if record.counters is None:
        return None
    return record.counters.get("label") or "perf"


def counter_sources(records: Iterable[RunRecord]) -> dict[str, list[str]]:
    """Each counter source among ``records`` with the backends it counted, in order."""
    sources: dict[str, list[str]] = {}
    for r in records:
        label = counter_source(r)
        if label is not None:
            sources.setdefault(label, []).append(r.label)
    return sources


def source_note(records: Sequence[RunRecord]) -> str | None:
    """Which source gave the counts; where there are several, says so and by backend."""
    sources = counter_sources(records)
    if not sources:
        return None
    if len(sources) == 1:
        return f"counts from {next(iter(sources))}"
    return "counts from different sources, not comparable with each other: " + "; ".join(
        f"{label} for {', '.join(backends)}" for label, backends in sources.items()
    )


def view_events(records: Sequence[RunRecord]) -> tuple[str, ...]:
    """The counter view's default events: perf's set, the simulator's, or both where mixed."""
    from .counters import DEFAULT_EVENTS

    kinds = {(r.counters or {}).get("source", "perf") for r in records if r.counters}
    if kinds == {"simulated"}:
        return SIMULATED_VIEW
    if "simulated" in kinds:
        return (*DEFAULT_EVENTS, *(e for e in SIMULATED_VIEW if e not in DEFAULT_EVENTS))
    return DEFAULT_EVENTS


def derivable(events: Iterable[str]) -> list[str]:
    """The derived figures (keys of :data:`DERIVED`) whose two events were both asked for."""
    asked = set(events)
    return [key for key, (_, needs) in DERIVED.items() if set(needs) <= asked]


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


def counter_cell(record: RunRecord, event: str, mark: bool = False) -> str:
    """``event`` per call in ``record``, or ``-`` where it was not counted.

    ``mark`` adds the source (``sim`` or ``perf``), for a table whose rows come from both.
    """
    if record.counters is None:
        return "-"
    entry = record.counters["events"].get(event)
    if entry is None:
        return "-"
    cell = event_cell(entry)
    kind = "sim" if record.counters.get("source") == "simulated" else "perf"
    return f"{cell} ({kind})" if mark and entry["status"] == "counted" else cell


def derived_cell(record: RunRecord, name: str) -> str:
    """A derived figure (``ipc``, ``miss_ratio``) of ``record``, or why there is none."""
    if record.counters is None:
        return "-"
    statuses = {record.counters["events"].get(e, {}).get("status") for e in DERIVED[name][1]}
    if "not supported" in statuses:
        return "unsupported"
    value = record.counters.get(name)
    if value is None:
        return "-"
    return f"{value:.2f}" if name == "ipc" else f"{value:.1%}"


def transfer_share(record: RunRecord) -> str:
    """Share of end-to-end time spent moving data; "none" where nothing moves."""
    if record.transfer is None:
        return "none" if record.median_s is not None else "-"
    moved = record.transfer.h2d_s + record.transfer.d2h_s
    total = record.end_to_end_s
    return f"{moved / total:.0%}" if total else "-"


def median_cell(record: RunRecord, end_to_end: bool = False) -> str:
    """``21.3 ms ± 1.2 ms``: the median and the larger side of its 95% confidence interval."""
    interval = record.interval(end_to_end)
    if interval is None:
        return "-"
    if len(record.samples_s) < 2:  # one sample: no interval to give
        return seconds(interval.median)
    width = interval.half_width
    return f"{seconds(interval.median)} ± {seconds(width) if width else 0}"


def trust_cell(record: RunRecord) -> str:
    """``clean``, ``disturbed``, ``spread 23%`` or ``two clusters``: can this row be taught?"""
    if not record.samples_s:
        return "-"
    marks = ["disturbed"] if record.disturbed else []
    why = record.samples.untrusted
    if why and why.startswith("two clusters"):
        marks.append("two clusters")
    elif why:
        marks.append("spread " + why.split()[2])
    return ", ".join(marks) or "clean"


def trust_notes(records: Sequence[RunRecord]) -> list[str]:
    """One line per untrusted row (why, measured) and, where any row is disturbed, the
    one line that suggests measuring again."""
    threads = len({r.threads for r in records}) > 1  # a scaling: say which thread count

    def where(r: RunRecord) -> str:
        many = "s" if r.threads != 1 else ""
        return f"size {r.size}" + (f", {r.threads} thread{many}" if threads else "")

    notes = [
        f"trust: {r.label} at {where(r)}: {r.trust}" for r in records if r.samples_s and r.trust
    ]
    if any(r.disturbed for r in records):
        notes.append(
            "re-run: some runs were disturbed (other work took the CPUs they asked for); "
            "measure them again on a quieter machine before teaching from them"
        )
    return notes


def verdict(record: RunRecord) -> str:
    """The check's verdict in a few words, or why there is none."""
    if record.check is None:
        return "-"
    return "passed" if record.check["passed"] else "FAILED"


# -- the comparison tables ---------------------------------------------------------------


def compare_rows(
    records: Sequence[RunRecord], resident: bool = False
) -> tuple[list[str], list[list[str]]]:
    """Headers and rows of a comparison: fastest first, runs without timings last.

    Ranked by end-to-end time: the kernel plus moving its data to the backend's device
    and back, what one call from host data costs. ``resident`` ranks by kernel time
    alone, the case where data stays on the device across many calls.
    """

    def ranked(record: RunRecord) -> float | None:
        return record.median_s if resident else record.end_to_end_s

    baseline = next((ranked(r) for r in records if r.label == "python" and r.ok), None)
    timed = sorted((r for r in records if r.median_s is not None), key=ranked)
    untimed = [r for r in records if r.median_s is None]
    counted = any(r.counters is not None for r in records)
    mixed = len(counter_sources(records)) > 1
    rows = []
    for r in timed:
        speedup = f"{baseline / ranked(r):.1f}x" if baseline and ranked(r) else "-"
        spread = r.samples.stdev if r.samples else None
        rows.append(
            [
                r.label,
                r.status,
                median_cell(r),
                seconds(spread),
                str(len(r.samples_s)),
                seconds(r.end_to_end_s),
                speedup,
                seconds(r.first_call_s),
                transfer_share(r),
                *(
                    [counter_cell(r, "cache-misses", mixed), derived_cell(r, "ipc")]
                    if counted
                    else []
                ),
                trust_cell(r),
                verdict(r) + (f" ({r.reason})" if r.status != "ok" else ""),
            ]
        )
    headers = ["backend", "status", "median", "stdev", "reps", "end to end", "vs python"]
    headers += ["first call", "transfer", *(["cache misses/call", "IPC"] if counted else [])]
    headers += ["trust", "check"]
    blanks = ["-"] * (len(headers) - 3)
    for r in untimed:
        rows.append([r.label, r.status, *blanks, r.reason or "-"])
    return headers, rows


def machine_rows(
    records: Sequence[RunRecord], names: dict[str, str], resident: bool = False
) -> tuple[list[str], list[list[str]]]:
    """Machines side by side: one row per machine, a column per backend (median per call,
    end to end unless ``resident``), then the fastest backend there, the fastest CPU
    and GPU backends with the GPU's speed-up over the CPU, and the fastest against the
    first machine's fastest (how much faster or slower the whole machine is)."""
    from .backends import get_backend

    def ranked(record: RunRecord) -> float | None:
        return record.median_s if resident else record.end_to_end_s

    backends = list(dict.fromkeys(r.label for r in records))
    by_key = {(r.machine, r.label): r for r in records}
    rows, reference = [], None
    for fingerprint, name in names.items():
        cells, best = [], {}
        for backend in backends:
            r = by_key.get((fingerprint, backend))
            if r is None:
                cells.append("-")
            elif r.ok and ranked(r):
                cells.append(seconds(ranked(r)))
                device = get_backend(r.backend).device
                if device not in best or ranked(r) < ranked(best[device]):
                    best[device] = r
            else:
                cells.append(r.status)
        fastest = min(best.values(), key=ranked, default=None)
        cpu, gpu = best.get("cpu"), best.get("gpu")
        gpu_gain = f"{ranked(cpu) / ranked(gpu):.1f}x" if cpu and gpu else "-"
        if reference is None and fastest is not None:
            reference = ranked(fastest)
        versus = f"{reference / ranked(fastest):.2f}x" if fastest and reference else "-"
        rows.append(
            [
                name,
                *cells,
                fastest.label if fastest else "-",
                cpu.label if cpu else "-",
                gpu.label if gpu else "-",
                gpu_gain,
                versus,
            ]
        )
    first = next(iter(names.values()), "the first")
    headers = ["machine", *backends, "fastest", "fastest CPU", "fastest GPU", "GPU vs CPU"]
    return [*headers, f"speed vs {first}"], rows


def ranking_note(records: Sequence[RunRecord], resident: bool = False) -> str | None:
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


def on_gpu(record: RunRecord) -> bool:
    """Whether the record's backend runs on a CUDA device (False for unknown names)."""
    from .backends import runs_on_gpu

    return runs_on_gpu(record.backend)


def counter_rows(
    records: Sequence[RunRecord], events: Sequence[str]
) -> tuple[list[str], list[list[str]]]:
    """The counter view of a comparison: per-call counts, ratios and CPU use.

    Fastest end to end first, as the timing view ranks by default.
    """
    ordered = sorted(records, key=lambda r: (r.end_to_end_s is None, r.end_to_end_s or 0.0))
    derived = derivable(events)
    mixed = len(counter_sources(records)) > 1
    rows = []
    for r in ordered:
        p = r.process or {}
        cores = p.get("cpu_utilisation")
        rows.append(
            [
                f"{r.label} (host-side)" if r.counters and on_gpu(r) else r.label,
                r.status,
                seconds(r.median_s),
                *(counter_cell(r, event, mixed) for event in events),
                *(derived_cell(r, key) for key in derived),
                "-" if cores is None else f"{cores:.2f}",
                memory(p.get("peak_rss_bytes")),
                transfer_share(r),
            ]
        )
    headers = ["backend", "status", "median", *(f"{event}/call" for event in events)]
    headers += [*(DERIVED[key][0] for key in derived), "cores", "peak RSS", "transfer"]
    return headers, rows


def gpu_state_notes(records: Sequence[RunRecord]) -> list[str]:
    """A note for each GPU run whose device was throttling or shared around its timed
    calls (its ``gpu_state``, read through NVML before and after): a figure to distrust."""
    from .hardware.gpu import SLOWING_REASONS

    notes = []
    for r in records:
        readings = [(r.gpu_state or {}).get(when) or {} for when in ("before", "after")]
        held = {reason for s in readings for reason in s.get("throttle_reasons", [])}
        slowed = sorted(held & SLOWING_REASONS)
        others = {p["pid"] for s in readings for p in s.get("processes", [])}
        if slowed:
            notes.append(f"{r.label}: the GPU's clocks were held down ({', '.join(slowed)})")
        if others:
            notes.append(f"{r.label}: {len(others)} other process(es) held GPU memory meanwhile")
    return notes


def compare_notes(records: Sequence[RunRecord]) -> list[str]:
    """Footnotes of a comparison: why counters are absent, and what the marks mean."""
    notes = []
    reasons = dict.fromkeys(r.counters_reason for r in records if r.samples_s and r.counters_reason)
    notes.extend(f"counters: {reason}" for reason in reasons)
    counted = [r.counters for r in records if r.counters]
    if any(r.counters and on_gpu(r) for r in records):
        notes.append(
            "host-side: a GPU row's counters count the CPU thread that launches the kernels "
            "and waits for the GPU, not the GPU"
        )
    if counted:
        notes.append(source_note(records) or "")
        for r in records:
            notes.extend(f"counters of {r.label}: {n}" for n in (r.counters or {}).get("notes", []))
        note = "counters cover the timed repetitions only"
        if any(
            (entry["fraction"] or 1.0) < 0.995 for c in counted for entry in c["events"].values()
        ):
            note += "; (62%) = counted for that share of the region (multiplexed, scaled by perf)"
        notes.append(note)
    if any(r.median_s is not None for r in records):
        notes.append("transfer: share of end-to-end time spent moving data; none = in-process CPU")
        notes.append(
            "median ± the larger side of its 95% confidence interval (order statistics); "
            "trust: clean, disturbed (other work took the CPUs), spread (stdev >= 10% of the "
            "mean) or two clusters"
        )
    notes.extend(trust_notes(records))
    notes.extend(gpu_state_notes(records))
    return notes

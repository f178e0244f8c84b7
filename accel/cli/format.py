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
    if record.check is not None:
        lines.append(f"check        {verdict(record)}: {record.check['detail']}")
    if record.status in ("failed", "timeout") and record.stderr_tail:
        lines.append("worker stderr (last lines):")
        lines.extend("  " + line for line in record.stderr_tail.splitlines()[-8:])
    return "\n".join(lines)


def compare_rows(records) -> tuple[list[str], list[list[str]]]:
    """Headers and rows of a comparison: fastest first, runs without timings last."""
    baseline = next((r.median_s for r in records if r.backend == "python" and r.ok), None)
    timed = sorted((r for r in records if r.median_s is not None), key=lambda r: r.median_s)
    untimed = [r for r in records if r.median_s is None]
    rows = []
    for r in timed:
        speedup = f"{baseline / r.median_s:.1f}x" if baseline and r.median_s else "-"
        spread = r.samples.stdev if r.samples else None
        rows.append(
            [
                r.backend,
                r.status,
                seconds(r.median_s),
                seconds(spread),
                str(len(r.samples_s)),
                speedup,
                seconds(r.first_call_s),
                verdict(r) + (f" ({r.reason})" if r.status != "ok" else ""),
            ]
        )
    for r in untimed:
        rows.append([r.backend, r.status, "-", "-", "-", "-", "-", r.reason or "-"])
    headers = ["backend", "status", "median", "stdev", "reps", "vs python", "first call", "check"]
    return headers, rows

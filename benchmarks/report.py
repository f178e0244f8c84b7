"""The session written out: ``results.json`` (every figure) and ``results.md`` (a table).

The JSON holds the machine's fingerprint and library versions, the roofs, every run
of every round (status, median, CPU share) and every target with its figure, limit,
verdict and explanation. The Markdown is the table a reader wants first, one line per
target, with the roofs and the method beneath.
"""

from __future__ import annotations

import json
import os
import platform
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from accel import __version__
from accel.backends.base import distribution_versions
from accel.record import RunRecord
from accel.tables import markdown

from .rounds import best_median, cpu_share
from .session import Session
from .verdict import STATUSES, Result, quantity

SCHEMA_VERSION = 1
LIBRARIES = ("numpy", "numba", "llvmlite", "torch", "cupy-cuda12x", "psutil")
METHOD = (
    "Every run is accel.run() in a fresh worker process. Each of {rounds} round(s) "
    "measures the roofs (the hardware probe and the parallel capacity, in a child "
    "process), then runs every backend of every problem once, the order rotated each "
    "round (reversed every other full turn). A backend's figure is its best round (least "
    "median), ratios are taken between best rounds, and each roof is its best round."
)


def versions(session: Session) -> dict[str, str]:
    """accel, Python and library versions here, plus PyPy's as its runs reported it."""
    found = {"accel": __version__, "python": platform.python_version()}
    found.update(distribution_versions(*LIBRARIES))
    for backends in session.context.records.values():
        for record in backends.get("pypy", []):
            if record.versions.get("pypy"):
                found["pypy"] = record.versions["pypy"]
    return found


def _run_entry(record: RunRecord) -> dict[str, Any]:
    return {
        "status": record.status,
        "reason": record.reason,
        "median_s": record.median_s,
        "min_s": min(record.samples_s) if record.samples_s else None,
        "repeats": len(record.samples_s),
        "first_call_s": record.first_call_s,
        "cpu_share": cpu_share(record),
        "threads": record.threads,
        "transfer": None if record.transfer is None else vars(record.transfer),
    }


def runs(session: Session) -> list[dict[str, Any]]:
    """Every case and backend with each round's run and the best median."""
    return [
        {
            "case": case.label,
            "kernel": case.kernel,
            "size": case.size,
            "params": dict(case.params),
            "backend": backend,
            "best_median_s": best_median(records),
            "rounds": [_run_entry(r) for r in records],
        }
        for case, backends in session.context.records.items()
        for backend, records in backends.items()
    ]


def summary(results: Sequence[Result]) -> dict[str, int]:
    counts = Counter(r.status for r in results)
    return {status: counts.get(status, 0) for status in STATUSES}


def to_json(session: Session, command: str, machine: dict[str, Any]) -> dict[str, Any]:
    roofs = session.context.roofs
    return {
        "schema": SCHEMA_VERSION,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": command,
        "quick": session.plan.quick,
        "rounds": session.rounds,
        "method": METHOD.format(rounds=session.rounds),
        "machine": machine,
        "versions": versions(session),
        "roofs": None if roofs is None else roofs.to_dict(),
        "runs": runs(session),
        "targets": [r.to_dict() for r in session.results],
        "summary": summary(session.results),
    }


def _verdict(result: Result) -> str:
    return {"pass": "pass", "fail": "**FAIL**"}.get(result.status, result.status)


def markdown_table(results: Sequence[Result]) -> str:
    """One row per target: name, claim, figure, limit, verdict, and why when not a pass."""
    rows = []
    for r in results:
        measured = "-" if r.value is None else quantity(r.value, r.unit)
        bound = ">=" if r.better == "higher" else "<="
        limit = f"{bound} {quantity(r.limit, r.unit)}"
        rows.append([r.name, r.claim, measured, limit, _verdict(r), r.explanation])
    headers = ["target", "claim", "measured", "limit", "verdict", "why (when not a pass)"]
    return "\n".join(markdown(headers, rows))


def to_markdown(data: dict[str, Any], results: Sequence[Result]) -> str:
    """The Markdown report: heading, machine, the table, the roofs and the method."""
    machine = data["machine"]
    counts = ", ".join(f"{n} {status}" for status, n in data["summary"].items() if n)
    lines = [
        "# accel benchmarks",
        "",
        f"{data['created']} on `{machine.get('fingerprint') or 'unknown machine'}` "
        f"({machine.get('cpu') or 'unknown CPU'}, {machine.get('usable_cpus')} usable CPUs, "
        f"load average {machine.get('load_before')} before, {machine.get('load_after')} after); "
        f"`{data['command']}`{' (quick: small sizes, a smoke run)' if data['quick'] else ''}.",
        "",
        f"Targets: {counts}.",
        "",
        markdown_table(results),
        "",
    ]
    roofs = data.get("roofs")
    if roofs:
        triad = roofs.get("triad_gbs")
        peak = roofs.get("peak_gflops")
        capacity = roofs.get("parallel_capacity")
        lines.append(
            "Roofs: STREAM triad "
            + (f"{triad:.3g} GB/s with {roofs.get('triad_threads')} threads" if triad else "-")
            + "; float64 peak "
            + (f"{peak:.3g} GFLOP/s ({roofs.get('peak_method')})" if peak else "-")
            + "; parallel capacity "
            + (f"{capacity:.3g}x on {roofs.get('capacity_threads')} threads" if capacity else "-")
            + "."
        )
        for key, reason in roofs.get("reasons", {}).items():
            lines.append(f"- {key}: {reason}")
        lines.append("")
    lines.append(f"Method: {data['method']}")
    return "\n".join(lines) + "\n"


def write(session: Session, out: str | os.PathLike[str], command: str, machine: dict) -> Path:
    """Write ``results.json`` and ``results.md`` into ``out``; the JSON file's path."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    data = to_json(session, command, machine)
    path = folder / "results.json"
    path.write_text(json.dumps(data, indent=2, default=str) + "\n")
    (folder / "results.md").write_text(to_markdown(data, session.results))
    return path

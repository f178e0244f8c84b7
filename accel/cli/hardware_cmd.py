"""``accel hardware``: what this machine is - CPU, caches, SIMD, memory, GPUs, perf, backends.

``--json`` prints the report as JSON (with ``schema_version`` and ``fingerprint``),
``--markdown`` as Markdown for an issue or a slide, ``--measure`` adds measured
memory bandwidth, GFLOP/s and (with a GPU) host<->device bandwidth.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..tables import markdown, text
from .options import add_store_options, store_option


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "hardware",
        help="report this machine: CPU, caches, SIMD, memory, GPUs, perf, backends",
        description="Report what this machine is. Nothing is measured unless --measure is given.",
    )
    style = parser.add_mutually_exclusive_group()
    style.add_argument("--json", action="store_true", help="print the report as JSON")
    style.add_argument("--markdown", action="store_true", help="print the report as Markdown")
    parser.add_argument(
        "--measure",
        action="store_true",
        help="also measure memory bandwidth, GFLOP/s and host<->GPU bandwidth (~10-20 s); "
        "the measured report is kept in the store for rooflines and exports",
    )
    add_store_options(parser, skippable=True)
    parser.set_defaults(func=run)


def backend_matrix() -> list[dict[str, Any]] | None:
    """[{name, available, reason}] for every backend, or None if the registry cannot load."""
    try:
        from ..backends import all_backends

        backends = all_backends()
    except Exception:  # the report must print even when the dispatcher is broken
        return None
    rows = []
    for backend in backends:
        try:
            availability = backend.available()
            rows.append(
                {
                    "name": backend.name,
                    "available": bool(availability.ok),
                    "reason": availability.reason,
                }
            )
        except Exception as exc:
            rows.append(
                {"name": getattr(backend, "name", "?"), "available": False, "reason": str(exc)}
            )
    return rows


def _backend_rows(rows: list[dict[str, Any]], *, short: bool) -> list[list[str]]:
    """Name, yes/no and the reason; ``short`` drops the word "available" from the reason."""
    cells = []
    for r in rows:
        reason = str(r["reason"])
        if r["available"] and short:
            reason = reason.removeprefix("available").strip()
        cells.append([r["name"], "yes" if r["available"] else "no", reason])
    return cells


def _backends_text(rows: list[dict[str, Any]]) -> str:
    lines = text(None, _backend_rows(rows, short=True)).splitlines()
    return "\n".join(["Backends", *("  " + line for line in lines)])


def _backends_markdown(rows: list[dict[str, Any]]) -> str:
    table = markdown(["backend", "available", "reason"], _backend_rows(rows, short=False))
    return "\n".join(["**Backends**", "", *table])


def _keep_measured(report: Any, store: str | None) -> None:
    """Save a measured report as this machine's, so figures drawn later have its roof."""
    from ..store import Store

    with Store(store) as results:
        results.save_machine_report(report.fingerprint, report.to_dict())
    print(
        f"measured figures kept in {results.path} for machine {report.fingerprint}", file=sys.stderr
    )


def run(args: argparse.Namespace) -> int:
    from ..hardware import probe, render_markdown, render_text

    if args.measure and not args.json:
        print("measuring memory bandwidth and GFLOP/s (about 10-20 s)...", file=sys.stderr)
    report = probe(measure=args.measure)
    if args.measure and store_option(args) is not False:
        _keep_measured(report, store_option(args))
    rows = backend_matrix()
    if args.json:
        data = report.to_dict()
        if rows is not None:
            data["backends"] = rows
        print(json.dumps(data, indent=2))
    elif args.markdown:
        print(render_markdown(report))
        if rows:
            print(_backends_markdown(rows))
    else:
        print(render_text(report))
        if rows:
            print(_backends_text(rows))
    return 0

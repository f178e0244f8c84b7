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
from .options import (
    add_cluster_options,
    add_store_options,
    cluster_options,
    comma_list,
    store_option,
)


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
    add_cluster_options(parser)
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


def probed_here(measure: bool) -> tuple[dict[str, Any], list[dict[str, Any]] | None]:
    """This machine's report (measured where asked) and backend matrix, as plain data.

    What ``accel hardware`` prints; on a cluster, what each machine sends home.
    """
    from ..hardware import probe

    return probe(measure=measure).to_dict(), backend_matrix()


def run(args: argparse.Namespace) -> int:
    if args.measure and not args.json:
        print("measuring memory bandwidth and GFLOP/s (about 10-20 s)...", file=sys.stderr)
    if cluster_options(args):
        return _on_cluster(args)
    from ..hardware import probe

    report, rows = probe(measure=args.measure), backend_matrix()
    if args.measure and store_option(args) is not False:
        _keep_measured(report, store_option(args))
    _show(args, report, rows)
    return 0


def _on_cluster(args: argparse.Namespace) -> int:
    """Every machine of the cluster probes itself; each report is shown and kept (a
    measured one replaces the stored one, an unmeasured one is kept for a new machine)."""
    from .. import fleet
    from ..hardware import HardwareReport
    from ..store import Store

    client = fleet.connect(args.cluster)
    try:
        chosen = fleet.machines(client, comma_list(args.machines))
        futures = [
            client.submit(probed_here, args.measure, workers=[m.worker], pure=False) for m in chosen
        ]
        results = [future.result() for future in futures]
    finally:
        client.close()
    documents = []
    for machine, (data, rows) in zip(chosen, results, strict=True):
        report = HardwareReport.from_dict(data)
        if store_option(args) is not False:
            with Store(store_option(args)) as kept:
                if args.measure or not kept.knows_machine(report.fingerprint):
                    kept.save_machine_report(report.fingerprint, data)
        if args.json:
            documents.append({"machine": machine.name, **data, "backends": rows})
        else:
            print(f"== machine {machine.name} (Dask worker {machine.worker})")
            _show(args, report, rows)
            print()
    if args.json:
        print(json.dumps(documents, indent=2))
    return 0


def _show(args: argparse.Namespace, report: Any, rows: list[dict[str, Any]] | None) -> None:
    from ..hardware import render_markdown, render_text

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

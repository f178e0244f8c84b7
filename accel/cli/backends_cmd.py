"""``accel backends``: every backend, available here or why not."""

from __future__ import annotations

import argparse
import json

from ..backends import all_backends
from ..tables import show


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("backends", help="list backends: available, or why not")
    parser.add_argument("--json", action="store_true", help="print as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    rows = []
    for backend in all_backends():
        availability = backend.available()
        rows.append(
            {
                "name": backend.name,
                "device": backend.device,
                "available": availability.ok,
                "reason": availability.reason,
            }
        )
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    show(
        ["backend", "device", "status"],
        [
            [
                r["name"],
                r["device"],
                r["reason"] if r["available"] else f"unavailable: {r['reason']}",
            ]
            for r in rows
        ],
    )
    return 0

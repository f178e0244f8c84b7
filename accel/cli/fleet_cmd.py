"""``accel fleet ADDRESS``: the machines of a Dask cluster, what each is and what runs there."""

from __future__ import annotations

import argparse
import json

from ..tables import show
from .options import comma_list


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "fleet", help="list the machines of a Dask cluster: CPU, cores, GPUs, backends"
    )
    parser.add_argument("address", help="the Dask scheduler's address, e.g. tcp://10.0.0.5:8786")
    parser.add_argument("--machines", help="comma-separated machine names (default: all)")
    parser.add_argument("--json", action="store_true", help="print as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from .. import fleet

    client = fleet.connect(args.address)
    try:
        found = fleet.machines(client, comma_list(args.machines))
    finally:
        client.close()
    if args.json:
        rows = [
            {
                "name": m.name,
                "worker": m.worker,
                "fingerprint": m.fingerprint,
                "hardware": m.hardware,
                **m.summary,
            }
            for m in found
        ]
        print(json.dumps(rows, indent=2))
        return 0
    table = []
    for m in found:
        backends = m.summary.get("backends", {})
        ready = [name for name, reason in backends.items() if reason is None]
        table.append(
            [
                m.name,
                m.fingerprint,
                str(m.summary.get("cpu", "?")),
                str(m.summary.get("cores", "?")),
                ", ".join(m.summary.get("gpus") or []) or "none",
                f"{len(ready)}/{len(backends)}: {', '.join(ready)}",
            ]
        )
    show(["machine", "fingerprint", "cpu", "cores", "gpus", "backends available"], table)
    return 0

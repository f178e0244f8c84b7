"""``accel select KERNEL --size N``: the fastest backend here, its evidence and the runner-up."""

from __future__ import annotations

import argparse
import json

from ..selection import Selected, crossovers, fastest
from ..tables import show
from ..units import seconds
from .options import add_store_options, comma_list
from .sweep_cmd import crossover_json, describe_crossovers


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "select", help="the fastest backend for a kernel at a size, with its evidence"
    )
    parser.add_argument("kernel", help="kernel name (see 'accel kernels')")
    parser.add_argument("--size", type=int, required=True, help="problem size")
    parser.add_argument("--dtype", help="data type (default: the kernel's first)")
    parser.add_argument("--backends", help="comma-separated candidates (default: all)")
    parser.add_argument(
        "--data-on-device",
        action="store_true",
        help="rank by kernel time alone: the data stays on the device between calls",
    )
    parser.add_argument("--budget", type=float, help="seconds that measuring may take at most")
    parser.add_argument("--refresh", action="store_true", help="measure every candidate anew")
    parser.add_argument("--json", action="store_true", help="print the choice as JSON")
    add_store_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    selected = fastest(
        args.kernel,
        args.size,
        dtype=args.dtype,
        backends=comma_list(args.backends),
        data_on_device=args.data_on_device,
        budget_s=args.budget,
        refresh=args.refresh,
        store=args.store,
    )
    found = crossovers(
        args.kernel,
        dtype=selected.dtype,
        backends=[e.backend for e in selected.ranking],
        data_on_device=args.data_on_device,
        store=args.store,
    )
    if args.json:
        print(json.dumps(_as_json(selected, found), indent=2))
        return 0
    print(
        f"{selected.kernel.name} at size {selected.size}, {selected.dtype}, "
        f"{selected.threads} threads; ranked by {selected.metric}"
    )
    best = selected.ranking[0]
    width = max(len(e.backend) for e in selected.ranking[:2])
    print(f"choice     {best.backend.ljust(width)}  {seconds(best.seconds)}")
    if len(selected.ranking) > 1:
        second = selected.ranking[1]
        print(
            f"runner-up  {second.backend.ljust(width)}  {seconds(second.seconds)} "
            f"({second.seconds / best.seconds:.2f}x the choice's time)"
        )
    rows = [
        [e.backend, seconds(e.seconds), f"{e.seconds / best.seconds:.2f}x", e.source]
        for e in selected.ranking
    ]
    print()
    show(["backend", "time", "vs choice", "evidence"], rows)
    for backend, reason in selected.excluded.items():
        print(f"  not a candidate: {backend}: {reason}")
    if selected.measured:
        print(f"measured now and stored: {', '.join(selected.measured)}")
    print(f"crossovers: {describe_crossovers(found)}")
    print(selected.evidence_note)
    for backend, reason in selected.unclean.items():
        print(f"  {backend}: {reason}")
    return 0


def _as_json(selected: Selected, found) -> dict:
    return {
        "kernel": selected.kernel.name,
        "size": selected.size,
        "dtype": selected.dtype,
        "threads": selected.threads,
        "ranked_by": selected.metric,
        "backend": selected.backend,
        "runner_up": selected.runner_up,
        "ranking": [
            {
                "backend": e.backend,
                "seconds": e.seconds,
                "interpolated": e.interpolated,
                "runs": [run.id for run in e.runs],
            }
            for e in selected.ranking
        ],
        "excluded": selected.excluded,
        "measured": selected.measured,
        "unclean": selected.unclean,
        "crossovers": crossover_json(found),
    }

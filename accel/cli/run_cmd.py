"""``accel run KERNEL --backend NAME``: one measured run, as text or as its JSON record."""

from __future__ import annotations

import argparse

from ..api import run as run_kernel
from .format import run_summary
from .options import add_measure_options, add_store_options, measure_options, store_option


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("run", help="measure one kernel on one backend")
    parser.add_argument("kernel", help="kernel name (see 'accel kernels')")
    parser.add_argument("--backend", required=True, help="backend name (see 'accel backends')")
    add_measure_options(parser)
    add_store_options(parser, skippable=True)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    record = run_kernel(
        args.kernel, args.backend, store=store_option(args), **measure_options(args)
    )
    print(record.to_json() if args.json else run_summary(record))
    return 0 if record.status in ("ok", "unavailable") else 1

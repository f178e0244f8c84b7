"""``accel import FILE``: add the runs of an export to the store, all of them or none."""

from __future__ import annotations

import argparse

from ..store import Store, read_export, store_path
from .options import add_store_options


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "import", help="add the runs of an 'accel export' file to the store (all or none)"
    )
    parser.add_argument("file", help="JSON file written by 'accel export'")
    add_store_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # validated before the store is opened, let alone created
    document = read_export(args.file, hint="nothing was imported")
    path = store_path(args.store)
    with Store(path) as store:
        added, present = store.import_(document, source=args.file)
    machines = len(document["machines"])
    print(
        f"imported {added} runs ({present} already stored), measured on {machines} machine"
        f"{'s' if machines != 1 else ''}, from {args.file} into {path}"
    )
    return 0

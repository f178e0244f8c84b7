"""``accel export FILE``: stored runs and their machines as one JSON file for another machine."""

from __future__ import annotations

import argparse
import json
import sys

from ..outputs import check_target, write_file
from ..store import Store, store_path
from .history_cmd import add_run_filters, run_filters
from .options import add_store_options


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "export", help="write stored runs (and their machines) to a JSON file"
    )
    parser.add_argument("file", help="JSON file to write ('-' for standard output)")
    add_run_filters(parser)
    add_store_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    check_target(args.file)
    with Store(store_path(args.store), readonly=True) as store:
        document = store.export(**run_filters(args))
    text = json.dumps(document, indent=1) + "\n"
    if args.file == "-":
        sys.stdout.write(text)
    else:
        write_file(args.file, text)
    machines = len(document["machines"])
    print(
        f"exported {len(document['runs'])} runs from {machines} machine"
        f"{'s' if machines != 1 else ''} to {args.file}",
        file=sys.stderr,
    )
    return 0

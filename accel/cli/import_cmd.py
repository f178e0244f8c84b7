"""``accel import FILE``: add the runs of an export to the store, all of them or none."""

from __future__ import annotations

import argparse
import json

from ..store import Store, StoreError, store_path, validate_export
from .options import add_store_options


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "import", help="add the runs of an 'accel export' file to the store (all or none)"
    )
    parser.add_argument("file", help="JSON file written by 'accel export'")
    add_store_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        with open(args.file, encoding="utf-8") as handle:
            document = json.load(handle)
    except OSError as exc:
        raise StoreError(f"cannot read {args.file}: {exc.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise StoreError(f"{args.file} is not JSON ({exc}); nothing was imported") from None
    validate_export(document, args.file)  # before the store is opened, let alone created
    path = store_path(args.store)
    with Store(path) as store:
        added, present = store.import_(document, source=args.file)
    machines = len(document["machines"])
    print(
        f"imported {added} runs ({present} already stored), measured on {machines} machine"
        f"{'s' if machines != 1 else ''}, from {args.file} into {path}"
    )
    return 0

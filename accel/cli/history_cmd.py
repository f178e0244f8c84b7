"""``accel history``: stored runs, newest first, filtered by kernel, backend, machine and date."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..store import Store, StoredRun, local_kernel_version, store_path
from ..tables import show
from ..units import seconds
from .options import add_store_options


def add_run_filters(parser: argparse.ArgumentParser) -> None:
    """The filters ``accel history`` and ``accel export`` share."""
    parser.add_argument("--kernel", help="only runs of this kernel")
    parser.add_argument("--backend", help="only runs on this backend")
    parser.add_argument(
        "--machine", help="only runs on this machine: a fingerprint (or its start), or 'this'"
    )
    parser.add_argument("--since", metavar="DATE", help="only runs measured since DATE (ISO 8601)")


def run_filters(args: argparse.Namespace) -> dict[str, Any]:
    """Keyword arguments for :meth:`Store.runs` from parsed filters."""
    machine = args.machine
    if machine == "this":
        from ..identity import machine_fingerprint

        machine = machine_fingerprint()
    return {"kernel": args.kernel, "backend": args.backend, "machine": machine, "since": args.since}


def stored_run_json(run: StoredRun) -> dict[str, Any]:
    """A stored run as JSON data: its id, kernel version, time and record."""
    return {
        "id": run.id,
        "kernel_version": run.kernel_version,
        "created_at": run.created_at,
        "record": run.record.to_dict(),
    }


class CurrentCode:
    """Whether a stored run was measured with the code of its kernel as it is now."""

    def __init__(self) -> None:
        self._versions: dict[tuple[str, str, str], str | None] = {}

    def stale(self, run: StoredRun) -> bool | None:
        """True: the kernel's source for that backend changed since (the run is no evidence
        for selection or --resume); None: the kernel is not known here."""
        key = (run.record.kernel, run.record.backend, run.record.variant)
        if key not in self._versions:
            try:
                self._versions[key] = local_kernel_version(run.record) or None
            except Exception:  # a broken kernel
                self._versions[key] = None
        version = self._versions[key]
        return None if version is None else run.kernel_version != version


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("history", help="list stored runs, newest first")
    add_run_filters(parser)
    parser.add_argument("--limit", type=int, default=20, help="at most this many runs (default 20)")
    parser.add_argument("--json", action="store_true", help="print the stored runs as JSON")
    add_store_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    path = store_path(args.store)
    if not path.exists():
        print(f"no runs stored yet ({path} does not exist)")
        return 0
    with Store(path, readonly=True) as store:
        runs = store.runs(**run_filters(args), limit=args.limit)
    current = CurrentCode()
    if args.json:
        print(
            json.dumps([{**stored_run_json(r), "stale": current.stale(r)} for r in runs], indent=2)
        )
        return 0
    if not runs:
        print(f"no stored runs match in {path}")
        return 0
    headers = ["id", "measured (UTC)", "machine", "kernel", "backend", "size", "dtype", "status"]
    headers += ["median", "end to end", "code"]
    rows = [
        [
            str(r.id),
            r.created_at[:19].replace("T", " "),
            r.record.machine or "-",
            r.record.kernel,
            r.record.label,
            str(r.record.size),
            r.record.dtype,
            r.record.status,
            seconds(r.record.median_s),
            seconds(r.record.end_to_end_s),
            {True: "stale", False: "current", None: "-"}[current.stale(r)],
        ]
        for r in runs
    ]
    show(headers, rows)
    return 0

"""``accel sweep KERNEL --sizes 64,128,256``: every backend at every size, stored for selection.

Prints the median kernel time per backend and size (end to end in brackets where
data moves to a device), the fastest backend at each size with and without
transfers, and the sizes where the fastest backend changes.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from typing import Any

from ..api import sweep
from ..errors import UsageError
from ..selection import Crossover, crossovers, crossovers_among
from ..tables import median_cell, show, trust_notes
from ..units import seconds
from .options import (
    add_cluster_options,
    add_figure_options,
    add_measure_options,
    add_resume_option,
    add_store_options,
    cluster_options,
    comma_list,
    measure_options,
    store_option,
)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "sweep", help="measure a kernel over several sizes and store it for selection"
    )
    parser.add_argument("kernel", help="kernel name (see 'accel kernels')")
    parser.add_argument(
        "--sizes",
        help="comma-separated sizes, e.g. 64,128,256 (needed unless --from-store or --from: "
        "then every stored size by default)",
    )
    parser.add_argument("--backends", help="comma-separated backends (default: all)")
    add_measure_options(parser, single_size=False)
    add_store_options(parser)
    add_resume_option(parser)
    add_figure_options(parser)
    add_cluster_options(parser, spread=True)
    parser.add_argument(
        "--throughput", action="store_true", help="--plot GFLOP/s against size instead of time"
    )
    parser.set_defaults(func=run)


def parse_sizes(text: str) -> list[int]:
    """``"64,128,256"`` -> [64, 128, 256]; anything but positive whole numbers is refused."""
    sizes = []
    for item in comma_list(text) or []:
        if not item.isdigit() or int(item) < 1:
            raise UsageError(f"--sizes takes positive whole numbers, got {item!r}")
        sizes.append(int(item))
    if not sizes:
        raise UsageError("--sizes needs at least one size, e.g. --sizes 64,128,256")
    return sorted(set(sizes))


def describe_crossovers(found: list[Crossover]) -> str:
    """``numpy -> numba_cpu near size 181 (between 128 and 256)``; 'none' when none."""
    if not found:
        return "none: the same backend is fastest at every stored size"
    return "; ".join(c.describe() for c in found)


def crossover_json(found: list[Crossover]) -> list[dict[str, Any]]:
    return [dataclasses.asdict(c) for c in found]


def run(args: argparse.Namespace) -> int:
    from ..plots import command_line as figures

    figures.check_plot(args)
    if args.cluster and args.plot:
        raise UsageError(
            "--plot draws one machine: measure with --cluster, then draw each machine with "
            "--from-store --machine FINGERPRINT"
        )
    from_store = figures.stored(args)
    sizes = None if from_store and not args.sizes else parse_sizes(args.sizes)
    backends = comma_list(args.backends)
    machine = None
    if from_store:  # crossovers of exactly the stored runs shown, on their own machine
        records, machine = figures.stored_sweep(args, args.kernel, sizes, backends)
        sizes = sorted({r.size for r in records})
        found = {d: crossovers_among(records, data_on_device=d) for d in (True, False)}
    else:
        records = sweep(
            args.kernel,
            sizes,
            backends,
            store=store_option(args),
            resume=args.resume,
            progress=args.progress or None,
            **cluster_options(args),
            **measure_options(args),
        )
    names = list(dict.fromkeys(r.backend for r in records))
    if args.cluster:  # each machine's own crossovers, or the spread sweep's as one
        return _show_cluster_sweep(args, records, sizes)
    if not from_store:
        found = {
            on_device: crossovers(
                args.kernel,
                dtype=args.dtype,
                backends=names,
                data_on_device=on_device,
                store=store_option(args),
            )
            for on_device in (True, False)
        }
    if args.plot:
        from ..plots.sweep_plot import draw_sweep

        machine = machine or figures.local_machine()
        draw_sweep(records, machine, args.plot, throughput=args.throughput)
        figures.announce(args.plot)
    if args.json:
        document = {
            "records": [r.to_dict() for r in records],
            "crossovers": {
                "kernel_time": crossover_json(found[True]),
                "end_to_end": crossover_json(found[False]),
            },
        }
        print(json.dumps(document, indent=2))
        return 0
    _show_sweep(records, sizes, found)
    return 0 if all(r.status in ("ok", "unavailable") for r in records) else 1


def _show_cluster_sweep(args: argparse.Namespace, records: list, sizes: list[int]) -> int:
    """A sweep on a cluster: a table per machine, or one for a sweep spread over machines
    of the same hardware (each size measured on one of them)."""
    from ..evidence import machines_of

    machines = {m.fingerprint: m.short_name for m in machines_of(records, store_option(args))}
    groups = (
        {", ".join(sorted(machines.values())): records}
        if args.spread
        else {
            name: [r for r in records if r.machine == fingerprint]
            for fingerprint, name in machines.items()
        }
    )
    if args.json:
        print(json.dumps([r.to_dict() for r in records], indent=2))
    for name, mine in groups.items():
        found = {d: crossovers_among(mine, data_on_device=d) for d in (True, False)}
        if not args.json:
            how = "spread over machines" if args.spread else "on machine"
            _show_sweep(mine, sizes, found, f" {how} {name}")
            print()
    return 0 if all(r.status in ("ok", "unavailable") for r in records) else 1


def _show_sweep(records: list, sizes: list[int], found: dict, where: str = "") -> None:
    """The sweep's table, its crossovers with their intervals, and what cannot be trusted."""
    first = records[0]
    print(
        f"{first.kernel} sweep{where}: {first.dtype}, {first.threads} threads; median kernel "
        "time ± its 95% interval (end to end in brackets where data moves; ! = not to be trusted)"
    )
    show(*_sweep_rows(records, sizes))
    print(f"crossovers, kernel time only:    {describe_crossovers(found[True])}")
    print(*(f"  {c.intervals()}" for c in found[True]), sep="\n", end="\n" if found[True] else "")
    print(f"crossovers, transfers counted:   {describe_crossovers(found[False])}")
    print(*(f"  {c.intervals()}" for c in found[False]), sep="\n", end="\n" if found[False] else "")
    notes = trust_notes(records)
    if notes:
        print("\n".join(notes))
    for r in records:
        if r.status not in ("ok", "unavailable"):
            print(f"  {r.label} at size {r.size}: {r.status}: {r.reason}")


def _sweep_rows(records, sizes: list[int]) -> tuple[list[str], list[list[str]]]:
    """One row per size: each backend's (and variant's) time, then the fastest without and
    with transfers."""
    names = dict.fromkeys(r.label for r in records)
    timed = [n for n in names if any(r.label == n and r.ok for r in records)]
    by_key = {(r.label, r.size): r for r in records}
    rows = []
    for size in sizes:
        ok = [by_key[(n, size)] for n in timed if by_key.get((n, size)) and by_key[(n, size)].ok]
        cells = []
        for name in timed:
            r = by_key.get((name, size))
            if r is None or not r.ok:
                cells.append(r.status if r is not None else "-")
            else:
                cell = median_cell(r)
                if r.transfer is not None:
                    cell += f" ({seconds(r.end_to_end_s)})"
                cells.append(cell + (" !" if r.trust else ""))
        fastest = min(ok, key=lambda r: r.median_s).label if ok else "-"
        with_transfers = min(ok, key=lambda r: r.end_to_end_s).label if ok else "-"
        rows.append([str(size), *cells, fastest, with_transfers])
    return ["size", *timed, "fastest", "fastest with transfers"], rows

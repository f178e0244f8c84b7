"""``accel compare KERNEL``: the kernel on every backend, fastest first."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from ..api import compare
from ..counters import parse_events
from ..record import RunRecord
from ..tables import (
    compare_notes,
    compare_rows,
    counter_rows,
    ranking_note,
    show,
    view_events,
)
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

if TYPE_CHECKING:
    from ..evidence import Machine


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("compare", help="measure one kernel on every backend")
    parser.add_argument("kernel", help="kernel name (see 'accel kernels')")
    parser.add_argument(
        "--backends", help="comma-separated backends (default: all, unavailable ones listed)"
    )
    add_measure_options(parser)
    parser.add_argument(
        "--resident",
        action="store_true",
        help="rank by kernel time, data kept on the device across calls (default: end to end, "
        "kernel + transfers, as one call from host data pays)",
    )
    add_store_options(parser, skippable=True)
    add_resume_option(parser)
    add_figure_options(parser)
    add_cluster_options(parser)
    parser.set_defaults(func=run)


def compared(args: argparse.Namespace, **forced: object) -> tuple[list[RunRecord], list[Machine]]:
    """The records a comparison shows: measured now (here, or on a cluster's machines), or
    stored (``--from-store``, ``--from``; ``--machine all`` or a list: several machines),
    and the machines they belong to; ``forced`` run options override the parsed ones.

    ``accel compare`` and ``accel counters`` both take their records here.
    """
    from ..plots import command_line as figures

    backends = comma_list(args.backends)
    figures.check_plot(args)
    if figures.stored(args) and figures.several_machines(args):
        return figures.stored_machines(args, args.kernel, backends)
    if figures.stored(args):
        records, machine = figures.stored_comparison(args, args.kernel, backends)
        return records, [machine]
    records = compare(
        args.kernel,
        backends,
        store=store_option(args),
        resume=getattr(args, "resume", False),
        progress=args.progress or None,
        **cluster_options(args),
        **{**measure_options(args), **forced},
    )
    if getattr(args, "cluster", None):  # accel counters has no --cluster
        from ..evidence import machines_of

        return records, machines_of(records, store_option(args))
    return records, [figures.local_machine()]


def show_machines(
    records: list[RunRecord],
    machines: list[Machine],
    resident: bool,
    counters: bool | None,
    events: object,
) -> None:
    """A comparison on several machines: a table each, then the machine x backend table."""
    from ..tables import machine_rows

    names = {machine.fingerprint: machine.short_name for machine in machines}
    for fingerprint, name in names.items():
        mine = [r for r in records if r.machine == fingerprint]
        first = mine[0]
        print(
            f"{first.kernel} on {name} ({fingerprint}): size {first.size}, {first.dtype}, "
            f"{first.threads} threads"
        )
        if counters:
            show(*counter_rows(mine, parse_events(events)))
        else:
            show(*compare_rows(mine, resident))
        print()
    print("machines side by side (median per call, end to end unless --resident):")
    show(*machine_rows(records, names, resident))


def run(args: argparse.Namespace) -> int:
    """``accel compare``: the time view, or the counter view with ``--counters``."""
    return report(args, counter_view=bool(args.counters), ranked=True, figure="comparison")


def report(
    args: argparse.Namespace, *, counter_view: bool, ranked: bool, figure: str, **forced: object
) -> int:
    """Measure or load (:func:`compared`), then print and draw one view of the records.

    ``accel compare`` and ``accel counters`` differ only here: which table
    (``counter_view``), whether the ranking note is printed, which ``figure``.
    """
    from ..plots import command_line as figures

    records, machines = compared(args, **forced)
    resident = getattr(args, "resident", False)
    if args.json:
        print(json.dumps([r.to_dict() for r in records], indent=2))
    elif len(machines) > 1:  # a cluster, or --machine all: one table per machine
        show_machines(records, machines, resident, counter_view, args.events)
    else:
        first = records[0]
        print(f"{first.kernel}: size {first.size}, {first.dtype}, {first.threads} threads")
        if counter_view:
            events = parse_events(args.events) if args.events else view_events(records)
            show(*counter_rows(records, events))
        else:
            show(*compare_rows(records, resident))
        ranking = ranking_note(records, resident) if ranked else ""
        notes = [n for n in (ranking, *compare_notes(records)) if n]
        if notes:
            print("\n" + "\n".join(notes))  # a blank line ends the table
    if args.plot and len(machines) > 1:
        from ..plots.machines_plot import draw_machines

        draw_machines(records, machines, args.plot, resident=resident)
        figures.announce(args.plot)
    elif args.plot:
        machine = machines[0]
        if figure == "counters":
            from ..plots.counters_plot import draw_counters as draw
        else:
            from ..plots.compare_plot import draw_comparison as draw

        draw(records, machine, args.plot)
        figures.announce(args.plot)
    return 0 if all(r.status in ("ok", "unavailable") for r in records) else 1

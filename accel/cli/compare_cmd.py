"""``accel compare KERNEL``: the kernel on every backend, fastest first."""

from __future__ import annotations

import argparse
import json

from ..counters import parse_events
from ..progress import measured_runs
from ..tables import (
    compare_notes,
    compare_rows,
    counter_rows,
    ranking_note,
    show,
    view_events,
)
from .options import (
    add_figure_options,
    add_measure_options,
    add_resume_option,
    add_store_options,
    comma_list,
    measure_options,
    store_option,
)


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
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..plots import command_line as figures

    backends = comma_list(args.backends)
    figures.check_plot(args)
    machine = None
    if figures.stored(args):
        records, machine = figures.stored_comparison(args, args.kernel, backends)
    else:
        records = list(
            measured_runs(
                args.kernel,
                backends,
                [None],
                store=store_option(args),
                resume=args.resume,
                progress=args.progress,
                **measure_options(args),
            )
        )
    if args.json:
        print(json.dumps([r.to_dict() for r in records], indent=2))
    else:
        first = records[0]
        print(f"{first.kernel}: size {first.size}, {first.dtype}, {first.threads} threads")
        if args.counters:  # asked for by name: the counter view
            events = parse_events(args.events) if args.events else view_events(records)
            show(*counter_rows(records, events))
        else:
            show(*compare_rows(records, args.resident))
        notes = [n for n in (ranking_note(records, args.resident), *compare_notes(records)) if n]
        if notes:
            print("\n" + "\n".join(notes))  # a blank line ends the table
    if args.plot:
        from ..plots.compare_plot import draw_comparison

        draw_comparison(records, machine or figures.local_machine(), args.plot)
        figures.announce(args.plot)
    return 0 if all(r.status in ("ok", "unavailable") for r in records) else 1

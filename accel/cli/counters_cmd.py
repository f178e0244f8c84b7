"""``accel counters KERNEL``: cache misses and IPC per backend beside time (perf stat).

``accel compare`` with its counter view: every backend measured with perf counters over
the timed repetitions only; ``--plot`` draws the book's perf-stat lesson as a figure.
Where perf cannot count an event (a VM without a virtual PMU), the table and the
figure say so rather than show zeros.
"""

from __future__ import annotations

import argparse
import json

from ..counters import parse_events
from ..progress import measured_runs
from ..tables import compare_notes, counter_rows, show, view_events
from .options import (
    add_figure_options,
    add_measure_options,
    add_store_options,
    comma_list,
    measure_options,
    store_option,
)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "counters",
        help="cache misses and IPC per backend beside time (perf stat, or valgrind's cache "
        "simulator where the CPU cannot count)",
    )
    parser.add_argument("kernel", help="kernel name (see 'accel kernels')")
    parser.add_argument("--backends", help="comma-separated backends (default: all)")
    add_measure_options(parser)
    add_store_options(parser, skippable=True)
    add_figure_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..plots import command_line as figures

    figures.check_plot(args)
    backends = comma_list(args.backends)
    events = parse_events(args.events) if args.events else None
    if figures.stored(args):
        records, machine = figures.stored_comparison(args, args.kernel, backends)
    else:
        options = {**measure_options(args), "counters": True}
        records = list(
            measured_runs(
                args.kernel,
                backends,
                [None],
                store=store_option(args),
                progress=args.progress,
                **options,
            )
        )
        machine = figures.local_machine()
    if args.json:
        print(json.dumps([r.to_dict() for r in records], indent=2))
    else:
        first = records[0]
        print(f"{first.kernel}: size {first.size}, {first.dtype}, {first.threads} threads")
        show(*counter_rows(records, events or view_events(records)))
        notes = compare_notes(records)
        if notes:
            print("\n" + "\n".join(notes))
    if args.plot:
        from ..plots.counters_plot import draw_counters

        draw_counters(records, machine, args.plot)
        figures.announce(args.plot)
    return 0 if all(r.status in ("ok", "unavailable") for r in records) else 1

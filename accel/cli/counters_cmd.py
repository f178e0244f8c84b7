"""``accel counters KERNEL``: cache misses and IPC per backend beside time.

``accel compare`` with its counter view: every backend counted over the timed repetitions
only, by perf where the CPU counts hardware events, else by valgrind's cache simulator
(``--counter-source`` chooses); ``--plot`` draws the book's perf-stat lesson as a figure.
The table shows the source's own events (perf's, or the simulator's L1 and last-level
counts) unless ``--events`` names others, and says which source counted. Where nothing
could count an event, the table and the figure say so rather than show zeros.
"""

from __future__ import annotations

import argparse

from .compare_cmd import report
from .options import (
    add_figure_options,
    add_measure_options,
    add_store_options,
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
    """``accel compare`` with counters on and the counter view, its figure, no ranking."""
    return report(args, counter_view=True, ranked=False, figure="counters", counters=True)

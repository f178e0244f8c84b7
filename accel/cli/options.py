"""Options shared by the commands that measure (run, compare, and later sweep)."""

from __future__ import annotations

import argparse
from typing import Any

from ..counters import DEFAULT_EVENTS
from ..runner import DEFAULT_TIMEOUT_S


def add_measure_options(parser: argparse.ArgumentParser) -> None:
    """Size, dtype, threads and repetition options, as ``accel run`` and ``compare`` take them."""
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--preset", help="a named size: S, M, L or book (default S)")
    size.add_argument("--size", type=int, help="problem size (see 'accel kernels')")
    parser.add_argument(
        "--dtype", help="data type (default: the kernel's first, see 'accel kernels')"
    )
    parser.add_argument(
        "--threads", type=int, help="threads for parallel backends (default: usable CPUs)"
    )
    parser.add_argument(
        "--repeats", type=int, help="timed repetitions (default: enough for --min-time)"
    )
    parser.add_argument(
        "--min-time", type=float, help="seconds of timed repetitions to aim for (default 0.5)"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed for random inputs (default 0)")
    parser.add_argument(
        "--timeout", type=float, default=DEFAULT_TIMEOUT_S, help="seconds before a run is killed"
    )
    parser.add_argument("--json", action="store_true", help="print run records as JSON")
    parser.add_argument(
        "--counters",
        action=argparse.BooleanOptionalAction,
        help="perf counters over the timed repetitions only (default: off for run, on for "
        "compare, where --counters shows the counter view)",
    )
    parser.add_argument(
        "--events",
        help=f"comma-separated perf events to count (default {','.join(DEFAULT_EVENTS)})",
    )


def measure_options(args: argparse.Namespace) -> dict[str, Any]:
    """Keyword arguments for :func:`accel.run` from parsed options."""
    return {
        "size": args.size,
        "preset": args.preset,
        "dtype": args.dtype,
        "threads": args.threads,
        "repeats": args.repeats,
        "min_time": args.min_time,
        "seed": args.seed,
        "timeout": args.timeout,
        "counters": args.counters,
        "events": args.events,
    }

"""Options shared by the commands that measure (run, compare, and later sweep)."""

from __future__ import annotations

import argparse
import re
from typing import Any

from ..counters import COUNTER_SOURCES, DEFAULT_EVENTS
from ..errors import UsageError
from ..runner import DEFAULT_TIMEOUT_S


def add_measure_options(parser: argparse.ArgumentParser, *, single_size: bool = True) -> None:
    """Size, dtype, threads and repetition options, as ``accel run`` and ``compare`` take them.

    ``single_size=False`` leaves out ``--size``/``--preset`` for commands that take
    several sizes their own way (``accel sweep --sizes``).
    """
    if single_size:
        size = parser.add_mutually_exclusive_group()
        size.add_argument("--preset", help="a named size: S, M, L or book (default S)")
        size.add_argument("--size", type=int, help="problem size (see 'accel kernels')")
    else:
        parser.set_defaults(size=None, preset=None)
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
        "--pinned",
        action="store_true",
        help="GPU backends: stage host data in pinned (page-locked) memory; the record says so",
    )
    parser.add_argument(
        "--counters",
        action=argparse.BooleanOptionalAction,
        help="counters over the timed repetitions only, from perf or valgrind's cache "
        "simulator (see --counter-source; default: off for run; on for compare's CPU "
        "backends from perf alone, off for its GPU backends, whose counts are host-side; "
        "--counters also uses the simulator and shows the counter view)",
    )
    parser.add_argument(
        "--counter-source",
        choices=COUNTER_SOURCES,
        help="where counts come from: perf, simulated (a second run of each worker under "
        "valgrind's cache simulator, this machine's cache sizes) or auto (default: perf "
        "where it counts hardware events here, else simulated); implies --counters",
    )
    parser.add_argument(
        "--events",
        help=f"comma-separated perf events to count (default {','.join(DEFAULT_EVENTS)})",
    )
    parser.add_argument(
        "--memory-limit",
        type=memory_size,
        metavar="SIZE",
        help="address space each worker may use, e.g. 2G or 512M: an allocation past it "
        "fails the run with MemoryError (CPU backends; default: no limit)",
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
        "counter_source": args.counter_source,
        "pinned": args.pinned,
        "memory_limit": args.memory_limit,
    }


_MEMORY_SIZE = re.compile(r"(\d+(?:\.\d*)?)\s*([KMGT]?)(?:i?B)?", re.IGNORECASE)


def memory_size(text: str) -> int:
    """``"2G"``, ``"512MiB"``, ``"1.5g"`` or plain bytes -> bytes (units are powers of 1024)."""
    match = _MEMORY_SIZE.fullmatch(text.strip())
    if match is None or float(match.group(1)) <= 0:
        raise argparse.ArgumentTypeError(f"expected a memory size such as 512M or 2G, got {text!r}")
    number, unit = match.groups()
    return max(1, int(float(number) * 1024 ** " KMGT".index(unit.upper() or " ")))


def add_resume_option(parser: argparse.ArgumentParser) -> None:
    """``--resume``: take runs that finished (ok or invalid) from the store, not measure again."""
    parser.add_argument(
        "--resume",
        action="store_true",
        help="skip runs already stored for this machine and versions with status ok or "
        "invalid (failed, timed-out and unavailable ones run again)",
    )


def add_figure_options(parser: argparse.ArgumentParser, *, measures: bool = True) -> None:
    """``--plot FILE``, and drawing stored runs (``--from-store``, ``--from FILE``, ``--machine``).

    ``measures=False`` is for commands that only ever draw stored runs (no
    ``--from-store``, ``--progress`` or ``--plot``: ``accel report``).
    """
    if measures:
        parser.add_argument("--plot", metavar="FILE", help="save a figure: FILE.png or FILE.svg")
        parser.add_argument(
            "--from-store",
            action="store_true",
            help="measure nothing: use the latest stored run of each backend (see --machine)",
        )
        parser.add_argument(
            "--progress",
            action="store_true",
            help="show progress on stderr even when it is not a terminal",
        )
    parser.add_argument(
        "--from",
        dest="from_file",
        metavar="FILE",
        help="measure nothing: use the runs of an 'accel export' FILE (the store is not touched)",
    )
    parser.add_argument(
        "--machine",
        help="stored runs of this machine: a fingerprint (or its start), or 'this' "
        "(default: the machine of the newest matching run)",
    )


def add_store_options(parser: argparse.ArgumentParser, *, skippable: bool = False) -> None:
    """``--store PATH`` (and, where storing is optional, ``--no-store``)."""
    parser.add_argument(
        "--store",
        metavar="PATH",
        help="results store (default $ACCEL_HOME/results.sqlite, else "
        "~/.cache/accel/results.sqlite)",
    )
    if skippable:
        parser.add_argument(
            "--no-store", action="store_true", help="do not keep the run records in the store"
        )


def store_option(args: argparse.Namespace) -> str | bool | None:
    """The ``store=`` argument from parsed options: a path, None (default store) or False."""
    return False if getattr(args, "no_store", False) else args.store


def comma_list(text: str | None) -> list[str] | None:
    """``"numpy, numba_cpu"`` -> ``["numpy", "numba_cpu"]``; None (option not given) is None.

    A list that names nothing (``""``, ``","``, blanks) is a UsageError, not "all of
    them"; an item named twice counts once (``numpy,numpy`` runs numpy once).
    """
    if text is None:
        return None
    items = [item.strip() for item in text.split(",") if item.strip()]
    if not items:
        raise UsageError(f"expected a comma-separated list of at least one item, got {text!r}")
    return list(dict.fromkeys(items))

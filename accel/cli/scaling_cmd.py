"""``accel scaling KERNEL --threads 1,2,4``: time against thread count, Amdahl's law fitted.

Each parallel backend (default: numba_parallel, c_openmp and torch_cpu, those the kernel
has) runs at each thread count in a fresh worker; the table gives the median with its
interval and the speedup over one thread, then the serial fraction Amdahl's law fits
and the speedup it allows at most.
"""

from __future__ import annotations

import argparse
import dataclasses
import json

from ..api import compare
from ..scaling import Scaling, default_threads, parse_threads, scalings
from ..tables import median_cell, show, trust_notes
from ..threads import usable_cpus
from .options import (
    add_measure_options,
    add_store_options,
    comma_list,
    measure_options,
    store_option,
)

#: Backends whose thread count changes how they run.
PARALLEL_BACKENDS = ("numba_parallel", "c_openmp", "torch_cpu")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "scaling",
        help="measure a kernel at several thread counts and fit Amdahl's law",
        conflict_handler="resolve",  # --threads here is a list
    )
    parser.add_argument("kernel", help="kernel name (see 'accel kernels')")
    parser.add_argument(
        "--backends",
        help=f"comma-separated backends (default: those of {', '.join(PARALLEL_BACKENDS)} "
        "the kernel has)",
    )
    add_measure_options(parser)
    parser.add_argument(
        "--threads",
        help="comma-separated thread counts, e.g. 1,2,4 (default: 1, 2, 4, ... up to the "
        "usable CPUs)",
    )
    add_store_options(parser, skippable=True)
    parser.add_argument("--plot", metavar="FILE", help="save a figure: FILE.png or FILE.svg")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..kernels import get_kernel
    from ..plots import command_line as figures
    from ..request import resolve_kernel

    counts = parse_threads(args.threads) if args.threads else default_threads(usable_cpus())
    kernel = resolve_kernel(args.kernel)
    backends = comma_list(args.backends) or [
        b for b in PARALLEL_BACKENDS if b in get_kernel(kernel.name).implementations
    ]
    figures.check_plot(args)
    options = measure_options(args)
    records = []
    for threads in counts:
        options["threads"] = threads
        records += compare(
            kernel.name, backends, store=store_option(args), progress=None, **options
        )
    found = scalings(records)
    if args.json:
        fits = {s.backend: dataclasses.asdict(s.fit) if s.fit else None for s in found}
        print(json.dumps({"records": [r.to_dict() for r in records], "fits": fits}, indent=2))
    else:
        _print_table(records, found, counts)
    if args.plot:
        from ..plots.scaling_plot import draw_scaling

        draw_scaling(found, figures.local_machine(), args.plot)
        figures.announce(args.plot)
    return 0 if all(r.status in ("ok", "unavailable") for r in records) else 1


def _print_table(records: list, found: list[Scaling], counts: list[int]) -> None:
    first = records[0]
    print(
        f"{first.kernel} scaling: size {first.size}, {first.dtype}; median ± its 95% interval "
        "(speedup over 1 thread)"
    )
    show(*_rows(found, counts))
    notes = trust_notes(records)
    if notes:
        print("\n" + "\n".join(notes))
    for r in records:
        if r.status not in ("ok", "unavailable"):
            print(f"  {r.label} on {r.threads} threads: {r.status}: {r.reason}")


def _rows(found: list[Scaling], counts: list[int]) -> tuple[list[str], list[list[str]]]:
    rows = []
    for scaling in found:
        by_threads = {r.threads: r for r in scaling.runs}
        one = scaling.baseline_s
        cells = []
        for threads in counts:
            r = by_threads.get(threads)
            if r is None or not r.ok:
                cells.append(r.status if r is not None else "-")
                continue
            cell = median_cell(r)
            if one and r.median_s:
                cell += f" ({one / r.median_s:.2f}x)"
            cells.append(cell + (" !" if r.trust else ""))
        fit = scaling.fit
        serial = f"{fit.serial_fraction:.2f}" if fit else "-"
        ceiling = "-" if fit is None else (
            "unbounded" if fit.serial_fraction == 0 else f"{fit.max_speedup:.1f}x"
        )  # fmt: skip
        rows.append([scaling.backend, *cells, serial, ceiling])
    headers = ["backend", *(f"{t} thread{'s' if t != 1 else ''}" for t in counts)]
    return [*headers, "serial fraction (Amdahl)", "at most"], rows

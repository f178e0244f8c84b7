"""``accel roofline KERNEL...``: achieved GFLOP/s against arithmetic intensity, under the roof.

Each (kernel, backend) is a point: the kernel's work per call over its median time.
The roof is the machine's measured memory bandwidth and peak GFLOP/s from its stored
hardware report (``--measure-roof`` measures this machine's when the report has none).
"""

from __future__ import annotations

import argparse
import json

from ..api import compare
from ..tables import show
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
        "roofline",
        help="achieved GFLOP/s against arithmetic intensity per kernel and backend, "
        "under this machine's measured roof",
    )
    parser.add_argument("kernels", nargs="+", metavar="KERNEL", help="kernel names")
    parser.add_argument("--backends", help="comma-separated backends (default: all)")
    add_measure_options(parser)
    add_store_options(parser, skippable=True)
    add_figure_options(parser)
    parser.add_argument(
        "--measure-roof",
        action="store_true",
        help="when the stored hardware report has no measured bandwidth and GFLOP/s, "
        "measure this machine's now (10-20 s)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..plots import command_line as figures
    from ..plots.roofline_plot import (
        ABOVE_THE_ROOF,
        gpu_roof_from_report,
        no_roof_reason,
        points,
        roof_from_report,
        roof_of,
    )
    from ..units import rate

    figures.check_plot(args)
    backends = comma_list(args.backends)
    kernels = list(dict.fromkeys(args.kernels))
    if figures.stored(args):
        records, machine = figures.stored_comparisons(args, kernels, backends)
    else:
        records = [
            record
            for kernel in kernels
            for record in compare(
                kernel,
                backends,
                store=store_option(args),
                progress=args.progress or None,
                **measure_options(args),
            )
        ]
        machine = figures.local_machine()
    machine = figures.with_roof(machine, measure=args.measure_roof)
    roof = roof_from_report(machine.report)
    gpu_roof = gpu_roof_from_report(machine.report)
    found = points(records)

    def share(point) -> float | None:
        return point.share_of(roof_of(point, roof, gpu_roof))

    if args.json:
        document = {
            "machine": machine.fingerprint,
            "roof": None if roof is None else vars(roof),
            "gpu_roof": None if gpu_roof is None else vars(gpu_roof),
            "points": [{**vars(p), "share_of_roof": share(p)} for p in found],
        }
        print(json.dumps(document, indent=2))
    else:
        rows = [
            [
                p.kernel,
                p.backend,
                f"{p.size:,}",
                f"{p.intensity:.3g}",
                rate(p.gflops),
                "-" if share(p) is None else f"{share(p):.0%}",
            ]
            for p in sorted(found, key=lambda p: (p.kernel, -p.gflops))
        ]
        show(["kernel", "backend", "size", "flop/byte", "GFLOP/s", "of roof"], rows)
        if roof is None:
            print(f"\n{no_roof_reason(machine)}")
        else:
            peaks = ", ".join(f"{rate(gflops)} GFLOP/s ({what})" for what, gflops in roof.peaks)
            print(f"\nroof: {rate(roof.bandwidth_gbs)} GB/s ({roof.bandwidth_source}); {peaks}")
            if gpu_roof is not None:
                peaks = ", ".join(f"{rate(g)} GFLOP/s ({what})" for what, g in gpu_roof.peaks)
                print(
                    f"GPU roof: {rate(gpu_roof.bandwidth_gbs)} GB/s "
                    f"({gpu_roof.bandwidth_source}); {peaks}"
                )
            if any((share(p) or 0) > 1 for p in found):
                print(ABOVE_THE_ROOF)
    if args.plot:
        from ..plots.roofline_plot import draw_roofline

        draw_roofline(records, machine, roof, args.plot, gpu_roof=gpu_roof)
        figures.announce(args.plot)
    return 0 if all(r.status in ("ok", "unavailable") for r in records) else 1

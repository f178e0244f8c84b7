"""``accel report --html FILE``: one machine's stored results as a lecture-ready report.

The hardware summary, then per kernel the comparison table, the figures and a
plain-language reading of the numbers, and the roofline of every kernel. Drawn from
stored runs only (nothing is measured): the store, or an ``accel export`` file with
``--from``, so a GPU machine's numbers can be presented from a laptop. The HTML file
is self-contained (figures embedded, no network needed); ``--markdown`` writes the
same for slides tools, with the figures in a folder beside it.
"""

from __future__ import annotations

import argparse

from ..errors import UsageError
from ..outputs import check_target
from .options import add_figure_options, add_store_options, comma_list


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report", help="write stored results as a self-contained HTML (or Markdown) report"
    )
    parser.add_argument("--html", metavar="FILE", help="write the report as one HTML file")
    parser.add_argument(
        "--markdown",
        metavar="FILE",
        help="write the report as Markdown, its figures in FILE's folder under <name>-figures/",
    )
    parser.add_argument("--kernels", help="comma-separated kernels (default: every one stored)")
    parser.add_argument(
        "--figures",
        choices=("svg", "png"),
        default="svg",
        help="figure format (default svg: sharp at any projector size)",
    )
    parser.add_argument(
        "--measure-roof",
        action="store_true",
        help="when the stored hardware report has no measured bandwidth and GFLOP/s, "
        "measure this machine's now for the roofline (10-20 s)",
    )
    add_figure_options(parser, measures=False)
    add_store_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from .. import evidence
    from ..plots import command_line as figures
    from ..plots.report import build_report, write_html, write_markdown
    from ..plots.style import require_matplotlib

    if not (args.html or args.markdown):
        raise UsageError("say where to write the report: --html FILE and/or --markdown FILE")
    require_matplotlib()
    for path in (args.html, args.markdown):
        if path:
            check_target(path)
    kernels = comma_list(args.kernels)
    with evidence.results(args.store, args.from_file) as store:
        first = kernels[0] if kernels else None
        machine = evidence.resolve_machine(store, args.machine, kernel=first)
        machine = figures.with_roof(machine, measure=args.measure_roof)
        report = build_report(store, machine, kernels=kernels, kind=args.figures)
    for path, write in ((args.html, write_html), (args.markdown, write_markdown)):
        if path:
            print(f"report written to {write(report, path)}")
    return 0

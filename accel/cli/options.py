"""Options shared by the commands that measure (run, compare, and later sweep)."""

from __future__ import annotations

import argparse
from typing import Any

from ..errors import UsageError
from ..request import cli_options


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def add_measure_options(parser: argparse.ArgumentParser, *, single_size: bool = True) -> None:
    """The run options of :class:`accel.request.RunRequest` that have a flag, and ``--json``.

    ``--size`` and ``--preset`` exclude each other. ``single_size=False`` leaves them
    out for commands that take several sizes their own way (``accel sweep --sizes``).
    """
    sizes = parser.add_mutually_exclusive_group() if single_size else None
    if not single_size:
        parser.set_defaults(size=None, preset=None)
    for option in cli_options():
        if option.name in ("size", "preset") and sizes is None:
            continue
        keywords = dict(option.metadata["cli"])
        if keywords.get("action") == "boolean_optional":
            keywords["action"] = argparse.BooleanOptionalAction
        if option.default is not None and keywords.get("action") != "store_true":
            keywords["default"] = option.default
        target = sizes if option.name in ("size", "preset") else parser
        target.add_argument(_flag(option.name), help=option.metadata["help"], **keywords)
    parser.add_argument("--json", action="store_true", help="print run records as JSON")


def measure_options(args: argparse.Namespace) -> dict[str, Any]:
    """Keyword arguments for :func:`accel.run` from parsed options: every flagged run option."""
    return {option.name: getattr(args, option.name) for option in cli_options()}


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
        help="stored runs of this machine: a fingerprint (or its start), a fleet label, or "
        "'this'; for compare also 'all' or a comma-separated list, side by side "
        "(default: the machine of the newest matching run)",
    )


def add_cluster_options(parser: argparse.ArgumentParser, *, spread: bool = False) -> None:
    """``--cluster ADDRESS`` and ``--machines`` (and, for sweeps, ``--spread``)."""
    parser.add_argument(
        "--cluster",
        metavar="ADDRESS",
        help="run on the machines of this Dask cluster (a scheduler address, e.g. "
        "tcp://10.0.0.5:8786; see 'accel fleet'), one measurement at a time per machine",
    )
    parser.add_argument(
        "--machines", help="with --cluster: comma-separated machine names (default: all)"
    )
    if spread:
        parser.add_argument(
            "--spread",
            action="store_true",
            help="with --cluster: measure each size on one machine of each group of machines "
            "of the same hardware, instead of on every machine",
        )


def cluster_options(args: argparse.Namespace) -> dict[str, Any]:
    """``cluster=``, ``machines=`` (and ``spread=``) for the API from parsed options."""
    cluster, machines = getattr(args, "cluster", None), getattr(args, "machines", None)
    if not cluster and (machines or getattr(args, "spread", False)):
        raise UsageError("--machines and --spread choose machines of a cluster: add --cluster")
    options: dict[str, Any] = {"cluster": cluster, "machines": comma_list(machines)}
    if getattr(args, "spread", False):
        options["spread"] = True
    return options if cluster else {}


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

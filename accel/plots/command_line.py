"""What the figure-drawing commands share: where the runs come from, and the figure's file.

Runs come from a measurement now (:func:`accel.api.compare`, :func:`accel.api.sweep`) or, with
``--from-store`` or ``--from FILE``, from stored runs without measuring anything.
"""

from __future__ import annotations

import argparse
import sys

from .. import evidence
from ..errors import UsageError
from ..evidence import Machine
from ..record import RunRecord
from .roofline_plot import roof_from_report
from .style import check_figure_target


def stored(args: argparse.Namespace) -> bool:
    """Whether the command draws stored runs (``--from-store`` or ``--from FILE``)."""
    return bool(getattr(args, "from_store", False) or getattr(args, "from_file", None))


def check_plot(args: argparse.Namespace) -> None:
    """Refuse a bad ``--plot FILE`` (or missing matplotlib) before anything is measured."""
    if getattr(args, "plot", None):
        check_figure_target(args.plot)
    if getattr(args, "machine", None) and not stored(args):
        raise UsageError("--machine picks stored runs: use it with --from-store or --from FILE")


def local_machine() -> Machine:
    """This machine, with its hardware report as the probe gives it now."""
    from ..hardware import cached_probe
    from ..identity import machine_fingerprint

    return Machine(machine_fingerprint(), cached_probe().to_dict())


def _size_and_dtype(args: argparse.Namespace, kernel: str) -> tuple[int | None, str | None]:
    """The size and dtype asked for on the command line (None: the newest stored run's)."""
    from ..request import resolve_kernel, resolve_size

    size = getattr(args, "size", None)
    preset = getattr(args, "preset", None)
    dtype = getattr(args, "dtype", None)
    try:
        spec = resolve_kernel(kernel)
    except UsageError:
        return size, dtype  # a kernel only an export knows: take the values as given
    if size is not None or preset is not None:
        size, _ = resolve_size(spec, size, preset)
    return size, spec.resolve_dtype(dtype) if dtype else None


def stored_comparison(
    args: argparse.Namespace, kernel: str, backends: list[str] | None
) -> tuple[list[RunRecord], Machine]:
    """The latest stored run of each backend for ``kernel`` on one machine, and that machine."""
    return stored_comparisons(args, [kernel], backends)


def stored_comparisons(
    args: argparse.Namespace, kernels: list[str], backends: list[str] | None
) -> tuple[list[RunRecord], Machine]:
    """:func:`stored_comparison` for several kernels, all on one machine.

    The machine is ``--machine``, else that of the newest stored run of the first kernel.
    """
    records: list[RunRecord] = []
    with evidence.results(args.store, args.from_file) as store:
        machine = None
        for kernel in kernels:
            size, dtype = _size_and_dtype(args, kernel)
            if machine is None:
                machine = evidence.resolve_machine(
                    store, args.machine, kernel=kernel, size=size, dtype=dtype
                )
            records += evidence.comparison(
                store, machine, kernel, size=size, dtype=dtype, backends=backends
            )
    return records, machine


def several_machines(args: argparse.Namespace) -> bool:
    """Whether ``--machine`` names several machines (``all``, or a comma-separated list)."""
    return bool(getattr(args, "machine", None)) and (
        args.machine.strip() == "all" or "," in args.machine
    )


def stored_machines(
    args: argparse.Namespace, kernel: str, backends: list[str] | None
) -> tuple[list[RunRecord], list[Machine]]:
    """The latest stored run of each backend for ``kernel`` on each machine that
    ``--machine`` names (``all``: every machine with such runs), and those machines."""
    size, dtype = _size_and_dtype(args, kernel)
    with evidence.results(args.store, args.from_file) as store:
        if size is None:  # every machine at one size: the newest run's
            newest = store.runs(kernel=kernel, dtype=dtype, limit=1)
            size = newest[0].record.size if newest else None
        machines = evidence.resolve_machines(
            store, args.machine, kernel=kernel, size=size, dtype=dtype
        )
        records = [
            record
            for machine in machines
            for record in evidence.comparison(
                store, machine, kernel, size=size, dtype=dtype, backends=backends
            )
        ]
    return records, machines


def stored_sweep(
    args: argparse.Namespace, kernel: str, sizes: list[int] | None, backends: list[str] | None
) -> tuple[list[RunRecord], Machine]:
    """The latest stored run per backend and size for ``kernel`` on one machine."""
    _, dtype = _size_and_dtype(args, kernel)
    with evidence.results(args.store, args.from_file) as store:
        machine = evidence.resolve_machine(store, args.machine, kernel=kernel, dtype=dtype)
        records = evidence.sweep(
            store, machine, kernel, sizes=sizes, dtype=dtype, backends=backends
        )
    return records, machine


def with_roof(machine: Machine, *, measure: bool) -> Machine:
    """``machine``, measured now (``--measure-roof``) if its stored report has no roof.

    Measuring takes 10-20 s (STREAM bandwidth and NumPy matmul GFLOP/s) and is refused
    for another machine's runs: its roof must come from its own report.
    """
    if not measure or roof_from_report(machine.report) is not None:
        return machine
    from ..hardware import probe
    from ..identity import machine_fingerprint

    if machine.fingerprint != machine_fingerprint():
        raise UsageError(
            f"--measure-roof measures this machine, but the runs are machine "
            f"{machine.fingerprint}'s; its roof must come from its own report"
        )
    print(
        "measuring this machine's memory bandwidth and GFLOP/s for the roof (10-20 s)...",
        file=sys.stderr,
    )
    return Machine(machine.fingerprint, probe(measure=True).to_dict())


def announce(path: object) -> None:
    """Say where the figure went (stderr: stdout may be JSON)."""
    print(f"figure written to {path}", file=sys.stderr)

"""What a figure is drawn from: stored runs of ONE machine, and that machine's own report.

A figure never mixes machines. The machine is the one asked for (a fingerprint, its
beginning, or ``this``), else the machine of the newest stored run that matches. The
runs come from the results store, or from an ``accel export`` file read into a
temporary store (so a GPU machine's numbers can be drawn on a laptop without
touching the laptop's own store).

>>> with results(store=None, export_file="gpu-box.json") as store:     # doctest: +SKIP
...     machine = resolve_machine(store, None, kernel="julia")
...     records = comparison(store, machine, "julia")
"""

from __future__ import annotations

import inspect
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import __version__
from .backends import BACKEND_NAMES
from .errors import UsageError, choose
from .kernels import UnknownKernelError, Work, get_kernel, kernel_names
from .record import RunRecord
from .store import Store, StoredRun, StoreError, StoreOption, read_export, store_path


@dataclass(frozen=True)
class Machine:
    """The machine a set of runs was measured on: its fingerprint and stored hardware report."""

    fingerprint: str
    report: dict[str, Any] | None

    @property
    def name(self) -> str:
        """``Intel(R) Xeon(R) Processor, 2 CPUs, no GPU`` from the report, as far as it knows."""
        if not self.report:
            return "unknown machine (its hardware report is not stored)"
        cpu = self.report.get("cpu") or {}
        host = self.report.get("host") or {}
        cpus = host.get("usable_cpus") or cpu.get("logical_cores")
        parts = [cpu.get("model_name") or "unknown CPU"]
        if cpus:
            parts.append(f"{cpus} CPU{'s' if cpus != 1 else ''}")
        gpus = [d.get("name") or "GPU" for d in (self.report.get("gpu") or {}).get("devices", [])]
        parts.append(", ".join(gpus) if gpus else "no GPU")
        return ", ".join(parts)

    @property
    def short_name(self) -> str:
        """What a table calls the machine: its fleet label, else its fingerprint."""
        label = ((self.report or {}).get("host") or {}).get("label")
        return str(label) if label else (self.fingerprint or "unknown")

    def footer(self, records: Iterable[RunRecord]) -> str:
        """The line every figure carries: machine name, fingerprint, dates, accel version."""
        return (
            f"{self.name} · fingerprint {self.fingerprint or 'unknown'} · "
            f"measured {measured_dates(records)} · accel {__version__}"
        )


def machines_of(records: Iterable[RunRecord], store: StoreOption = None) -> list[Machine]:
    """The machines of ``records`` (in order of appearance), with their hardware reports
    from ``store`` where it keeps them (a table then calls each by its label)."""
    fingerprints = list(dict.fromkeys(r.machine for r in records))
    reports: dict[str, Any] = {}
    if store is not False:
        try:
            with Store(store_path(store), readonly=True) as kept:
                reports = {m["fingerprint"]: m["report"] for m in kept.machines(fingerprints)}
        except StoreError:  # names are a courtesy: fingerprints do
            reports = {}
    return [Machine(f, reports.get(f)) for f in fingerprints]


def measured_dates(records: Iterable[RunRecord]) -> str:
    """``2026-11-22``, or ``2026-11-20 to 2026-11-22`` where runs span several days."""
    days = sorted({r.started_at[:10] for r in records if r.started_at})
    if not days:
        return "on an unknown date"
    return days[0] if len(days) == 1 else f"{days[0]} to {days[-1]}"


@contextmanager
def results(store: str | None = None, export_file: str | None = None) -> Iterator[Store]:
    """The store to draw from, read-only: ``export_file`` (an ``accel export`` file) or the store.

    An export file is validated in full and loaded into a temporary store that is
    deleted afterwards; the user's store is not touched.
    """
    if export_file is None:
        path = store_path(store)
        if not path.exists():
            raise StoreError(
                f"no runs stored yet ({path} does not exist): measure first "
                "(accel compare / accel sweep), or draw from an export with --from FILE"
            )
        with Store(path, readonly=True) as opened:
            yield opened
        return
    document = read_export(export_file)
    with (
        tempfile.TemporaryDirectory(prefix="accel-from-") as folder,
        Store(Path(folder) / "imported.sqlite") as loaded,
    ):
        loaded.import_(document, source=export_file)
        yield loaded


def resolve_machine(store: Store, machine: str | None, **filters: Any) -> Machine:
    """The machine to draw: ``machine`` (fingerprint, its start, a fleet label, or 'this'),
    else the newest run's.

    ``filters`` (as :meth:`Store.runs` takes them) say which runs count; a machine with
    no such run is a UsageError naming the machines that have some.
    """
    if machine == "this":
        from .identity import machine_fingerprint

        machine = machine_fingerprint()
    elif machine:  # a fleet machine's label
        labels = {
            (m["report"].get("host") or {}).get("label"): m["fingerprint"]
            for m in store.machines()
            if isinstance(m["report"], dict)
        }
        machine = labels.get(machine, machine)
    newest = store.runs(machine=machine or None, limit=1, **filters)
    if not newest:
        what = ", ".join(f"{k} {v}" for k, v in filters.items() if v is not None) or "any kernel"
        stored = sorted({run.record.machine for run in store.runs(**filters)} - {""})
        where = f" on machine {machine}" if machine else ""
        hint = f"; machines with such runs: {', '.join(stored)}" if machine and stored else ""
        raise UsageError(f"no stored runs of {what}{where}{hint}")
    fingerprint = newest[0].record.machine
    reports = store.machines([fingerprint]) if fingerprint else []
    return Machine(fingerprint, reports[0]["report"] if reports else None)


def resolve_machines(store: Store, names: str, **filters: Any) -> list[Machine]:
    """Several machines to show side by side: ``all`` (every machine with such runs, in
    the order the store met them), or a comma-separated list of fingerprints (or their
    starts), labels or ``this``. A name with no such run is a UsageError."""
    if names.strip() == "all":
        with_runs = {run.record.machine for run in store.runs(**filters)} - {""}
        reports = {m["fingerprint"]: m["report"] for m in store.machines(with_runs)}
        ordered = [f for f in reports if f in with_runs] + sorted(with_runs - set(reports))
        if not ordered:
            what = ", ".join(f"{k} {v}" for k, v in filters.items() if v is not None)
            raise UsageError(f"no stored runs of {what or 'any kernel'} on any machine")
        return [Machine(f, reports.get(f)) for f in ordered]
    chosen = []
    for name in [n.strip() for n in names.split(",") if n.strip()]:
        machine = resolve_machine(store, name, **filters)
        if machine not in chosen:
            chosen.append(machine)
    return chosen


def _on(machine: Machine, runs: list[StoredRun]) -> list[StoredRun]:
    return [run for run in runs if run.record.machine == machine.fingerprint]


def _backend_names(backends: Iterable[str] | None) -> list[str] | None:
    """The backends asked for, each checked against the registry (None: every backend)."""
    if backends is None:
        return None
    names = list(backends)
    for name in names:
        if name not in BACKEND_NAMES:
            raise choose("backend", name, BACKEND_NAMES)
    return names


def _backend_order(backend: str) -> int:
    return BACKEND_NAMES.index(backend) if backend in BACKEND_NAMES else len(BACKEND_NAMES)


def comparison(
    store: Store,
    machine: Machine,
    kernel: str,
    *,
    size: int | None = None,
    dtype: str | None = None,
    backends: Iterable[str] | None = None,
) -> list[RunRecord]:
    """The stored counterpart of ``accel compare``: the latest run of each backend at one size.

    Size, dtype and thread count default to those of the newest matching run; records
    come back in backend order, as :func:`accel.compare` returns them.
    """
    names = _backend_names(backends)
    runs = _on(
        machine,
        store.runs(
            kernel=kernel,
            machine=machine.fingerprint or None,
            size=size,
            dtype=dtype,
            backend=names,
        ),
    )
    if not runs:
        at = f" at size {size}" if size is not None else ""
        raise UsageError(f"no stored runs of {kernel}{at} on machine {machine.fingerprint}")
    newest = runs[0].record
    latest: dict[str, RunRecord] = {}
    for run in runs:  # newest first
        r = run.record
        if (r.size, r.dtype, r.threads) == (newest.size, newest.dtype, newest.threads):
            latest.setdefault(r.label, r)
    return sorted(latest.values(), key=lambda r: (_backend_order(r.backend), r.variant))


def sweep(
    store: Store,
    machine: Machine,
    kernel: str,
    *,
    sizes: Iterable[int] | None = None,
    dtype: str | None = None,
    backends: Iterable[str] | None = None,
) -> list[RunRecord]:
    """The stored counterpart of ``accel sweep``: the latest run per backend and size.

    Dtype and thread count default to those of the newest matching run; ``sizes``
    keeps only those sizes. Records come back by size, then in backend order.
    """
    names = _backend_names(backends)
    wanted = set(sizes) if sizes is not None else None
    runs = _on(
        machine,
        store.runs(kernel=kernel, machine=machine.fingerprint or None, dtype=dtype, backend=names),
    )
    runs = [run for run in runs if wanted is None or run.record.size in wanted]
    if not runs:
        raise UsageError(f"no stored runs of {kernel} on machine {machine.fingerprint}")
    newest = runs[0].record
    latest: dict[tuple[str, int], RunRecord] = {}
    for run in runs:  # newest first
        r = run.record
        if (r.dtype, r.threads) == (newest.dtype, newest.threads):
            latest.setdefault((r.label, r.size), r)
    return sorted(latest.values(), key=lambda r: (r.size, _backend_order(r.backend), r.variant))


def kernels_on(store: Store, machine: Machine) -> list[str]:
    """Kernels with stored runs on ``machine``: the catalogue's order, then any others."""
    found = {run.record.kernel for run in _on(machine, store.runs(machine=machine.fingerprint))}
    known = [name for name in kernel_names() if name in found]
    return known + sorted(found - set(known))


def richest_size(records: Iterable[RunRecord]) -> int:
    """The size at which most backends ran ok (the largest such size): the one to compare at."""
    ok: dict[int, set[str]] = {}
    sizes = set()
    for r in records:
        sizes.add(r.size)
        if r.ok:
            ok.setdefault(r.size, set()).add(r.label)
    return max(sizes, key=lambda s: (len(ok.get(s, ())), s))


def work_of(record: RunRecord) -> Work | None:
    """Flops and bytes of one call of the record's kernel at its size; None if unknown here."""
    try:
        work = get_kernel(record.kernel).work
    except UnknownKernelError:
        return None
    accepted = inspect.signature(work).parameters
    options = {k: v for k, v in {**record.params, "dtype": record.dtype}.items() if k in accepted}
    return work(record.size, **options)

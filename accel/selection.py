"""Fastest-backend selection: the backend to use for a kernel at a size, on this machine.

>>> import accel
>>> julia = accel.fastest("julia", size=400)          # doctest: +SKIP
>>> counts = julia(zs, c, max_iter)                   # host arrays in, host arrays out
>>> julia.backend, julia.runner_up, len(julia.evidence)
('numba_cpu', 'numpy', 6)

The evidence is the results store. A stored run counts when it has the same key: this
machine's fingerprint, the kernel and its version, size, dtype, thread count, the
kernel's default parameters for that size, and the versions of accel, Python and the
backend's libraries; a change in any of them and it no longer counts. For each
candidate backend the latest run with that key decides (whatever its status: a
backend that failed or was unavailable stays out until ``refresh=True``), except that a
clean run is preferred: where the latest was disturbed (other work took its CPUs), the
latest undisturbed ok run stands in for it, and ``Selected.unclean`` names the
backends that had no clean run at all. A backend
with no such run at this size is estimated from stored runs on either side of it
(``accel sweep``: log-log interpolation between the nearest measured sizes), or else
measured in a fresh worker and stored. A call that finds what it needs only reads.

Ranking: end-to-end time (median kernel time plus host<->device transfers) by
default; median kernel time alone with ``data_on_device=True``. Compile time (the
first call) is not counted: the choice is for code that calls the kernel many times.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
import os
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from . import units
from .backends import BACKEND_NAMES, Backend, get_backend
from .errors import AccelError, UsageError, choose
from .identity import RunKey, key_versions, latest_by_size, machine_fingerprint
from .intervals import Interval
from .kernels import KernelDefinitionError, KernelSpec
from .kernels.own import Kernel
from .loop import measure
from .progress import watcher
from .record import RunRecord
from .request import make_request, resolve_kernel, resolve_size
from .store import Store, StoredRun, store_path
from .threads import usable_cpus

#: Seconds of timed repetitions per selection measurement (at least 5 are always taken).
SELECTION_MIN_TIME_S = 0.2


class NoBackendError(AccelError):
    """No candidate backend can run the kernel here; the message says why for each."""

    exit_code = 1


@dataclass(frozen=True)
class Estimate:
    """A candidate's time at the selected size and the stored runs it comes from.

    ``runs`` holds the one run measured at this size, or the two runs on either side
    that the time was interpolated between.
    """

    backend: str
    seconds: float
    runs: tuple[StoredRun, ...]

    @property
    def interpolated(self) -> bool:
        return len(self.runs) > 1

    @property
    def source(self) -> str:
        """Where the time comes from, in words: ``run 12`` or an interpolation."""
        if not self.interpolated:
            return f"run {self.runs[0].id}"
        low, high = self.runs
        return (
            f"interpolated between run {low.id} (size {low.record.size}) "
            f"and run {high.id} (size {high.record.size})"
        )


@dataclass(frozen=True)
class Crossover:
    """Where the fastest backend changes between two measured sizes of a sweep.

    ``size`` is where the two backends' log-log lines cross (None where one of them
    was not measured at both ends). ``clear`` is True only where the two backends'
    95% intervals separate on both sides: ``below`` clearly faster at ``low`` and
    ``above`` clearly faster at ``high``; otherwise the sweep cannot tell them apart
    there and says "no clear winner". ``at_low`` and ``at_high`` hold the intervals
    (below's, above's) at the two sizes.
    """

    low: int
    high: int
    below: str
    above: str
    size: float | None
    clear: bool = True
    at_low: tuple[Interval, Interval] | None = None
    at_high: tuple[Interval, Interval] | None = None

    def describe(self) -> str:
        """``numpy -> numba_cpu near size 181 (between 128 and 256)``, or no clear winner."""
        near = f"near size {self.size:.0f} " if self.size is not None else ""
        if not self.clear:
            return (
                f"no clear winner between {self.below} and {self.above} "
                f"{near}(between {self.low} and {self.high}: their intervals overlap)"
            )
        return f"{self.below} -> {self.above} {near}(between {self.low} and {self.high})"

    def intervals(self) -> str:
        """The four intervals behind the verdict, for a report."""

        def pair(size: int, found: tuple[Interval, Interval] | None) -> str:
            if found is None:
                return f"at {size}: not measured on both"
            return f"at {size}: {self.below} {_span(found[0])}, {self.above} {_span(found[1])}"

        return f"{pair(self.low, self.at_low)}; {pair(self.high, self.at_high)}"


def _span(interval: Interval) -> str:
    return f"{units.seconds(interval.low)}..{units.seconds(interval.high)}"


@dataclass(frozen=True)
class _Query:
    """What a stored run must match to count as evidence here, now: a run key per backend.

    The keys leave size open (a sweep's curve), ask for the kernel's own parameters at
    each size, and take any seed (inputs drawn with another seed time the same).
    """

    kernel: KernelSpec
    dtype: str
    threads: int
    backends: tuple[str, ...]
    keys: dict[str, RunKey]
    not_applicable: dict[str, str]


def _query(kernel: str | KernelSpec, dtype: str | None, backends: Iterable[str] | None) -> _Query:
    spec = resolve_kernel(kernel)
    dtype = spec.resolve_dtype(dtype or spec.default_dtype)
    if dtype not in spec.dtypes:
        raise choose(f"dtype for {spec.name}", dtype, [*spec.dtypes, *spec.dtype_aliases])
    if backends is None and isinstance(spec, Kernel):  # a user's kernel: the backends it names
        backends = [name for name in BACKEND_NAMES if name in spec.implementations]
    names = list(BACKEND_NAMES) if backends is None else list(dict.fromkeys(backends))
    if not names:
        raise UsageError("backends must name at least one backend")
    for name in names:
        if name not in BACKEND_NAMES:
            raise choose("backend", name, BACKEND_NAMES)
    runnable = tuple(n for n in names if n in spec.implementations)
    not_applicable = {
        n: spec.not_applicable.get(n, f"{spec.name} has no {n} implementation")
        for n in names
        if n not in spec.implementations
    }
    machine, threads = machine_fingerprint(), usable_cpus()
    keys = {
        n: RunKey(
            machine=machine,
            kernel=spec.name,
            kernel_version=spec.version_for(n),
            backend=n,
            dtype=dtype,
            threads=threads,
            versions=key_versions(n),
        )
        for n in runnable
    }
    return _Query(spec, dtype, threads, runnable, keys, not_applicable)


def _stored(
    path: os.PathLike[str], query: _Query, size: int | None
) -> dict[tuple[str, int], StoredRun]:
    """The latest matching run per (backend, size): at ``size``, or at every size if None."""
    if not query.backends or not os.path.exists(path):
        return {}
    latest: dict[tuple[str, int], StoredRun] = {}
    with Store(path, readonly=True) as store:
        for backend in query.backends:
            key = dataclasses.replace(query.keys[backend], size=size)
            for at, run in latest_by_size(store, key, prefer_clean=True).items():
                latest[(backend, at)] = run
    return latest


def _seconds(record: RunRecord, data_on_device: bool) -> float | None:
    return record.median_s if data_on_device else record.end_to_end_s


#: One backend's ok runs by size, each with its interval: the points a sweep measured.
Curve = dict[int, tuple[StoredRun, Interval]]


def _curves(latest: dict[tuple[str, int], StoredRun], data_on_device: bool) -> dict[str, Curve]:
    curves: dict[str, Curve] = {}
    for (backend, size), run in latest.items():
        interval = run.record.interval(end_to_end=not data_on_device)
        if run.record.ok and interval is not None and interval.median:
            curves.setdefault(backend, {})[size] = (run, interval)
    return curves


def _log_lerp(x0: float, y0: float, x1: float, y1: float, x: float) -> float:
    """y at x on the straight line through (x0, y0) and (x1, y1) on log-log axes."""
    fraction = (math.log(x) - math.log(x0)) / (math.log(x1) - math.log(x0))
    return math.exp(math.log(y0) + fraction * (math.log(y1) - math.log(y0)))


def _interval_at(curve: Curve, size: int) -> tuple[Interval, tuple[StoredRun, ...]] | None:
    """The interval at ``size``: measured there, or each bound interpolated on log-log
    axes between the nearest measured sizes either side; None outside the range."""
    if size in curve:
        run, interval = curve[size]
        return interval, (run,)
    below = [s for s in curve if s < size]
    above = [s for s in curve if s > size]
    if not below or not above:
        return None
    (low_run, low), (high_run, high) = curve[max(below)], curve[min(above)]
    x0, x1 = low_run.record.size, high_run.record.size

    def lerp(a: float, b: float) -> float:
        return _log_lerp(x0, a, x1, b, size) if a > 0 and b > 0 else a + (b - a) * 0.5

    return (
        Interval(
            lerp(low.median, high.median),
            lerp(low.low, high.low),
            lerp(low.high, high.high),
            min(low.confidence, high.confidence),
        ),
        (low_run, high_run),
    )


def _estimate(backend: str, curve: Curve, size: int) -> Estimate | None:
    """The backend's time at ``size``: measured there, or interpolated between the
    nearest measured sizes either side; None outside the measured range."""
    found = _interval_at(curve, size)
    if found is None:
        return None
    interval, runs = found
    return Estimate(backend, interval.median, runs)


def _measure(
    path: os.PathLike[str],
    query: _Query,
    size: int,
    backends: Sequence[str],
    budget_s: float | None,
) -> tuple[dict[str, StoredRun], dict[str, str]]:
    """Measure ``backends`` at ``size`` in workers, store every outcome; (runs, skipped).

    Through the measurement loop with ``budget_s``: each backend still to measure gets
    an equal share of what is left; one that does not finish in its share is skipped
    (and not stored), as are those left when the budget is spent.
    """
    requests = [
        make_request(
            query.kernel.name,
            b,
            size=size,
            dtype=query.dtype,
            threads=query.threads,
            min_time=SELECTION_MIN_TIME_S,
        )
        for b in backends
    ]
    skipped: dict[str, str] = {}
    done = {
        record.backend
        for record in measure(
            requests,
            store=path,
            budget_s=budget_s,
            resumable=False,  # a second fastest() reads what this one stored
            on_skip=lambda request, why: skipped.__setitem__(request.backend, why),
            progress=watcher(None, len(requests)),
        )
    }
    narrowed = dataclasses.replace(query, backends=tuple(b for b in backends if b in done))
    return {b: run for (b, _), run in _stored(path, narrowed, size).items()}, skipped


def _parameter_names(kernel: KernelSpec, backend: str) -> list[str]:
    compute = kernel.implementation(backend).compute
    return list(inspect.signature(compute).parameters)


class Selected:
    """A kernel bound to the backend that is fastest here: call it as the kernel is called.

    ``selected(*inputs, **inputs)`` takes host data (NumPy arrays, scalars) and returns
    host data; with ``data_on_device=True`` it takes and returns the backend's own
    (device) data as its implementation does. The backend is loaded at the first call.

    Attributes: ``backend`` and ``runner_up`` (names), ``ranking`` (Estimates, fastest
    first), ``evidence`` (the run records behind the ranking), ``excluded`` (backend ->
    why it cannot be chosen), ``measured`` (backends this call had to measure).
    """

    def __init__(
        self,
        kernel: KernelSpec,
        size: int,
        dtype: str,
        threads: int,
        ranking: list[Estimate],
        excluded: dict[str, str],
        measured: list[str],
        data_on_device: bool,
    ) -> None:
        self.kernel = kernel
        self.size = size
        self.dtype = dtype
        self.threads = threads
        self.ranking = ranking
        self.excluded = excluded
        self.measured = measured
        self.data_on_device = data_on_device
        self._call: Callable[..., Any] = self._bind_and_call
        self._release: weakref.finalize | None = None

    @property
    def backend(self) -> str:
        return self.ranking[0].backend

    @property
    def runner_up(self) -> str | None:
        return self.ranking[1].backend if len(self.ranking) > 1 else None

    @property
    def evidence(self) -> list[RunRecord]:
        return [run.record for estimate in self.ranking for run in estimate.runs]

    @property
    def unclean(self) -> dict[str, str]:
        """Backend -> why its evidence is not clean (a disturbed run, with the measured
        reason); empty where every run behind the ranking ran undisturbed."""
        found: dict[str, str] = {}
        for estimate in self.ranking:
            for run in estimate.runs:
                if run.record.disturbed:
                    found.setdefault(
                        estimate.backend, f"run {run.id} disturbed: {run.record.disturbed}"
                    )
        return found

    @property
    def evidence_note(self) -> str:
        """One line: the evidence was clean, or which backends had no clean run."""
        unclean = self.unclean
        if not unclean:
            return "evidence: every run behind the ranking ran undisturbed"
        return (
            f"no clean evidence for {', '.join(unclean)} (only disturbed runs): "
            "measure again on a quieter machine with refresh=True (--refresh)"
        )

    @property
    def metric(self) -> str:
        return "median kernel time" if self.data_on_device else "end-to-end time"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._call(*args, **kwargs)

    def _bind_and_call(self, *args: Any, **kwargs: Any) -> Any:
        self._call = self._bind()
        return self._call(*args, **kwargs)

    def _bind(self) -> Callable[..., Any]:
        """The fastest call this backend allows: its compute itself where nothing moves."""
        backend = type(get_backend(self.backend))()  # its own instance (a PyPy process)
        availability = backend.available()
        if not availability:
            raise AccelError(
                f"{self.backend} was chosen from stored runs but cannot run now: "
                f"{availability.reason}; call fastest(..., refresh=True)"
            )
        backend.configure(self.threads)
        compute = backend.load(self.kernel)
        self._release = weakref.finalize(self, backend.close)
        kind = type(backend)
        runs_in_place = kind.bind is Backend.bind
        if runs_in_place and (
            self.data_on_device
            or (kind.to_device is Backend.to_device and kind.from_device is Backend.from_device)
        ):
            return compute
        names = _parameter_names(self.kernel, self.backend)
        bind, to_device, from_device = backend.bind, backend.to_device, backend.from_device

        def named(args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
            if len(args) > len(names):
                raise TypeError(f"{self.kernel.name} takes the inputs {', '.join(names)}")
            return {**dict(zip(names, args, strict=False)), **kwargs}

        if self.data_on_device:
            return lambda *args, **kwargs: bind(compute, named(args, kwargs))()
        return lambda *args, **kwargs: from_device(bind(compute, to_device(named(args, kwargs)))())

    def close(self) -> None:
        """Release what the backend holds (a PyPy process, device memory); rebinds on next call."""
        if self._release is not None:
            self._release()
            self._release = None
        self._call = self._bind_and_call

    def _repr_html_(self) -> str:
        """The choice and its evidence as a table, as a notebook shows it."""
        from .html import html

        best = self.ranking[0]
        rows = [
            [
                e.backend,
                units.seconds(e.seconds),
                f"{e.seconds / best.seconds:.2f}x",
                e.source,
            ]
            for e in self.ranking
        ]
        rows += [[backend, "-", "-", why] for backend, why in self.excluded.items()]
        caption = (
            f"{self.kernel.name} at size {self.size}, {self.dtype}, {self.threads} threads: "
            f"fastest here: {best.backend} (ranked by {self.metric})"
        )
        headers = ["backend", "time", "vs choice", "evidence"]
        measured = f"measured now: {', '.join(self.measured)}" if self.measured else ""
        notes = [measured or "all from stored runs: nothing measured"]
        return html(headers, rows, caption=caption, notes=notes, align_left=True)

    def __repr__(self) -> str:
        best = self.ranking[0]
        return (
            f"<Selected {self.kernel.name} size={self.size} {self.dtype}: {best.backend} "
            f"({best.seconds:.3g} s {self.metric}), runner-up {self.runner_up}>"
        )


def fastest(
    kernel: str | KernelSpec,
    size: int | None = None,
    *,
    dtype: str | None = None,
    backends: Iterable[str] | None = None,
    data_on_device: bool = False,
    budget_s: float | None = None,
    refresh: bool = False,
    store: Store | str | os.PathLike[str] | None = None,
    **data: Any,
) -> Selected:
    """The backend that runs ``kernel`` at ``size`` fastest here, bound and ready to call.

    Reads the store (default: the user's); measures what is missing in worker
    processes and stores it. ``backends`` limits the candidates (default: every
    backend the kernel has); ``budget_s`` bounds the seconds spent measuring
    (backends that do not fit are skipped, and ``excluded`` says so); ``refresh``
    measures every candidate anew. Raises :class:`NoBackendError` when no candidate
    works, with the reason for each.

    Instead of ``size``, give your own inputs by name (``fastest(movavg, x=my_array,
    w=16)``, for a kernel defined with :class:`accel.Kernel`): the size is taken from
    them, and inputs made at that size must be like them (names, dtypes, shapes,
    scalar values), so that what is measured stands for your data.
    """
    if data:
        if size is not None:
            raise UsageError("give either size or your inputs (by name), not both")
        spec = resolve_kernel(kernel)
        if not hasattr(spec, "size_for"):
            raise UsageError(
                f"fastest() got unexpected keywords {', '.join(sorted(data))}: inputs by name "
                "are for kernels defined with accel.Kernel; give size= for catalogue kernels"
            )
        try:
            size = spec.size_for(data)
        except KernelDefinitionError as exc:
            raise UsageError(str(exc)) from None
        if dtype is None:
            dtype = spec.default_dtype
    elif size is None:
        raise UsageError("fastest() needs a size, or your inputs by name")
    query = _query(kernel, dtype, backends)
    size, _ = resolve_size(query.kernel, size, None)
    if budget_s is not None and not budget_s >= 0:
        raise UsageError(f"budget_s must be seconds >= 0, got {budget_s!r}")
    path = store_path(store)
    exact = {} if refresh else {b: run for (b, _), run in _stored(path, query, size).items()}
    missing = [b for b in query.backends if b not in exact]
    estimates: dict[str, Estimate] = {}
    if missing and not refresh:
        curves = _curves(
            _stored(path, dataclasses.replace(query, backends=tuple(missing)), None), data_on_device
        )
        for backend in missing:
            found = _estimate(backend, curves.get(backend, {}), size)
            if found is not None:
                estimates[backend] = found
        missing = [b for b in missing if b not in estimates]
    skipped: dict[str, str] = {}
    measured: dict[str, StoredRun] = {}
    if missing:
        measured, skipped = _measure(path, query, size, missing, budget_s)
        exact.update(measured)
    excluded = dict(query.not_applicable)
    for backend, run in exact.items():
        seconds = _seconds(run.record, data_on_device)
        if run.record.ok and seconds is not None:
            estimates[backend] = Estimate(backend, seconds, (run,))
        else:
            excluded[backend] = (
                f"{run.record.status}: {run.record.reason or 'no timing'} (run {run.id})"
            )
    excluded.update(skipped)
    if not estimates:
        why = "; ".join(f"{b}: {reason}" for b, reason in excluded.items())
        raise NoBackendError(
            f"no backend can run {query.kernel.name} at size {size} ({query.dtype}) here: {why}"
        )
    order = {b: i for i, b in enumerate(query.backends)}
    ranking = sorted(estimates.values(), key=lambda e: (e.seconds, order[e.backend]))
    return Selected(
        query.kernel,
        size,
        query.dtype,
        query.threads,
        ranking,
        excluded,
        [b for b, run in measured.items() if run.record.status != "unavailable"],
        data_on_device,
    )


def crossovers(
    kernel: str,
    *,
    dtype: str | None = None,
    backends: Iterable[str] | None = None,
    data_on_device: bool = False,
    store: Store | str | os.PathLike[str] | None = None,
) -> list[Crossover]:
    """Sizes where the fastest backend changes, from the runs stored for this machine.

    At every stored size the winner is the backend with the least time (measured
    there or interpolated between its neighbours); where it changes between two
    sizes, the crossing of the two backends' log-log lines estimates the size.
    """
    query = _query(kernel, dtype, backends)
    curves = _curves(_stored(store_path(store), query, None), data_on_device)
    return _crossovers(curves)


def crossovers_among(records: Iterable[RunRecord], *, data_on_device: bool) -> list[Crossover]:
    """Where the fastest backend changes across the sizes of ``records`` (one per backend and size).

    The same estimate as :func:`crossovers`, but over exactly these records: any
    machine's, just measured or stored (figures and ``accel sweep`` use it).
    """
    latest = {(r.label, r.size): StoredRun(0, "", r.started_at, r) for r in records}
    return _crossovers(_curves(latest, data_on_device))


def _crossovers(curves: dict[str, Curve]) -> list[Crossover]:
    def at(backend: str, size: int) -> Interval | None:
        found = _interval_at(curves[backend], size)
        return None if found is None else found[0]

    winners = []
    for size in sorted({s for curve in curves.values() for s in curve}):
        timed = [(i.median, b) for b in curves if (i := at(b, size)) is not None]
        winners.append((size, min(timed)[1]))
    found = []
    for (low, below), (high, above) in pairwise(winners):
        if below == above:
            continue
        ends = [at(below, low), at(above, low), at(below, high), at(above, high)]
        crossing, clear, at_low, at_high = None, False, None, None
        if None not in ends:
            b_low, a_low, b_high, a_high = ends
            at_low, at_high = (b_low, a_low), (b_high, a_high)
            clear = b_low.below(a_low) and a_high.below(b_high)
            gap_low = math.log(b_low.median / a_low.median)  # <= 0: `below` wins at low
            gap_high = math.log(b_high.median / a_high.median)  # >= 0: `above` wins at high
            if gap_high != gap_low:
                fraction = gap_low / (gap_low - gap_high)
                crossing = math.exp(math.log(low) + fraction * (math.log(high) - math.log(low)))
        found.append(Crossover(low, high, below, above, crossing, clear, at_low, at_high))
    return found

"""What users call: measure one run, compare backends, sweep sizes, pick the fastest.

Each entry point builds checked requests (:mod:`accel.request`) and drives the one
measurement loop (:mod:`accel.loop`); choosing the fastest backend is
:mod:`accel.selection`'s. The keyword options of :func:`run`, :func:`compare` and
:func:`sweep` are the run options of :class:`accel.request.RunRequest` (``size`` or
``preset``, ``dtype``, ``threads``, ``repeats``, ``min_time``, ``seed``, ``params``,
``timeout``, ``pinned``, ``counters``, ``counter_source``, ``events``, ``memory_limit``,
and ``variant``: a named variant of the backend's implementation, which :func:`compare`
and :func:`sweep` measure beside the backend's own).

>>> import accel
>>> record = accel.run("julia", "numpy", preset="S")      # doctest: +SKIP
>>> record.status, record.median_s                          # doctest: +SKIP
('ok', 0.0076)
>>> records = accel.sweep("julia", [100, 200], ["numpy", "numba_cpu"])  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from .backends import BACKEND_NAMES, get_backend
from .comparison import Comparison
from .errors import UsageError
from .kernels import KernelSpec
from .kernels.own import Kernel
from .loop import measure, measure_one
from .progress import watcher
from .record import RunRecord
from .request import jobs_for, make_request, requests_for, resolve_kernel
from .selection import fastest
from .store import StoreOption

__all__ = ["compare", "fastest", "run", "sweep"]


def run(
    kernel: str | KernelSpec, backend: str, *, store: StoreOption = None, **options: Any
) -> RunRecord:
    """Measure ``kernel`` on ``backend`` in a fresh process and return its run record.

    ``options`` are the run options (see the module); counters are off unless asked
    for. Bad arguments raise :class:`accel.UsageError`; everything that happens in
    the run is in the record. The record is stored in ``store`` (a path or Store;
    None: the default store; False: not stored).
    """
    return measure_one(make_request(kernel, backend, **options), store=store)


def compare(
    kernel: str | KernelSpec,
    backends: Iterable[str] | None = None,
    *,
    store: StoreOption = None,
    resume: bool = False,
    progress: bool | None = None,
    cluster: Any = None,
    machines: Sequence[str] | None = None,
    **options: Any,
) -> Comparison:
    """Run ``kernel`` on every backend (or those named), one fresh process each.

    Unavailable backends are included as records with status ``unavailable`` and
    the reason. Records come back in backend order; sort them as you need. Counters
    are on unless ``counters=False``: by perf unless ``counters=True`` or a
    ``counter_source`` asks for more (``auto``: valgrind's cache simulator where perf
    counts no hardware event; each record says why where nothing counts). GPU backends
    are counted only when asked (``counters=True``, ``events`` or ``counter_source``):
    their counts are the host thread's.
    Each record is stored in ``store`` as it arrives (as :func:`run` does), so a
    comparison stopped by Ctrl-C or SIGTERM (:class:`accel.errors.Interrupted`) keeps
    what finished; ``resume=True`` then takes those from the store instead of
    measuring them again. ``progress``: True shows it on stderr, False never, None
    (the default) where someone watches: a terminal, or the notebook cell that runs it.
    The records come as a :class:`~accel.comparison.Comparison`: a list that a notebook
    shows as a table, with ``to_pandas()`` and ``plot()``. A kernel defined with
    :class:`accel.Kernel` runs on the backends it names unless ``backends`` says otherwise.
    ``cluster`` (a Dask scheduler address or a ``distributed.Client``) runs the comparison
    on every machine of the cluster (``machines``: those named), one measurement at a
    time per machine (:mod:`accel.fleet`); records then come back as they finish.
    """
    return sweep(
        kernel,
        [None],
        backends,
        store=store,
        resume=resume,
        progress=progress,
        cluster=cluster,
        machines=machines,
        **options,
    )


def sweep(
    kernel: str | KernelSpec,
    sizes: Sequence[int | None],
    backends: Iterable[str] | None = None,
    *,
    store: StoreOption = None,
    resume: bool = False,
    progress: bool | None = None,
    cluster: Any = None,
    machines: Sequence[str] | None = None,
    spread: bool = False,
    **options: Any,
) -> Comparison:
    """:func:`compare` at every size of ``sizes`` (size-major; None: the size in ``options``).

    Every request is checked before the first run starts, so a bad name or size
    fails at once. The records are stored for selection (:func:`fastest` interpolates
    between a sweep's sizes). ``cluster`` and ``machines`` as for :func:`compare`;
    ``spread=True`` measures each size on one machine of each group of machines of the
    same hardware instead of on all of them, so a sweep on identical nodes ends sooner.
    """
    asked = options.pop("counters", None)
    if asked is None and options.get("counter_source") is None:
        # Counted by default only where it is free: perf. The cache simulator (a second,
        # slower run per backend) when asked for: counters=True or a counter_source.
        options["counter_source"] = "perf"
        asked = True if options.get("events") is not None else None
    elif asked is None:  # a counter_source named: counters asked for
        asked = True
    # A backend named twice is measured once (and shown and stored once).
    names = own_backends(kernel) if backends is None else list(dict.fromkeys(backends))

    def per_backend(name: str) -> dict[str, Any]:
        return {"counters": counters_by_default(name, asked)}

    runner = None
    if cluster is None:
        if machines is not None or spread:
            raise UsageError("machines and spread choose machines of a cluster: name a cluster")
        requests = requests_for(kernel, names, sizes, per_backend=per_backend, **options)
    else:
        from .fleet import on_cluster

        jobs = jobs_for(kernel, names, sizes, per_backend, **options)
        requests, runner = on_cluster(cluster, machines, jobs, spread)
    shown = watcher(progress, len(requests))
    return Comparison(measure(requests, store=store, resume=resume, progress=shown, runner=runner))


def counters_by_default(backend: str, asked: bool | None) -> bool:
    """Whether a comparison counts ``backend``'s timed repetitions with perf.

    As asked where asked; by default on for CPU backends and off for GPU ones, where perf
    would count the host thread that launches kernels and spins waiting for the GPU.
    """
    if asked is not None:
        return asked  # a value that is not True/False is the request's to refuse
    return get_backend(backend).device != "cuda"


def own_backends(kernel: str | KernelSpec) -> list[str] | None:
    """The backends a kernel defined with accel.Kernel names (in table order); None (every
    backend) for the catalogue's, which have all."""
    spec = resolve_kernel(kernel)
    if not isinstance(spec, Kernel):
        return None
    return [name for name in BACKEND_NAMES if name in spec.implementations]

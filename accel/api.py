"""What users call: measure one run, compare backends, sweep sizes, pick the fastest.

Each entry point builds checked requests (:mod:`accel.request`) and drives the one
measurement loop (:mod:`accel.loop`); choosing the fastest backend is
:mod:`accel.selection`'s. The keyword options of :func:`run`, :func:`compare` and
:func:`sweep` are the run options of :class:`accel.request.RunRequest` (``size`` or
``preset``, ``dtype``, ``threads``, ``repeats``, ``min_time``, ``seed``, ``params``,
``timeout``, ``pinned``, ``counters``, ``counter_source``, ``events``, ``memory_limit``).

>>> import accel
>>> record = accel.run("julia", "numpy", preset="S")      # doctest: +SKIP
>>> record.status, record.median_s                          # doctest: +SKIP
('ok', 0.0076)
>>> records = accel.sweep("julia", [100, 200], ["numpy", "numba_cpu"])  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from .backends import get_backend
from .loop import Watcher, measure, measure_one
from .record import RunRecord
from .request import make_request, requests_for
from .selection import fastest
from .store import StoreOption

__all__ = ["compare", "fastest", "run", "sweep"]


def run(kernel: str, backend: str, *, store: StoreOption = None, **options: Any) -> RunRecord:
    """Measure ``kernel`` on ``backend`` in a fresh process and return its run record.

    ``options`` are the run options (see the module); counters are off unless asked
    for. Bad arguments raise :class:`accel.UsageError`; everything that happens in
    the run is in the record. The record is stored in ``store`` (a path or Store;
    None: the default store; False: not stored).
    """
    return measure_one(make_request(kernel, backend, **options), store=store)


def compare(
    kernel: str,
    backends: Iterable[str] | None = None,
    *,
    store: StoreOption = None,
    resume: bool = False,
    progress: bool | None = False,
    **options: Any,
) -> list[RunRecord]:
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
    measuring them again. ``progress``: True shows it on stderr, None only where
    stderr is a terminal.
    """
    return sweep(kernel, [None], backends, store=store, resume=resume, progress=progress, **options)


def sweep(
    kernel: str,
    sizes: Sequence[int | None],
    backends: Iterable[str] | None = None,
    *,
    store: StoreOption = None,
    resume: bool = False,
    progress: bool | None = False,
    **options: Any,
) -> list[RunRecord]:
    """:func:`compare` at every size of ``sizes`` (size-major; None: the size in ``options``).

    Every request is checked before the first run starts, so a bad name or size
    fails at once. The records are stored for selection (:func:`fastest` interpolates
    between a sweep's sizes).
    """
    asked = options.pop("counters", None)
    if asked is None and options.get("counter_source") is None:
        # Counted by default only where it is free: perf. The cache simulator (a second,
        # slower run per backend) when asked for: counters=True or a counter_source.
        options["counter_source"] = "perf"
        asked = True if options.get("events") is not None else None
    elif asked is None:  # a counter_source named: counters asked for
        asked = True
    names = None if backends is None else list(backends)
    requests = requests_for(
        kernel,
        names,
        sizes,
        per_backend=lambda name: {"counters": counters_by_default(name, asked)},
        **options,
    )
    return list(
        measure(requests, store=store, resume=resume, progress=_watcher(progress, len(requests)))
    )


def counters_by_default(backend: str, asked: bool | None) -> bool:
    """Whether a comparison counts ``backend``'s timed repetitions with perf.

    As asked where asked; by default on for CPU backends and off for GPU ones, where perf
    would count the host thread that launches kernels and spins waiting for the GPU.
    """
    if asked is not None:
        return bool(asked)
    return get_backend(backend).device != "cuda"


def _watcher(progress: bool | None, total: int) -> Watcher | None:
    """Progress on stderr: always (True), where stderr is a terminal (None), or none."""
    if progress is False:
        return None
    from .progress import Progress, wanted

    return Progress(total, enabled=wanted(bool(progress)))

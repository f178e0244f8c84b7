"""The measurement loop: requests in, records out, one at a time, each stored as it arrives.

Every command that measures more than one run goes through :func:`measure`:
``accel compare``, ``sweep``, ``counters``, ``roofline``, ``accel.fastest`` and the
benchmarks. What differs between them is an argument:

* ``store``: where each record goes the moment it exists (None: the default store;
  False: nowhere), so Ctrl-C loses nothing that finished;
* ``resume``: a request whose latest stored run (same run key, :mod:`accel.identity`)
  finished is not measured again; that record comes back instead;
* ``budget_s``: seconds the whole loop may take; each request still to run gets an
  equal share of what is left as its timeout, and one that does not finish in it (or
  finds no share worth starting) is skipped, told to ``on_skip`` and not stored;
* ``progress``: told when each run starts and ends (:class:`accel.progress.Progress`);
* ``run``: what turns one request into one record (default: a fresh supervised
  worker, :func:`accel.execute.execute`). A new way to run requests (another
  machine, another tool) plugs in here rather than as another loop;
* ``runner``: a :class:`Runner` that runs many requests at once elsewhere (the
  machines of a Dask cluster, :mod:`accel.fleet`) and hands records back as they
  finish, in any order; its run keys (made by the machines that run them) decide
  resume, and its machines' hardware reports go to the store with their first record.

Ctrl-C or SIGTERM inside the loop becomes :class:`Interrupted`, counting the runs
that finished out of all of them.

>>> from accel.request import requests_for
>>> for record in measure(requests_for("julia", ["numpy", "numba_cpu"])):  # doctest: +SKIP
...     print(record.backend, record.status)
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Protocol

from .errors import Interrupted, UsageError
from .execute import execute
from .identity import RunKey, machine_fingerprint, machine_report, matching_runs
from .record import RunRecord
from .recovery import guarded
from .request import RunRequest
from .store import Store, StoreOption, store_path

__all__ = [
    "DONE_STATUSES",
    "Interrupted",
    "Watcher",
    "measure",
    "measure_one",
    "saver",
    "stored_outcome",
]

#: Statuses of a stored run that ``resume`` does not repeat: the measurement finished.
#: failed, timeout and unavailable runs are repeated (a driver installed, a longer timeout).
DONE_STATUSES = ("ok", "invalid")
#: A share of the budget smaller than this is not worth starting a worker for.
SMALLEST_SHARE_S = 0.05


class Runner(Protocol):
    """Runs requests elsewhere, several at once (see the module's ``runner``)."""

    def keys(self) -> list[RunKey]:
        """The run key of each request, in request order."""
        ...

    def reports(self) -> dict[str, dict]:
        """The hardware report of each machine that runs requests, by fingerprint."""
        ...

    def __call__(self, indices: Sequence[int]) -> Iterator[tuple[int, RunRecord]]:
        """Run the requests at ``indices``; yield ``(index, record)`` as each finishes."""
        ...


class Watcher(Protocol):
    """What the loop tells about progress (``accel.progress.Progress`` is one)."""

    def start(self, kernel: str, backend: str, size: int) -> None: ...

    def finish(self, record: RunRecord) -> None: ...

    def close(self) -> None: ...


def stored_outcome(store: Store, request: RunRequest | RunKey) -> RunRecord | None:
    """The stored run that ``request`` would repeat, if the latest such run finished.

    The same run is the request's run key (:meth:`RunRequest.key`, or a key made by
    the machine that runs it). Only a latest run with a status in ``DONE_STATUSES``
    counts.
    """
    key = request if isinstance(request, RunKey) else request.key()
    for run in matching_runs(store, key):  # newest first
        return run.record if run.record.status in DONE_STATUSES else None
    return None


def saver(
    store: StoreOption, reports: dict[str, dict] | None = None
) -> Callable[[RunRecord], RunRecord]:
    """A function that stores a record in ``store`` and returns it (``False``: stores nothing).

    The store is opened and checked now, so a bad store file fails before any
    measurement rather than after it. A record brings its machine's hardware report
    with it the first time the store meets the machine: this machine's, or one of
    ``reports`` (by fingerprint: the machines of a cluster). A record the store then
    refuses (its lock held too long, its disk full) is kept in a recovery file that
    the error names (:func:`accel.recovery.guarded`).
    """
    if store is False:
        return lambda record: record
    path = store_path(store)
    Store(path).close()

    def save(record: RunRecord) -> RunRecord:
        with Store(path) as target:
            new = {}
            if record.machine and not target.knows_machine(record.machine):
                if record.machine in (reports or {}):
                    new[record.machine] = reports[record.machine]
                elif record.machine == machine_fingerprint():
                    new[record.machine] = machine_report()
            target.add_run(record, machine_reports=new)
        return record

    return guarded(save, path)


def measure_one(request: RunRequest, *, store: StoreOption = None) -> RunRecord:
    """One request -> one record, stored in ``store`` (``accel run``: no resume or budget)."""
    return saver(store)(execute(request))


def measure(
    requests: Sequence[RunRequest],
    *,
    store: StoreOption = None,
    resume: bool = False,
    budget_s: float | None = None,
    progress: Watcher | None = None,
    on_skip: Callable[[RunRequest, str], None] | None = None,
    run: Callable[[RunRequest], RunRecord] | None = None,
    runner: Runner | None = None,
    resumable: bool = True,
) -> Iterator[RunRecord]:
    """Turn ``requests`` into records in order, storing each as it comes (see the module).

    ``resumable``: the caller can take up where an interruption left it (``--resume``),
    so :class:`Interrupted` says so where something was stored.
    """
    if resume and store is False:
        raise UsageError("resume takes finished runs from the store: it cannot go with no store")
    if runner is not None and budget_s is not None:
        raise UsageError("a time budget is for runs on this machine, not on a cluster")
    save = saver(store, runner.reports() if runner is not None else None)
    stored: list[RunRecord | None] = [None] * len(requests)
    if resume:
        keys = runner.keys() if runner is not None else list(requests)
        with Store(store_path(store), readonly=True) as past:
            stored = [stored_outcome(past, key) for key in keys]
    if runner is not None:
        resumable = resumable and store is not False
        yield from _measure_elsewhere(requests, stored, save, progress, runner, resumable)
        return
    deadline = None if budget_s is None else time.monotonic() + budget_s
    done = 0
    try:
        for index, (request, record) in enumerate(zip(requests, stored, strict=True)):
            if record is None and deadline is not None:
                share = (deadline - time.monotonic()) / (len(requests) - index)
                if share < SMALLEST_SHARE_S:
                    _skip(on_skip, request, f"not measured: the {budget_s:g} s budget was spent")
                    continue
                request = request.replace(timeout=min(request.timeout, share))
            if progress is not None:
                progress.start(request.kernel, request.label, request.size)
            if record is None:
                record = (run or execute)(request)
                if deadline is not None and record.status == "timeout":
                    done += 1
                    if progress is not None:
                        progress.finish(record)
                    _skip(
                        on_skip,
                        request,
                        f"not measured: no result within its {request.timeout:.3g} s share "
                        f"of the {budget_s:g} s budget",
                    )
                    continue
                save(record)
            done += 1
            if progress is not None:
                progress.finish(record)
            yield record
    except KeyboardInterrupt as stop:  # Interrupted too: recount over the whole loop
        signum = getattr(stop, "signum", signal.SIGINT)
        resumable = resumable and store is not False
        raise Interrupted(signum, done, len(requests), resumable=resumable) from None
    finally:
        if progress is not None:
            progress.close()


def _measure_elsewhere(
    requests: Sequence[RunRequest],
    stored: list[RunRecord | None],
    save: Callable[[RunRecord], RunRecord],
    progress: Watcher | None,
    runner: Runner,
    resumable: bool,
) -> Iterator[RunRecord]:
    """:func:`measure` with a :class:`Runner`: stored outcomes first, then records as the
    runner finishes them, each stored and shown as it comes."""
    done = 0
    try:
        for record in stored:
            if record is not None:
                done += 1
                _show(progress, record)
                yield record
        pending = [index for index, record in enumerate(stored) if record is None]
        for _, record in runner(pending):
            save(record)
            done += 1
            _show(progress, record)
            yield record
    except KeyboardInterrupt as stop:
        signum = getattr(stop, "signum", signal.SIGINT)
        raise Interrupted(signum, done, len(requests), resumable=resumable) from None
    finally:
        if progress is not None:
            progress.close()


def _show(progress: Watcher | None, record: RunRecord) -> None:
    if progress is not None:
        progress.start(record.kernel, record.label, record.size)
        progress.finish(record)


def _skip(on_skip: Callable[[RunRequest, str], None] | None, request: RunRequest, why: str) -> None:
    if on_skip is not None:
        on_skip(request, why)

"""Measurements on the machines of a Dask distributed cluster: ``--cluster ADDRESS``.

Dask does the distributing (its scheduler, its workers, its transport and TLS); this
module only decides *what* runs *where*. On each machine the work is exactly a local
run: the Dask worker builds the request on its own machine (threads, memory limits and
library versions are the machine's), then :func:`accel.execute.execute` measures it in a
fresh supervised worker process. Records and each machine's hardware report come home
to the local store under that machine's own fingerprint.

* A *machine* is one host, or one ``ACCEL_MACHINE_LABEL`` (a label set in the Dask
  worker's environment lets one host stand in for two machines). Several Dask workers
  on one machine are one machine: measurements go to one of them.
* One measurement at a time per machine: the next request for a machine is submitted
  when the last one came back, so two measurements never share a machine.
* Faults are rows: a worker that dies or leaves, a run that outlives its timeout, a
  scheduler that goes away; every unfinished run becomes a ``failed`` or ``timeout``
  record saying why, every finished one is kept.

>>> from accel import fleet                                   # doctest: +SKIP
>>> client = fleet.connect("tcp://10.0.0.5:8786")
>>> [m.name for m in fleet.machines(client)]
['gpu-node', 'laptop']
"""

from __future__ import annotations

import dataclasses
import os
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import UsageError, choose
from .record import RunRecord

if TYPE_CHECKING:
    from distributed import Client, Future

    from .identity import RunKey
    from .request import Job, RunRequest

#: Seconds to reach a scheduler before saying it cannot be reached.
CONNECT_TIMEOUT_S = 20.0
#: How often (seconds) the cluster's membership is checked while runs are out (a run
#: that finishes wakes the waiting loop at once).
POLL_S = 1.0
#: Seconds a run may take beyond its own timeout before the fleet gives up on it (the
#: machine's own supervisor kills the worker at the timeout; this covers the transport).
TRANSPORT_MARGIN_S = 60.0


def machine_name() -> str:
    """The name this machine goes by in a fleet: its label, else its host name."""
    from .hardware.host import LABEL_VARIABLE

    return os.environ.get(LABEL_VARIABLE, "").strip() or socket.gethostname()


@dataclass(frozen=True)
class Machine:
    """One machine of a cluster: where its measurements go and what it is."""

    name: str
    worker: str
    fingerprint: str
    #: The fingerprint without the machine label: equal for machines of the same kind.
    hardware: str
    summary: dict[str, Any] = field(default_factory=dict)
    report: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


def connect(cluster: str | Client) -> Client:
    """A Dask client for ``cluster`` (a scheduler address, or a ``distributed.Client``).

    Raises :class:`UsageError` when Dask is not installed or the scheduler does not
    answer. Dask's TLS and other security settings come from Dask's own configuration
    (``distributed.comm.tls.*``, ``DASK_DISTRIBUTED__COMM__TLS__...``).
    """
    try:
        from distributed import Client
    except ImportError:
        raise UsageError(
            "a cluster needs Dask distributed: pip install 'accel-testbed[fleet]'"
        ) from None
    if isinstance(cluster, Client):
        return cluster
    if not isinstance(cluster, str) or not cluster.strip():
        raise UsageError(
            f"cluster must be a scheduler address such as tcp://host:8786, got {cluster!r}"
        )
    try:
        return Client(cluster, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise UsageError(f"cannot reach the Dask scheduler at {cluster}: {exc}") from None


def _workers(client: Client) -> list[str]:
    """The addresses of the workers the scheduler knows now, asked of the scheduler itself
    (a lambda travels by value: the scheduler needs no accel installed)."""
    return sorted(client.run_on_scheduler(lambda dask_scheduler: list(dask_scheduler.workers)))


class _Wakeup:
    """Wakes a waiting loop as soon as one of the futures it watches finishes."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def watch(self, future: Future) -> Future:
        future.add_done_callback(lambda _: self._event.set())
        return future

    def wait(self) -> None:
        """Until a watched future finishes, or POLL_S seconds for a membership check."""
        self._event.wait(POLL_S)
        self._event.clear()


class _Membership:
    """Which workers have left the cluster. A worker counts as gone only when two checks of
    the scheduler in a row miss it, so one late answer does not end a machine's runs."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.alive: set[str] = set()
        self._missed: set[str] = set()

    def check(self) -> None:
        """Ask the scheduler which workers it knows now (raises where it went away)."""
        self.alive = set(_workers(self.client))

    def left(self, worker: str) -> bool:
        """Whether ``worker`` is gone: missed by this check and the one before."""
        if worker in self.alive:
            self._missed.discard(worker)
            return False
        if worker in self._missed:
            return True
        self._missed.add(worker)
        return False


class WorkerLeft(UsageError):
    """A machine's Dask worker left the cluster before it answered."""


def on_each(client: Client, calls: dict[str, tuple]) -> dict[str, Any]:
    """Run ``calls`` (worker address -> (function, *arguments)) in those workers' thread
    pools at once and return each answer, or a :class:`WorkerLeft` for a worker that left
    before answering (a task bound to a dead worker would otherwise wait for ever)."""
    wakeup = _Wakeup()
    futures = {
        worker: wakeup.watch(client.submit(call[0], *call[1:], workers=[worker], pure=False))
        for worker, call in calls.items()
    }
    answers: dict[str, Any] = {}
    members = _Membership(client)
    while len(answers) < len(futures):
        if not any(f.done() for w, f in futures.items() if w not in answers):
            wakeup.wait()
        members.check()
        for worker, future in futures.items():
            if worker in answers:
                continue
            if future.done():
                answers[worker] = future.result()  # raises what the function raised
            elif members.left(worker):
                future.cancel()
                answers[worker] = WorkerLeft(f"the Dask worker {worker} left the cluster")
    return answers


def describe_this_machine() -> dict[str, Any]:
    """What a worker tells about its machine: name, fingerprint, summary and full report.

    Runs on each Dask worker (``client.run``).
    """
    from .backends import all_backends
    from .hardware.report import HardwareReport, hardware_fingerprint
    from .identity import machine_fingerprint, machine_report

    report = machine_report()
    cpu, host, gpu = report.get("cpu", {}), report.get("host", {}), report.get("gpu", {})
    backends = {}
    for backend in all_backends():
        availability = backend.available()
        backends[backend.name] = None if availability.ok else availability.reason
    return {
        "name": machine_name(),
        "fingerprint": machine_fingerprint(),
        "hardware": hardware_fingerprint(HardwareReport.from_dict(report)),
        "summary": {
            "cpu": cpu.get("model_name") or "?",
            "cores": host.get("usable_cpus"),
            "gpus": [device.get("name") for device in gpu.get("devices", [])],
            "backends": backends,
        },
        "report": report,
    }


def machines(client: Client, names: Sequence[str] | None = None) -> list[Machine]:
    """The cluster's machines (one per host or label), sorted by name; ``names`` picks some.

    A name that is not in the cluster is a :class:`UsageError` naming those that are.
    """
    # in each worker's thread pool: a probe must not block a worker's event loop
    answers = on_each(client, {worker: (describe_this_machine,) for worker in _workers(client)})
    described = {w: a for w, a in answers.items() if not isinstance(a, WorkerLeft)}
    found: dict[str, Machine] = {}
    for worker in sorted(described):
        about = described[worker]
        found.setdefault(
            about["name"],
            Machine(
                about["name"],
                worker,
                about["fingerprint"],
                about["hardware"],
                about["summary"],
                about["report"],
            ),
        )
    if not found:
        raise UsageError("the cluster has no workers: start one with 'dask worker ADDRESS'")
    if names:
        for name in names:
            if name not in found:
                raise choose("machine", name, sorted(found))
        return [found[name] for name in dict.fromkeys(names)]
    return [found[name] for name in sorted(found)]


def build_requests(jobs: Sequence[Job]) -> list[tuple[RunRequest, RunKey]]:
    """``jobs`` as checked requests, built by *this* machine, with their run keys.

    Runs on a Dask worker, so defaults (threads, dtype) and checks (memory) are the
    machine's own, and each key carries its fingerprint and library versions.
    """
    from .request import make_request

    built = [make_request(kernel, backend, **options) for kernel, backend, options in jobs]
    return [(request, request.key()) for request in built]


def measure_here(request: RunRequest) -> dict[str, Any]:
    """Measure ``request`` on this machine (a Dask worker), as a local run does."""
    from .execute import execute

    return execute(request).to_dict()


@dataclass
class Placed:
    """A request placed on a machine, with the run key that machine gave it."""

    request: RunRequest
    machine: Machine
    key: RunKey


def place(
    client: Client, chosen: Sequence[Machine], jobs: Sequence[Job], *, spread: bool = False
) -> list[Placed]:
    """Every job on every chosen machine, built there; ``spread``: each size on one machine
    of each group of machines of the same hardware (labels aside), in turn, instead of on all."""
    shares: dict[str, list[Job]] = {machine.name: [] for machine in chosen}
    if spread:
        groups: dict[str, list[Machine]] = {}
        for machine in chosen:
            groups.setdefault(machine.hardware, []).append(machine)
        sizes = list(dict.fromkeys(options.get("size") for _, _, options in jobs))
        for group in groups.values():
            for job in jobs:
                turn = sizes.index(job[2].get("size")) % len(group)
                shares[group[turn].name].append(job)
    else:
        for machine in chosen:
            shares[machine.name] = list(jobs)
    targets = [machine for machine in chosen if shares[machine.name]]
    try:
        answers = on_each(client, {m.worker: (build_requests, shares[m.name]) for m in targets})
    except UsageError as exc:
        raise UsageError(f"a machine refused the runs: {exc}") from None
    placed: list[Placed] = []
    for machine in targets:
        built = answers[machine.worker]
        if isinstance(built, WorkerLeft):
            raise UsageError(f"machine {machine.name} left the cluster before its runs started")
        placed.extend(Placed(request, machine, key) for request, key in built)
    return placed


def on_cluster(
    cluster: str | Client, names: Sequence[str] | None, jobs: Sequence[Job], spread: bool = False
) -> tuple[list[RunRequest], FleetRunner]:
    """The requests of a comparison or sweep on a cluster's machines, and the runner for
    :func:`accel.loop.measure`. Names are checked here first, so a typo fails at once."""
    from .backends import BACKEND_NAMES
    from .request import resolve_kernel

    for kernel, backend, _ in jobs:
        resolve_kernel(kernel)
        if backend not in BACKEND_NAMES:
            raise choose("backend", backend, BACKEND_NAMES)
    client = connect(cluster)
    chosen = machines(client, names)
    placed = place(client, chosen, jobs, spread=spread)
    address = cluster if isinstance(cluster, str) else ""
    return [item.request for item in placed], FleetRunner(client, placed, address)


class FleetRunner:
    """Runs placed requests on their machines, one at a time per machine, all machines at once.

    ``runner(indices)`` yields ``(index, record)`` as runs finish, for the measurement
    loop (:func:`accel.loop.measure`), which stores and shows them.
    """

    def __init__(self, client: Client, placed: Sequence[Placed], address: str = "") -> None:
        self.client = client
        self.placed = list(placed)
        self.address = address or getattr(client.scheduler, "address", "") or "the scheduler"

    def keys(self) -> list[RunKey]:
        """The run keys, in request order (resume looks them up in the local store)."""
        return [item.key for item in self.placed]

    def reports(self) -> dict[str, dict[str, Any]]:
        """The hardware report of each machine taking part, by fingerprint."""
        return {item.machine.fingerprint: item.machine.report for item in self.placed}

    def _unrun(self, index: int, status: str, reason: str) -> RunRecord:
        item = self.placed[index]
        record = item.request.record(status, f"machine {item.machine.name}: {reason}")
        return dataclasses.replace(
            record, machine=item.machine.fingerprint, versions=dict(item.key.versions)
        )

    def __call__(self, indices: Sequence[int]) -> Iterator[tuple[int, RunRecord]]:
        queues: dict[str, list[int]] = {}
        for index in indices:
            queues.setdefault(self.placed[index].machine.name, []).append(index)
        running: dict[str, tuple[int, Future, float]] = {}
        members = _Membership(self.client)
        wakeup = _Wakeup()

        def submit_next(name: str) -> None:
            if queues[name]:
                index = queues[name].pop(0)
                item = self.placed[index]
                future = self.client.submit(
                    measure_here,
                    item.request,
                    workers=[item.machine.worker],
                    allow_other_workers=False,
                    pure=False,
                    retries=0,
                )
                wakeup.watch(future)
                running[name] = (index, future, time.monotonic())

        def drain(name: str, why: str) -> Iterator[tuple[int, RunRecord]]:
            for index in queues.pop(name, []):
                yield index, self._unrun(index, "failed", f"not measured: {why}")

        try:
            for name in list(queues):
                submit_next(name)
            while running:
                try:
                    members.check()
                except Exception as exc:  # the scheduler went away
                    for name, (index, future, _) in list(running.items()):
                        future.release()
                        why = f"the scheduler at {self.address} went away during the run ({exc})"
                        yield index, self._unrun(index, "failed", why)
                        yield from drain(name, f"the scheduler at {self.address} went away")
                    running.clear()
                    break
                for name, (index, future, started) in list(running.items()):
                    item = self.placed[index]
                    if future.done():
                        del running[name]
                        yield index, self._collect(index, future)
                        submit_next(name)
                    elif members.left(item.machine.worker):
                        del running[name]
                        future.cancel()
                        why = "its Dask worker died or left the cluster during the run"
                        yield index, self._unrun(index, "failed", why)
                        yield from drain(name, "its Dask worker left the cluster")
                    elif time.monotonic() - started > item.request.timeout + TRANSPORT_MARGIN_S:
                        del running[name]
                        future.cancel()
                        why = (
                            f"no result within {item.request.timeout:g} s "
                            f"(+{TRANSPORT_MARGIN_S:g} s for the transport)"
                        )
                        yield index, self._unrun(index, "timeout", why)
                        submit_next(name)
                if running and not any(future.done() for _, future, _ in running.values()):
                    wakeup.wait()
        finally:  # interrupted: nothing of ours keeps running on the cluster
            for _, future, _ in running.values():
                future.cancel()

    def _collect(self, index: int, future: Future) -> RunRecord:
        try:
            return RunRecord.from_dict(future.result())
        except Exception as exc:
            return self._unrun(index, "failed", f"{type(exc).__name__}: {exc}")

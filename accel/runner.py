"""Runs measurements in fresh worker processes and turns every outcome into a record.

A worker that crashes, is killed or hangs past its timeout becomes a ``failed`` or
``timeout`` record with the tail of its stderr; the caller carries on.

>>> import accel
>>> record = accel.run("julia", "numpy", preset="S")      # doctest: +SKIP
>>> record.status, record.median_s                          # doctest: +SKIP
('ok', 0.0076)
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import watchdog
from .backends import BACKEND_NAMES, get_backend
from .cachesim import SimulatedPlan, worker_command
from .counters import (
    COUNTER_SOURCES,
    DEFAULT_EVENTS,
    CounterPlan,
    parse_events,
    plan_counters,
)
from .errors import UsageError, choose
from .hardware.sysread import probes_within
from .kernels import KernelSpec, UnknownKernelError, get_kernel
from .record import RunRecord
from .store import Store, StoreOption, recorder, store_path
from .threads import pool_environment, usable_cpus

DEFAULT_TIMEOUT_S = 600.0
STDERR_TAIL_LINES = 30


@dataclass(frozen=True)
class RunRequest:
    """A validated description of one run, ready to hand to a worker."""

    kernel: str
    backend: str
    size: int
    dtype: str
    threads: int
    params: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    policy: dict[str, Any] = field(default_factory=dict)
    timeout: float = DEFAULT_TIMEOUT_S
    counters: bool = False
    events: tuple[str, ...] = DEFAULT_EVENTS
    #: auto (perf where a hardware event counts, else the cache simulator), perf, simulated.
    counter_source: str = "auto"
    pinned: bool = False
    #: Bytes of address space the worker may use (RLIMIT_AS); None: no limit.
    memory_limit: int | None = None

    def spec(self) -> dict[str, Any]:
        return {
            "kernel": self.kernel,
            "backend": self.backend,
            "size": self.size,
            "dtype": self.dtype,
            "threads": self.threads,
            "params": self.params,
            "seed": self.seed,
            "policy": self.policy,
            "pinned": self.pinned,
            "memory_limit": self.memory_limit,
            "machine": machine_fingerprint(),
        }

    def record(self, status: str, reason: str, **extra: Any) -> RunRecord:
        """A record for a run that never produced its own (unavailable, crashed, hung)."""
        return RunRecord(
            kernel=self.kernel,
            backend=self.backend,
            size=self.size,
            dtype=self.dtype,
            status=status,  # type: ignore[arg-type]
            reason=reason,
            params=self.params,
            threads=self.threads,
            seed=self.seed,
            machine=machine_fingerprint(),
            **extra,
        )


def thread_ceiling() -> int | None:
    """The most threads one user may run at once here (ulimit -u, kernel.threads-max)."""
    import resource

    limits = []
    soft, _ = resource.getrlimit(resource.RLIMIT_NPROC)
    if soft != resource.RLIM_INFINITY:
        limits.append(soft)
    try:
        with open("/proc/sys/kernel/threads-max") as handle:
            limits.append(int(handle.read()))
    except (OSError, ValueError):
        pass
    return min(limits, default=None)


def machine_fingerprint() -> str:
    """This machine's hardware fingerprint, or '' where the probe cannot give one."""
    try:
        from .hardware import fingerprint
    except ImportError:
        return ""
    try:
        return str(fingerprint())
    except Exception:
        return ""


def resolve_kernel(name: str) -> KernelSpec:
    try:
        return get_kernel(name)
    except UnknownKernelError as exc:
        raise UsageError(str(exc)) from None


def resolve_size(kernel: KernelSpec, size: int | None, preset: str | None) -> tuple[int, dict]:
    """The size and parameters for a run from an explicit size or a preset (default ``S``)."""
    if size is not None:
        if isinstance(size, bool) or not isinstance(size, int) or size <= 0:
            raise UsageError(f"size must be a positive whole number, got {size!r}")
        return size, kernel.params_for(size)
    name = preset or "S"
    if name not in kernel.presets:
        raise choose(f"preset for {kernel.name}", name, list(kernel.presets))
    chosen = kernel.presets[name]
    return chosen.size, dict(chosen.params)


def make_request(
    kernel: str,
    backend: str,
    *,
    size: int | None = None,
    preset: str | None = None,
    dtype: str | None = None,
    threads: int | None = None,
    repeats: int | None = None,
    min_time: float | None = None,
    seed: int = 0,
    params: dict[str, Any] | None = None,
    timeout: float = DEFAULT_TIMEOUT_S,
    counters: bool | None = None,
    events: str | Sequence[str] | None = None,
    counter_source: str | None = None,
    pinned: bool = False,
    memory_limit: int | None = None,
) -> RunRequest:
    """Check every argument against the registries and return a runnable request.

    ``counters`` asks for counters over the timed repetitions (naming ``events``
    or ``counter_source`` asks for them too, unless ``counters`` is False);
    ``counter_source`` is ``auto`` (default: perf where a hardware event counts here,
    else valgrind's cache simulator), ``perf`` or ``simulated``. ``pinned`` stages a GPU backend's
    host data in page-locked memory. ``dtype`` may be an alias (``float32``) of the
    kernel's own dtype. ``memory_limit`` (bytes) caps the worker's address space, so
    that an allocation past it fails with MemoryError. A size whose estimated memory
    exceeds what this machine has available is refused before any worker starts.
    """
    spec = resolve_kernel(kernel)
    if backend not in BACKEND_NAMES:
        raise choose("backend", backend, BACKEND_NAMES)
    size, preset_params = resolve_size(spec, size, preset)
    dtype = spec.resolve_dtype(dtype or spec.default_dtype)
    if dtype not in spec.dtypes:
        raise choose(f"dtype for {spec.name}", dtype, [*spec.dtypes, *spec.dtype_aliases])
    threads = usable_cpus() if threads is None else threads
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise UsageError(f"threads must be a whole number of at least 1, got {threads!r}")
    ceiling = thread_ceiling()
    if ceiling is not None and threads > ceiling:
        raise UsageError(
            f"threads must be at most {ceiling}, as many as one user may run at once here "
            f"(ulimit -u, kernel.threads-max), got {threads}"
        )
    policy: dict[str, Any] = {}
    if repeats is not None:
        if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
            raise UsageError(f"repeats must be a whole number of at least 1, got {repeats!r}")
        policy["repeats"] = repeats
    if min_time is not None:
        if not min_time > 0:
            raise UsageError(f"min-time must be positive seconds, got {min_time!r}")
        policy["min_time"] = float(min_time)
    if not timeout > 0:
        raise UsageError(f"timeout must be positive seconds, got {timeout!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise UsageError(f"seed must be a whole number of at least 0, got {seed!r}")
    if memory_limit is not None and (
        isinstance(memory_limit, bool) or not isinstance(memory_limit, int) or memory_limit < 1
    ):
        raise UsageError(f"memory limit must be a positive number of bytes, got {memory_limit!r}")
    params = {**preset_params, **(params or {})}
    refuse_beyond_memory(spec, size, dtype, params)
    return RunRequest(
        kernel=spec.name,
        backend=backend,
        size=size,
        dtype=dtype,
        threads=threads,
        params=params,
        seed=seed,
        policy=policy,
        timeout=float(timeout),
        counters=bool(counters)
        or (counters is None and (events is not None or counter_source is not None)),
        counter_source=_counter_source(counter_source),
        events=parse_events(events),
        pinned=bool(pinned),
        memory_limit=memory_limit,
    )


def _counter_source(source: str | None) -> str:
    if source is None:
        return "auto"
    if source not in COUNTER_SOURCES:
        raise choose("counter source", str(source), list(COUNTER_SOURCES))
    return source


def refuse_beyond_memory(kernel: KernelSpec, size: int, dtype: str, params: dict) -> None:
    """Raise UsageError when a run would need more memory than this machine has available.

    Uses the kernel's ``memory_bytes`` estimate (kernels without one are not checked),
    so an absurd size is refused before anything is allocated.
    """
    if kernel.memory_bytes is None:
        return
    try:
        needed = kernel.memory_bytes(size, dtype, **params)
    except (TypeError, ValueError):  # parameters the kernel will refuse itself, in the worker
        return
    import psutil

    available = psutil.virtual_memory().available
    if needed > available:
        raise UsageError(
            f"size {size} of {kernel.name} needs about {needed / 2**30:,.1f} GiB; "
            f"this machine has {available / 2**30:,.1f} GiB available"
        )


def unavailable_reason(request: RunRequest) -> str | None:
    """Why this kernel cannot run on this backend here, or None if it can."""
    kernel = get_kernel(request.kernel)
    if request.backend not in kernel.implementations:
        return kernel.not_applicable.get(
            request.backend, f"{kernel.name} has no {request.backend} implementation"
        )
    availability = get_backend(request.backend).available()
    return None if availability.ok else availability.reason


def worker_environment(request: RunRequest) -> dict[str, str]:
    """Every thread pool sized to the request, waiting threads passive (:mod:`accel.threads`)."""
    return pool_environment(request.threads)


def execute(request: RunRequest) -> RunRecord:
    """Run ``request`` in a fresh worker process; always returns a record."""
    with probes_within(request.timeout):  # a stalled interpreter or perf probe too
        return _execute(request)


def _execute(request: RunRequest) -> RunRecord:
    reason = unavailable_reason(request)
    if reason is not None:
        return request.record("unavailable", reason)
    with (
        tempfile.TemporaryDirectory(prefix="accel-run-") as folder,
        tempfile.TemporaryDirectory(prefix="accel-run-", dir=watchdog.ram_folder()) as scratch,
    ):
        spec_path = os.path.join(folder, "spec.json")
        record_path = os.path.join(folder, "record.json")
        with open(spec_path, "w") as handle:
            json.dump(request.spec(), handle)
        counters = plan_counters(
            request.counters, request.events, folder, request.counter_source, request.backend
        )
        command = [sys.executable, "-m", "accel.worker", spec_path, record_path]
        folders = {
            **watchdog.parent_environment([folder, scratch]),
            watchdog.SCRATCH_ENV: scratch,
        }
        record = _supervise(request, counters.wrap(command), record_path, counters, folders)
        counters.fill(record)
        if counters.simulation is not None:
            _simulate(request, record, folder, counters.simulation, folders)
        return record


def _simulate(
    request: RunRequest,
    record: RunRecord,
    folder: str,
    plan: SimulatedPlan,
    folders: dict[str, str],
) -> None:
    """Count ``record``'s run again, a few calls, under valgrind's cache simulator."""
    if record.status != "ok":
        record.counters_reason = f"not simulated: the run itself is {record.status}"
        return
    again = dataclasses.replace(
        request, policy={"repeats": plan.calls}, counters=False, memory_limit=None
    )
    spec_path = os.path.join(folder, "simulated-spec.json")
    record_path = os.path.join(folder, "simulated-record.json")
    with open(spec_path, "w") as handle:
        json.dump(again.spec(), handle)
    plan.announce(record)
    started = time.perf_counter()
    command = plan.wrap([*worker_command(), spec_path, record_path])
    simulated = _supervise(again, command, record_path, plan, folders)
    plan.fill(record, simulated, time.perf_counter() - started)


def _supervise(
    request: RunRequest,
    command: list[str],
    record_path: str,
    counters: CounterPlan | SimulatedPlan,
    folders: dict[str, str],
) -> RunRecord:
    """Start the worker in its own process group, wait up to the timeout, read its record.

    ``folders`` (:func:`accel.watchdog.parent_environment`) lets the worker end itself
    and remove the run's folders should this process die first.
    """
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**worker_environment(request), **counters.environment(), **folders},
        start_new_session=True,
        text=True,
        errors="replace",
    )
    try:
        stdout, stderr = process.communicate(timeout=request.timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        stdout, stderr = process.communicate()
        return request.record(
            "timeout",
            f"no result within {request.timeout:g} s; the worker was killed",
            stderr_tail=_tail(stderr),
        )
    except BaseException:  # Ctrl-C or SIGTERM: stop the worker before leaving
        _kill_group(process)
        process.wait()
        raise
    finally:
        _kill_group(process)  # children left behind by the worker (a PyPy server)
    returncode, stderr = counters.worker_outcome(process.returncode, stderr)
    try:
        with open(record_path) as handle:
            record = RunRecord.from_dict(json.load(handle))
    except (OSError, ValueError) as exc:
        return request.record(
            "failed", _exit_reason(returncode, stderr, exc), stderr_tail=_tail(stderr)
        )
    if record.status != "ok":  # all the worker's stderr: its children's (PyPy's) messages too
        record.stderr_tail = _tail(stderr) or record.stderr_tail
    return record


def _kill_group(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


def _tail(text: str | None) -> str:
    return "\n".join((text or "").rstrip().splitlines()[-STDERR_TAIL_LINES:])


def _exit_reason(returncode: int | None, stderr: str, error: Exception) -> str:
    if returncode is not None and returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        how = f"the worker was killed by {name}"
        if returncode == -signal.SIGKILL:  # not by us: a timeout is recorded before this
            how += " (out of memory? the kernel's OOM killer sends SIGKILL)"
    else:
        how = f"the worker exited with code {returncode} and wrote no record"
    last = (stderr or "").strip().splitlines()[-1:]
    if not last:  # a record that cannot be read says more than silence after a clean exit
        last = [str(error) if returncode == 0 else "it printed nothing on stderr"]
    return f"{how}: {last[0][:300]}"


def run(kernel: str, backend: str, *, store: StoreOption = None, **options: Any) -> RunRecord:
    """Measure ``kernel`` on ``backend`` in a fresh process and return its run record.

    Options: ``size`` or ``preset`` (default ``"S"``), ``dtype``, ``threads``,
    ``repeats``, ``min_time``, ``seed``, ``params``, ``timeout``, ``counters`` (perf
    counters over the timed repetitions; default off) and ``events``. Bad arguments
    raise :class:`accel.UsageError`; everything that happens in the run is in the record.
    The record is stored in ``store`` (a path or Store; None: the default store;
    False: not stored).
    """
    request = make_request(kernel, backend, **options)
    save = recorder(store)
    return save(execute(request))


class Interrupted(KeyboardInterrupt):
    """Measuring was stopped by SIGINT (Ctrl-C) or SIGTERM; every finished run is stored.

    ``finished`` of ``total`` runs were done when it came (None where not counted).
    The exit code of an interrupted command is 128 + ``signum``: 130 or 143.
    """

    def __init__(
        self, signum: int = signal.SIGINT, finished: int | None = None, total: int | None = None
    ) -> None:
        super().__init__(signum, finished, total)
        self.signum, self.finished, self.total = int(signum), finished, total

    def __str__(self) -> str:
        if self.finished is None or self.total is None:
            return "interrupted"
        return (
            f"interrupted after {self.finished} of {self.total} runs; "
            "rerun with --resume to continue"
        )


#: Statuses of a stored run that ``resume`` does not repeat: the measurement finished.
#: failed, timeout and unavailable runs are repeated (a driver installed, a longer timeout).
DONE_STATUSES = ("ok", "invalid")


def stored_outcome(store: Store, request: RunRequest) -> RunRecord | None:
    """The stored run that ``request`` would repeat, if the latest such run finished.

    The same run means: this machine, the kernel and its version, backend, size,
    dtype, threads, parameters and seed, and the versions of accel, Python and the
    backend's libraries. Only a latest run with a status in ``DONE_STATUSES`` counts.
    """
    from .selection import key_versions

    machine = machine_fingerprint()
    wanted = key_versions(request.backend)
    for run in store.runs(  # newest first
        machine=machine or None,
        kernel=request.kernel,
        kernel_version=get_kernel(request.kernel).version,
        backend=request.backend,
        size=request.size,
        dtype=request.dtype,
        threads=request.threads,
    ):
        record = run.record
        if (
            record.machine == machine
            and record.params == request.params
            and record.seed == request.seed
            and all(record.versions.get(name) == value for name, value in wanted.items())
        ):
            return record if record.status in DONE_STATUSES else None
    return None


def counters_by_default(backend: str, asked: bool | None) -> bool:
    """Whether a comparison counts ``backend``'s timed repetitions with perf.

    As asked where asked; by default on for CPU backends and off for GPU ones, where perf
    would count the host thread that launches kernels and spins waiting for the GPU.
    """
    if asked is not None:
        return bool(asked)
    return get_backend(backend).device != "cuda"


def compare(
    kernel: str,
    backends: Iterable[str] | None = None,
    *,
    store: StoreOption = None,
    resume: bool = False,
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
    comparison stopped by Ctrl-C or SIGTERM (:class:`Interrupted`) keeps what finished;
    ``resume=True`` then takes those from the store (:func:`stored_outcome`) instead of
    measuring them again.
    """
    asked = options.pop("counters", None)
    if asked is None and options.get("counter_source") is None:
        # Counted by default only where it is free: perf. The cache simulator (a second,
        # slower run per backend) when asked for: counters=True or a counter_source.
        options["counter_source"] = "perf"
        asked = True if options.get("events") is not None else None
    elif asked is None:  # a counter_source named: counters asked for
        asked = True
    names = list(backends) if backends is not None else list(BACKEND_NAMES)
    if not names:
        raise UsageError("backends must name at least one backend (see 'accel backends')")
    requests = [
        make_request(kernel, name, counters=counters_by_default(name, asked), **options)
        for name in names
    ]
    if resume and store is False:
        raise UsageError("resume takes finished runs from the store: it cannot go with no store")
    save = recorder(store)
    stored: list[RunRecord | None] = [None] * len(requests)
    if resume:
        with Store(store_path(store), readonly=True) as past:
            stored = [stored_outcome(past, request) for request in requests]
    records: list[RunRecord] = []
    try:
        for request, done in zip(requests, stored, strict=True):
            records.append(done or save(execute(request)))
    except KeyboardInterrupt as stop:
        signum = getattr(stop, "signum", signal.SIGINT)
        raise Interrupted(signum, len(records), len(requests)) from None
    return records

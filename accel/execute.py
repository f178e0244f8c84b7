"""One request -> one record, in a fresh worker process that is supervised to the end.

The worker (``python -m accel.worker SPEC.json RECORD.json``) runs in its own process
group, under ``perf stat`` where counters are asked for (and, where the counts come
from valgrind's cache simulator, a second time under it, for a few calls). A worker that crashes, is
killed or hangs past its timeout becomes a ``failed`` or ``timeout`` record with the
tail of its stderr; the caller carries on. On Ctrl-C or SIGTERM the worker's whole
group is killed before the exception goes on. This is written here rather than taken
from a library: no pool or job library records a crash, a hang and perf's own exit
status as one record per run.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

from . import watchdog
from .backends import get_backend
from .cachesim import SimulatedPlan, worker_command
from .counters import CounterPlan, plan_counters
from .disturbance import busy_cores
from .hardware.sysread import probes_within
from .kernels import get_kernel
from .record import RunRecord
from .request import RunRequest
from .threads import pool_environment

STDERR_TAIL_LINES = 30


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
    """Every thread pool sized to the request, waiting threads yielding to other work
    (the wait policy follows how busy the machine is now: :mod:`accel.threads`)."""
    busy = busy_cores() if request.threads > 1 else None
    return pool_environment(request.threads, busy_cores=busy)


def execute(request: RunRequest) -> RunRecord:
    """Run ``request`` in a fresh worker process; always returns a record."""
    with probes_within(request.timeout):  # a stalled interpreter or perf probe too
        return _execute(request)


def _execute(request: RunRequest) -> RunRecord:
    reason = unavailable_reason(request)
    if reason is not None:
        return request.record("unavailable", reason)
    watchdog.sweep_orphans()  # folders of runs whose parent and worker were both killed
    with (
        tempfile.TemporaryDirectory(prefix=watchdog.run_prefix()) as folder,
        tempfile.TemporaryDirectory(
            prefix=watchdog.run_prefix(), dir=watchdog.ram_folder()
        ) as scratch,
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
    again = request.replace(
        repeats=plan.calls_for(record), min_time=None, counters=False, memory_limit=None
    )
    spec_path = os.path.join(folder, "simulated-spec.json")
    record_path = os.path.join(folder, "simulated-record.json")
    spec = again.spec()
    with open(spec_path, "w") as handle:
        json.dump(spec, handle)
    started = time.perf_counter()
    native_s = 0.0
    with plan.ticking(plan.announce(record)):  # on a terminal, when the run is long
        if plan.needs_native_pass(spec):  # Numba compiles natively what valgrind's pass loads
            native_path = os.path.join(folder, "simulated-native-record.json")
            native = _supervise(
                again, [*worker_command(), spec_path, native_path], native_path, plan, folders
            )
            plan.native_pass_done(native.status)
            native_s = time.perf_counter() - started
        command = plan.wrap([*worker_command(), spec_path, record_path])
        simulated = _supervise(again, command, record_path, plan, folders)
    plan.fill(record, simulated, time.perf_counter() - started, native_s)


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
        reason = _exit_reason(returncode, stderr, exc)
        if request.memory_limit:  # a worker that could not even start under its limit
            reason += (
                f" (the worker ran under --memory-limit {request.memory_limit / 2**20:,.0f} MiB"
                " of address space: too little for it to start?)"
            )
        return request.record("failed", reason, stderr_tail=_tail(stderr))
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

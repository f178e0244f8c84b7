"""The worker process: one run of one kernel on one backend, measured phase by phase.

Started by accel.execute as ``python -m accel.worker SPEC.json RECORD.json``; writes the
run record to ``RECORD.json``. Everything that can go wrong inside is caught and
recorded as ``failed`` with the phase it happened in; a crash or a hang is the
parent's to record.

Phases: setup -> inputs -> to device -> first call -> warm-ups -> timed repetitions
-> from device -> check.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from datetime import datetime, timezone
from typing import Any

from . import watchdog
from .callgrind_region import SIMULATED_PHASE
from .callgrind_region import active as simulating
from .counters import counting
from .disturbance import watched
from .process_stats import measured_region
from .record import RunRecord, Transfer
from .threads import limit_pools, pools_in_use, usable_cpus


class _Phases:
    """Times each named phase and remembers which one is running."""

    def __init__(self) -> None:
        self.times: dict[str, float] = {}
        self.current = "start"

    def run(self, name: str, action, *args, **kwargs):
        self.current = name
        start = time.perf_counter()
        result = action(*args, **kwargs)
        self.times[name] = self.times.get(name, 0.0) + time.perf_counter() - start
        return result


def execute(spec: dict[str, Any]) -> RunRecord:
    """Carry out the run described by ``spec`` (RunRequest.spec) and return its record."""
    from .backends import get_backend
    from .kernels import get_kernel
    from .measure import RepeatPolicy
    from .ship import implementation_note, receive

    record = RunRecord(
        kernel=spec["kernel"],
        backend=spec["backend"],
        size=spec["size"],
        dtype=spec["dtype"],
        status="failed",
        params=spec.get("params", {}),
        threads=spec.get("threads"),
        seed=spec.get("seed", 0),
        machine=spec.get("machine", ""),
        variant=spec.get("variant") or "",
        started_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )
    phases = _Phases()
    backend = get_backend(spec["backend"])
    backend.pinned = bool(spec.get("pinned"))
    started = time.perf_counter()
    try:
        receive(spec.get("kernel_payload"))  # a kernel defined in the parent's __main__
        kernel = get_kernel(spec["kernel"]).with_variant(record.variant)
        record.implementation = implementation_note(kernel, record.backend)
        policy = RepeatPolicy(**spec.get("policy", {}))
        phases.run("setup", backend.configure, spec["threads"])
        compute = phases.run("setup", backend.load, kernel)
        pool_problems = phases.run("setup", limit_pools, spec["threads"])
        host_inputs = phases.run(
            "inputs", kernel.make_inputs, spec["size"], spec["dtype"], record.seed, **record.params
        )
        # Allocation (host staging, device buffers) is a phase of its own, before the copy.
        staged = phases.run(
            "stage_h2d" if backend.transfers else "prepare", backend.stage, host_inputs
        )
        to_device = "h2d" if backend.transfers else "prepare"
        device_inputs = phases.run(to_device, backend.copy_in, staged)
        call = backend.bind(compute, device_inputs)

        first, output = phases.run("first_call", backend.time_calls, call, 1)
        record.first_call_s = first[0]
        record.warmups = policy.warmups(record.first_call_s)
        warm, output = phases.run("warmup", backend.time_calls, call, record.warmups)
        repeats = policy.count(warm[-1] if warm else record.first_call_s)
        gpu_before = _gpu_state(backend)
        region_started = time.perf_counter()
        # Counters (under perf, or valgrind's cache simulator in a run of its own) and
        # process figures cover these calls and nothing else.
        with (
            watched(usable_cpus()) as load,
            measured_region() as usage,
            counting() as counted,
            backend.simulated_region(call),
        ):
            record.samples_s, output = phases.run("timed", backend.time_calls, call, repeats)
        if simulating():  # the simulated region's wall time (its warm-up call too)
            phases.times[SIMULATED_PHASE] = time.perf_counter() - region_started
        record.process, record.counters_reason = usage.figures, counted.problem
        gpu_after = _gpu_state(backend)
        if gpu_before is not None or gpu_after is not None:
            record.gpu_state = {"before": gpu_before, "after": gpu_after}
        record.process["contention"] = load.figures
        record.disturbed = load.disturbed
        record.pools = {**pools_in_use(), **({"problems": pool_problems} if pool_problems else {})}

        from_device = "d2h" if backend.transfers else "collect"
        staged = phases.run(
            "stage_d2h" if backend.transfers else "collect", backend.stage_output, output
        )
        host_output = phases.run(from_device, backend.copy_out, staged)
        if backend.transfers:
            record.transfer = _transfer(backend, phases.times, host_inputs, host_output)
        verdict = phases.run("check", kernel.check, host_output, host_inputs)
        record.check = verdict.to_dict()
        record.status = "ok" if verdict.passed else "invalid"
        record.reason = "" if verdict.passed else f"check failed: {verdict.detail}"
    except Exception as exc:
        record.status = "failed"
        record.reason = f"{phases.current}: {type(exc).__name__}: {exc}".strip()
        limited = spec.get("memory_limit") and backend.device != "cuda"
        if limited and isinstance(exc, (MemoryError, ImportError)):  # a library's dlopen too
            record.reason += (
                f" (past the worker's memory limit of {spec['memory_limit'] / 2**20:,.0f} MiB"
                " address space, set by --memory-limit)"
            )
        record.stderr_tail = traceback.format_exc()[-4000:]
        traceback.print_exc()
    finally:
        try:
            backend.close()
        except Exception as exc:  # closing must not hide the run's own outcome
            print(f"closing {backend.name}: {exc}", file=sys.stderr)
    record.phases_s = phases.times
    record.wall_s = time.perf_counter() - started
    record.versions = _versions(backend)
    return record


def _gpu_state(backend) -> dict[str, Any] | None:
    """The GPU's temperature, clocks, throttle reasons and processes now (NVML), for a
    GPU backend; None for the others and where NVML cannot be asked."""
    if backend.device != "cuda":
        return None
    from dataclasses import asdict

    from .hardware.gpu import device_state

    state = device_state()
    if state is None:
        return None
    state.processes = [p for p in state.processes if p.pid != os.getpid()]  # not this run
    return asdict(state)


def _transfer(backend, times: dict[str, float], host_inputs, host_output) -> Transfer:
    """The run's copies: the device's time of each where it timed one (CUDA events), the
    wall time beside, and what the times include."""
    h2d, d2h = backend.copy_timing("h2d"), backend.copy_timing("d2h")
    return Transfer(
        h2d_s=h2d.seconds if h2d else times["h2d"],
        h2d_bytes=sum(backend.nbytes(v) for v in host_inputs.values()),
        d2h_s=d2h.seconds if d2h else times["d2h"],
        d2h_bytes=backend.nbytes(host_output),
        pinned=backend.pinned if backend.device == "cuda" else None,
        h2d_wall_s=h2d.wall_s if h2d else times["h2d"],
        d2h_wall_s=d2h.wall_s if d2h else times["d2h"],
        clock=h2d.clock if h2d else "wall clock",
        includes=h2d.includes if h2d else backend.copy_includes,
    )


def _versions(backend) -> dict[str, str]:
    import platform

    from . import __version__

    versions = {"accel": __version__, "python": platform.python_version()}
    try:
        versions.update(backend.versions())
    except Exception as exc:
        versions["error"] = str(exc)
    return versions


def limit_memory(spec: dict[str, Any]) -> None:
    """Cap this process's address space (RLIMIT_AS) at the spec's ``memory_limit`` bytes.

    An allocation past the cap then raises MemoryError, recorded as ``failed``, instead
    of waking the kernel's OOM killer. GPU backends are left uncapped: CUDA reserves
    address space far beyond the memory it uses.
    """
    from .backends import get_backend

    limit = spec.get("memory_limit")
    if not limit or get_backend(spec["backend"]).device == "cuda":
        return
    import resource

    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def main(argv: list[str]) -> int:
    watchdog.guard()  # end with the parent, taking the run's folders along
    spec_path, record_path = argv
    with open(spec_path) as handle:
        spec = json.load(handle)
    limit_memory(spec)
    record = execute(spec)
    with open(record_path, "w") as handle:
        handle.write(record.to_json())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""One benchmark session: measure the roofs, run every case in alternating rounds, judge.

The runs every selected target needs are merged per case (a case measured once
serves every target that uses it), then every case's backends are run in rounds
through accel's measurement loop: each round measures the roofs and runs each backend of each
case once, so a burst of load from another process is spread over every figure.
Targets that need a GPU are skipped, with the reason, when no GPU backend is available.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from accel.backends import get_backend
from accel.loop import measure as measured_runs
from accel.record import RunRecord
from accel.request import make_request

from .catalogue import GPU_BACKENDS, Benchmark, Context, Plan
from .roofs import Roofs, best_roofs, measure_roofs
from .rounds import Case, RunFunction, rotation
from .verdict import Result, skipped


@dataclass
class Session:
    """What a benchmark run measured and concluded."""

    plan: Plan
    rounds: int
    context: Context
    results: list[Result]
    fingerprint: str = ""


def gpu_absent_reason() -> str | None:
    """Why no GPU backend can run here (the first clause of each backend's reason), or None."""
    reasons = []
    for name in GPU_BACKENDS:
        availability = get_backend(name).available()
        if availability:
            return None
        reasons.append(f"{name}: {availability.reason.split(':', 1)[0]}")
    return "no GPU backend can run here (" + "; ".join(reasons) + ")"


def merged_needs(benchmarks: Sequence[Benchmark]) -> dict[Case, list[str]]:
    """Each case with every backend any of ``benchmarks`` needs on it, in first-seen order."""
    merged: dict[Case, list[str]] = {}
    for benchmark in benchmarks:
        for need in benchmark.needs:
            backends = merged.setdefault(need.case, [])
            backends.extend(b for b in need.backends if b not in backends)
    return merged


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_session(
    plan: Plan,
    benchmarks: Sequence[Benchmark],
    *,
    rounds: int,
    run_options: dict[str, Any],
    run: RunFunction | None = None,
    roofs_array_bytes: int | None = None,
    measure: Callable[..., tuple[Roofs, str]] = measure_roofs,
    report: Callable[[str], None] = _progress,
) -> Session:
    """Measure what ``benchmarks`` need, in rounds, and judge each of them.

    Each round measures the roofs (when a target needs them), then runs every case's
    backends once, in that case's order for the round (see ``rounds.rotation``), through
    the measurement loop with nothing stored; ``run`` replaces the worker (tests).
    """
    no_gpu = gpu_absent_reason() if any(b.gpu for b in benchmarks) else None
    active = [b for b in benchmarks if not (b.gpu and no_gpu)]
    needs = merged_needs(active)
    orders = {case: rotation(backends, rounds) for case, backends in needs.items()}
    records: dict[Case, dict[str, list[RunRecord]]] = {
        case: {backend: [] for backend in backends} for case, backends in needs.items()
    }
    roofs: list[Roofs] = []
    fingerprint = ""
    total, done = sum(len(backends) for backends in needs.values()) * rounds, 0
    for index in range(rounds):
        if any(b.roofs for b in active):
            report(f"round {index + 1}/{rounds}: measuring the roofs (STREAM, matmul, capacity)")
            found, fingerprint = measure(roofs_array_bytes)
            roofs.append(found)
        for case in needs:
            requests = [
                make_request(case.kernel, backend, **case.run_options(), **run_options)
                for backend in orders[case][index]
            ]
            for record in measured_runs(requests, store=False, run=run):
                backend = record.backend
                records[case][backend].append(record)
                done += 1
                median = f"{record.median_s:.4g} s" if record.median_s is not None else "-"
                report(f"[{done}/{total}] {case.label} on {backend}: {record.status}, {median}")
    context = Context(records, best_roofs(roofs) if roofs else None)
    results = []
    for benchmark in benchmarks:
        if benchmark.gpu and no_gpu:
            results.append(skipped(benchmark.target, no_gpu))
        else:
            report(f"judging {benchmark.target.name}")
            results.append(benchmark.evaluate(context))
    return Session(plan, rounds, context, results, fingerprint)

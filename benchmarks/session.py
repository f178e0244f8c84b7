"""One benchmark session: measure the roofs, run every case in alternating rounds, judge.

The runs every selected target needs are merged per case (a case measured once
serves every target that uses it), then each case's backends are run together in
alternating rounds through ``accel.run``. Targets that need a GPU are skipped, with
the reason, when no GPU backend is available here.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from accel.backends import get_backend

from .catalogue import GPU_BACKENDS, Benchmark, Context, Plan
from .roofs import Roofs, measure_roofs
from .rounds import Case, RunFunction, measure_case
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
    run: RunFunction,
    run_options: dict[str, Any],
    roofs_array_bytes: int | None = None,
    measure: Callable[..., tuple[Roofs, str]] = measure_roofs,
    report: Callable[[str], None] = _progress,
) -> Session:
    """Measure what ``benchmarks`` need and judge each of them."""
    no_gpu = gpu_absent_reason() if any(b.gpu for b in benchmarks) else None
    active = [b for b in benchmarks if not (b.gpu and no_gpu)]
    context = Context()
    fingerprint = ""
    if any(b.roofs for b in active):
        report("measuring the roofs (hardware probe: STREAM, matmul, host<->device copies)")
        context.roofs, fingerprint = measure(roofs_array_bytes)
    needs = merged_needs(active)
    total = sum(len(backends) for backends in needs.values()) * rounds
    done = 0
    for case, backends in needs.items():

        def counted(kernel: str, backend: str, label: str = case.label, **options: Any):
            nonlocal done
            done += 1
            record = run(kernel, backend, **options)
            median = f"{record.median_s:.4g} s" if record.median_s is not None else "-"
            report(f"[{done}/{total}] {label} on {backend}: {record.status}, median {median}")
            return record

        context.records[case] = measure_case(case, backends, rounds, counted, **run_options)
    results = []
    for benchmark in benchmarks:
        if benchmark.gpu and no_gpu:
            results.append(skipped(benchmark.target, no_gpu))
        else:
            report(f"judging {benchmark.target.name}")
            results.append(benchmark.evaluate(context))
    return Session(plan, rounds, context, results, fingerprint)

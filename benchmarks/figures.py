"""From run records to target verdicts: ratios, speedups, fractions of a roof, bandwidths.

Every function takes the records of the rounds (``{backend: [record per round]}``)
and returns a :class:`~benchmarks.verdict.Result`. Each figure comes from the best
round of each backend (see ``rounds``); what a miss is blamed on is measured in the
same runs: the CPU time the workers really got (another process on the machine shows
as less than the cores asked for), and the spread of the ratios between rounds.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from typing import Any

from accel.kernels import get_kernel

from accel.record import RunRecord

from .rounds import (
    Case,
    best,
    best_cpu_per_call,
    best_median,
    cpu_share,
    failure,
    round_ratios,
)
from .verdict import Result, Target, judge, not_measurable

Records = Mapping[str, Sequence[RunRecord]]
#: A worker that got less than this share of the cores it asked for was competed with.
CONTENDED_SHARE = 0.9
#: Backends that run a kernel on every thread they are given; the others use one core.
PARALLEL_BACKENDS = frozenset({"numba_parallel", "c_openmp", "torch_cpu"})


def contention(records: Sequence[RunRecord], cores: float) -> str:
    """A clause naming CPU time lost to other processes in these runs, or ''.

    ``cores`` is the CPU time per wall second the runs should have had (1 for a
    serial backend, the thread count for a parallel one); the runs got less when other
    processes competed for the cores.
    """
    shares = [s for s in (cpu_share(r) for r in records if r.ok) if s is not None]
    if not shares or max(shares) >= CONTENDED_SHARE * cores:
        return ""
    return f"{records[0].backend} got at most {max(shares):.2f} of its {cores:g} core(s)"


def _spread(ratios: Sequence[float]) -> dict[str, Any]:
    if not ratios:
        return {}
    return {
        "round_ratios": [round(r, 4) for r in ratios],
        "round_ratio_median": statistics.median(ratios),
    }


def _medians(records: Records, backends: Sequence[str]) -> dict[str, Any]:
    return {
        f"{backend}_best_median_s": best_median(records.get(backend, ())) for backend in backends
    }


def _cores(records: Sequence[RunRecord]) -> float:
    """The cores these runs should keep busy: their threads for a parallel backend, else 1."""
    found = best(records)
    if found is None or found.backend not in PARALLEL_BACKENDS:
        return 1.0
    return float(found.threads or 1)


def _missing(records: Records, backends: Sequence[str]) -> str | None:
    """Why one of ``backends`` has no usable run, or None when all have one."""
    for backend in backends:
        if best(records.get(backend, ())) is None:
            return failure(records.get(backend, ()))
    return None


def relative_time(
    target: Target, case: Case, records: Records, slower: str, baseline: str, *, why: str = ""
) -> Result:
    """``slower``'s best median time over ``baseline``'s (1.2 = 20% slower).

    Where the runs were competed with and both backends are serial, the ratio of their
    CPU time per call (which waiting for a core does not inflate) is given beside it.
    """
    method = f"{case.label}: best median of each backend over the rounds, then their ratio"
    reason = _missing(records, (slower, baseline))
    if reason:
        return not_measurable(target, reason, method=method)
    ratio = best_median(records[slower]) / best_median(records[baseline])  # type: ignore[operator]
    figures = {
        **_medians(records, (slower, baseline)),
        **_spread(round_ratios(records[slower], records[baseline])),
    }
    blame = [
        why,
        contention(records[slower], _cores(records[slower])),
        contention(records[baseline], _cores(records[baseline])),
    ]
    serial = _cores(records[slower]) == 1 and _cores(records[baseline]) == 1
    cpu_slower, cpu_baseline = (best_cpu_per_call(records[b]) for b in (slower, baseline))
    if serial and cpu_slower and cpu_baseline:
        figures["cpu_time_ratio"] = cpu_slower / cpu_baseline
        if any(blame[1:]):
            blame.append(f"by CPU time per call the ratio is {cpu_slower / cpu_baseline:.2f}x")
    return judge(target, ratio, why="; ".join(filter(None, blame)), method=method, figures=figures)


def parallel_efficiency(
    target: Target,
    case: Case,
    records: Records,
    parallel: str,
    serial: str,
    capacity: float | None = None,
) -> Result:
    """Speedup of ``parallel`` over ``serial`` divided by the threads it ran with.

    ``capacity`` is the speedup a perfectly balanced compute loop reached on as many
    threads in the same run (see ``roofs``): a miss below it is the kernel's own
    (load balance, extra work); a capacity short of the threads is the machine's.
    """
    method = (
        f"{case.label}: best median of {serial} / best median of {parallel}, "
        "divided by the thread count"
    )
    reason = _missing(records, (parallel, serial))
    if reason:
        return not_measurable(target, reason, method=method)
    speedup = best_median(records[serial]) / best_median(records[parallel])  # type: ignore[operator]
    threads = _cores(records[parallel])
    fastest = best(records[parallel])
    share = cpu_share(fastest) if fastest else None
    figures = {
        **_medians(records, (serial, parallel)),
        "speedup": speedup,
        "threads": threads,
        "parallel_cpu_share": share,
        "parallel_capacity": capacity,
        **_spread(round_ratios(records[serial], records[parallel])),
    }
    if capacity is not None and capacity < CONTENDED_SHARE * threads:
        why = (
            f"the machine could not give it {threads:g} cores: a perfectly balanced compute "
            f"loop reached only {capacity:.2f}x on {threads:g} threads in this run, and "
            f"{parallel} reached {speedup / capacity:.0%} of that"
        )
    elif share is not None and share < threads * CONTENDED_SHARE:
        why = (
            f"{parallel} kept only {share:.2f} of {threads:g} cores busy: idle threads "
            "(load imbalance) or processes competing for the cores"
        )
    else:
        why = (
            f"{parallel} kept its threads busy yet sped up only {speedup:.2f}x: the threads "
            "did extra or slower work (shared caches, memory bandwidth)"
        )
    return judge(target, speedup / threads, why=why, method=method, figures=figures)


def fastest_of(records: Records, backends: Sequence[str]) -> str | None:
    """The backend with the least best median among ``backends`` (None if none ran)."""
    timed = [(best_median(records.get(b, ())), b) for b in backends]
    timed = [(t, b) for t, b in timed if t is not None]
    return min(timed)[1] if timed else None


def roof_fraction(
    target: Target,
    case: Case,
    records: Records,
    backends: Sequence[str],
    *,
    roof: float | None,
    roof_reason: str,
    quantity: str,
    roof_label: str,
) -> Result:
    """The fastest backend's rate (``quantity``: "bytes" or "flops" of the kernel's
    ``work``) as a fraction of ``roof`` (GB/s or GFLOP/s)."""
    method = (
        f"{case.label}: the kernel's {quantity} from its work() over the best median of the "
        f"fastest of {', '.join(backends)}, against {roof_label}"
    )
    winner = fastest_of(records, backends)
    if winner is None:
        return not_measurable(target, _missing(records, backends) or "no run", method=method)
    if not roof:
        return not_measurable(target, roof_reason, method=method)
    work = get_kernel(case.kernel).work(case.size, **dict(case.params))
    amount = work.bytes if quantity == "bytes" else work.flops
    rate = amount / best_median(records[winner]) / 1e9  # type: ignore[operator]
    figures = {
        "backend": winner,
        f"giga{quantity}_per_call": amount / 1e9,
        "rate": rate,
        "roof": roof,
        **_medians(records, backends),
    }
    why = contention(records[winner], _cores(records[winner]))
    return judge(target, rate / roof, why=why, method=method, figures=figures)

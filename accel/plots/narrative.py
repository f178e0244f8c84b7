"""A plain-language reading of one kernel's numbers, for the report under its figures.

Every sentence is computed from the records: which backend wins end to end and by how
much (against CPython and the runner-up), what its first call costs, how the best GPU
backend compares with the best CPU backend and what share of its time moving data
takes, and, from a sweep, the size where the winner changes (where the GPU overtakes
the CPU, with and without transfers).

>>> reading(records, sweep_records)                                # doctest: +SKIP
'At size 1000 (complex128), numba_cpu is fastest end to end: 359 ms per call, 13× ...'
"""

from __future__ import annotations

from collections.abc import Sequence

from ..record import RunRecord
from ..selection import Crossover, crossovers_among
from ..units import factor, seconds
from .style import backend_style

#: A first call this many steady calls long is worth a sentence.
FIRST_CALL_WORTH_SAYING = 10


def is_gpu(backend: str) -> bool:
    return backend_style(backend).gpu


def _fastest(records: Sequence[RunRecord]) -> RunRecord | None:
    return min(records, key=lambda r: r.end_to_end_s, default=None)


def _transfer_share(record: RunRecord) -> float:
    if record.transfer is None or not record.end_to_end_s:
        return 0.0
    return (record.transfer.h2d_s + record.transfer.d2h_s) / record.end_to_end_s


def reading(records: Sequence[RunRecord], sweep: Sequence[RunRecord] = ()) -> str:
    """One paragraph saying what ``records`` (one kernel, one size) and ``sweep`` show."""
    ok = [r for r in records if r.ok and r.end_to_end_s]
    if not ok:
        first = records[0] if records else None
        what = f"{first.kernel} at size {first.size}" if first else "this kernel"
        return f"No backend finished a run of {what}, so there is nothing to compare."
    ranked = sorted(ok, key=lambda r: r.end_to_end_s)
    sentences = [_winner(ranked), _first_call(ranked[0])]
    sentences += _gpu(records, ok)
    sentences += _sweep(sweep)
    sentences += _cpu_transfer(ok)
    sentences += _trust([*records, *sweep])
    return " ".join(s for s in sentences if s)


def _trust(records: Sequence[RunRecord]) -> list[str]:
    """A warning where runs were disturbed or too spread: not numbers to teach from."""
    disturbed = sorted({r.label for r in records if r.disturbed})
    spread = sorted({r.label for r in records if r.trust and not r.disturbed})
    said = []
    if disturbed:
        said.append(
            f"Runs of {', '.join(disturbed)} were disturbed (other work took the CPUs their "
            "threads asked for): measure them again on a quieter machine before teaching "
            "from these numbers."
        )
    if spread:
        said.append(f"The times of {', '.join(spread)} are too spread to trust.")
    return said


def _winner(ranked: list[RunRecord]) -> str:
    best = ranked[0]
    text = (
        f"At size {best.size:,} ({best.dtype}), {best.label} is fastest end to end: "
        f"{seconds(best.end_to_end_s)} per call"
    )
    python = next((r for r in ranked if r.label == "python"), None)
    if python is not None and python is not best:
        text += (
            f", {factor(python.end_to_end_s / best.end_to_end_s)} faster than CPython "
            f"({seconds(python.end_to_end_s)})"
        )
    if len(ranked) > 1:
        second = ranked[1]
        text += (
            f", {factor(second.end_to_end_s / best.end_to_end_s)} ahead of the runner-up, "
            f"{second.label} ({seconds(second.end_to_end_s)})"
        )
    return text + "."


def _first_call(best: RunRecord) -> str:
    """The compile/JIT price of the winner, where its first call costs ten calls or more."""
    if not best.first_call_s or not best.median_s:
        return ""
    calls = best.first_call_s / best.median_s
    if calls < FIRST_CALL_WORTH_SAYING:
        return ""
    return (
        f"Its first call takes {seconds(best.first_call_s)} (compilation, JIT warm-up, first "
        f"touches), as long as {calls:,.0f} steady calls: it pays off in code that calls it often."
    )


def _gpu(records: Sequence[RunRecord], ok: list[RunRecord]) -> list[str]:
    gpus = [r for r in ok if is_gpu(r.backend)]
    cpus = [r for r in ok if not is_gpu(r.backend)]
    if not gpus:
        absent = next((r for r in records if is_gpu(r.backend)), None)
        if absent is None:
            return ["No GPU backend was measured."]
        return [f"No GPU backend ran here ({absent.status}: {absent.reason or 'no reason given'})."]
    gpu = _fastest(gpus)
    share = _transfer_share(gpu)
    text = f"The fastest GPU backend, {gpu.label}, takes {seconds(gpu.end_to_end_s)} end to end"
    if share:
        text += f", {share:.0%} of it moving data to the GPU and back"
    cpu = _fastest(cpus)
    if cpu is None:
        return [text + "."]
    if gpu.end_to_end_s <= cpu.end_to_end_s:
        text += f": {factor(cpu.end_to_end_s / gpu.end_to_end_s)} faster than {cpu.label}"
    else:
        text += f": {factor(gpu.end_to_end_s / cpu.end_to_end_s)} slower than {cpu.label}"
    resident = min(gpus, key=lambda r: r.median_s)
    best_cpu_kernel = min(r.median_s for r in cpus)
    if resident.median_s < best_cpu_kernel <= gpu.end_to_end_s:
        text += (
            f", although its kernel alone ({seconds(resident.median_s)}) beats the CPU: "
            "the transfers decide"
        )
    return [text + "."]


def _sweep(sweep: Sequence[RunRecord]) -> list[str]:
    sizes = sorted({r.size for r in sweep})
    if len(sizes) < 2:
        return []
    span = f"{sizes[0]:,} to {sizes[-1]:,}"
    kernel_only = crossovers_among(sweep, data_on_device=True)
    with_transfers = crossovers_among(sweep, data_on_device=False)
    overtakes = [_gpu_overtakes(kernel_only), _gpu_overtakes(with_transfers)]
    if any(overtakes):
        kernel_text, transfer_text = (
            _where(c) if c else f"at no size from {span}" for c in overtakes
        )
        return [
            f"In the sweep the GPU overtakes the CPU {kernel_text} counting kernel time only, "
            f"and {transfer_text} once transfers are counted."
        ]
    if not kernel_only:
        last = [r for r in sweep if r.ok and r.median_s and r.size == sizes[-1]]
        name = min(last, key=lambda r: r.median_s).label if last else "the same backend"
        return [
            f"In the sweep from size {span}, the fastest backend (kernel time) "
            f"never changes: {name}."
        ]
    changes = "; ".join(
        f"{c.below} → {c.above} {_where(c)}"
        if c.clear
        else f"no clear winner between {c.below} and {c.above} {_where(c)}"
        for c in kernel_only
    )
    return [f"In the sweep from size {span}, the fastest backend (kernel time) changes: {changes}."]


def _gpu_overtakes(found: list[Crossover]) -> Crossover | None:
    return next((c for c in found if c.clear and is_gpu(c.above) and not is_gpu(c.below)), None)


def _where(crossing: Crossover) -> str:
    """``near size 1,450`` or, where no estimate exists, ``between sizes 128 and 256``."""
    if crossing.size:
        return f"near size {crossing.size:,.0f}"
    return f"between sizes {crossing.low:,} and {crossing.high:,}"


def _cpu_transfer(ok: list[RunRecord]) -> list[str]:
    """The largest share of time spent moving data by a backend off the GPU (PyPy's process)."""
    moved = [r for r in ok if r.transfer is not None and not is_gpu(r.backend)]
    if not moved:
        return []
    most = max(moved, key=_transfer_share)
    return [
        f"Moving data costs {most.label} {_transfer_share(most):.0%} of its end-to-end time "
        f"({seconds(most.transfer.h2d_s + most.transfer.d2h_s)} per call)."
    ]

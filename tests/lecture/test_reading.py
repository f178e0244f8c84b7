"""The plain-language reading: the right winner, factor, crossover and transfer share.

Records are built with round numbers, so every figure a sentence must contain is
computed here by hand (in the comments) and checked word for word.
"""

from __future__ import annotations

import re

from accel.plots.narrative import reading
from accel.record import RunRecord, Transfer


def run(backend: str, median: float, *, size: int = 1000, moved: float = 0.0,
        first: float | None = None, status: str = "ok", reason: str = "") -> RunRecord:  # fmt: skip
    """A julia record with every sample equal to ``median`` and ``moved`` s of transfers."""
    return RunRecord(
        kernel="julia",
        backend=backend,
        size=size,
        dtype="complex128",
        status=status,  # type: ignore[arg-type]
        reason=reason,
        samples_s=[median] * 5 if status == "ok" else [],
        first_call_s=first if first is not None else (median if status == "ok" else None),
        transfer=Transfer(moved * 0.75, 1, moved * 0.25, 1) if moved else None,
    )


def test_the_gpu_wins_end_to_end_and_the_sentence_says_by_how_much():
    records = [
        run("python", 0.300),
        run("numpy", 0.030),
        run("numba_cpu", 0.010, first=0.810),
        run("cupy", 0.002, moved=0.006),  # 8 ms end to end, 6 ms of it transfers
    ]
    text = reading(records)
    assert text.startswith("At size 1,000 (complex128), cupy is fastest end to end: 8 ms per call")
    assert "37.5× faster than CPython (300 ms)" in text  # 0.300 / 0.008
    assert "1.25× ahead of the runner-up, numba_cpu (10 ms)" in text  # 0.010 / 0.008
    assert "75% of it moving data to the GPU and back" in text  # 6 ms of 8 ms
    assert "1.25× faster than numba_cpu" in text
    assert "first call" not in text.lower()  # cupy's first call cost no more than a call


def test_the_cpu_wins_because_of_transfers_and_the_reading_says_so():
    records = [
        run("python", 0.300),
        run("numba_cpu", 0.010, first=0.810),  # first call = 81 steady calls
        run("cupy", 0.004, moved=0.016),  # kernel 4 ms beats 10 ms; 20 ms end to end
    ]
    text = reading(records)
    assert "numba_cpu is fastest end to end: 10 ms per call, 30× faster than CPython" in text
    assert "2× ahead of the runner-up, cupy (20 ms)" in text
    assert "Its first call takes 810 ms" in text and "as long as 81 steady calls" in text
    assert "80% of it moving data" in text  # 16 of 20 ms
    assert "2× slower than numba_cpu" in text
    assert "its kernel alone (4 ms) beats the CPU: the transfers decide" in text


def test_no_gpu_here_is_said_with_the_reason():
    records = [
        run("python", 0.300),
        run("numpy", 0.030),
        run("cupy", 0.0, status="unavailable", reason="cupy is not installed"),
    ]
    text = reading(records)
    assert "numpy is fastest end to end: 30 ms per call, 10× faster than CPython" in text
    assert "No GPU backend ran here (unavailable: cupy is not installed)." in text


def test_a_pypy_style_transfer_share_is_reported():
    records = [run("python", 0.300), run("pypy", 0.020, moved=0.020)]  # half of 40 ms moves
    text = reading(records)
    assert "pypy is fastest end to end: 40 ms per call, 7.5× faster than CPython" in text
    assert "Moving data costs pypy 50% of its end-to-end time (20 ms per call)." in text


def test_nothing_finished_is_said_plainly():
    records = [run("python", 0.0, status="failed", reason="boom")]
    assert reading(records) == (
        "No backend finished a run of julia at size 1000, so there is nothing to compare."
    )


def _size(text: str, label: str) -> float:
    found = re.search(rf"near size ([\d,]+) {label}", text)
    assert found, text
    return float(found.group(1).replace(",", ""))


def test_the_sweep_sentence_places_the_gpu_takeover_between_the_right_sizes(synthetic):
    sweep = [r for r in synthetic.records() if r.machine == synthetic.GPU]
    at_800 = [r for r in sweep if r.size == 800]
    text = reading(at_800, sweep)
    # kernel time: numba_cpu wins at 100 (0.1 ms vs 0.21 ms), cupy at 200 (0.24 vs 0.4 ms)
    assert 100 < _size(text, "counting kernel time only") < 200
    # end to end: numba_cpu wins up to 400 (1.6 ms vs 1.64 ms), cupy at 800 (5.96 vs 6.4 ms)
    assert 400 < _size(text, "once transfers are counted") < 800
    # at 800, cupy's 5.96 ms end to end beats numba_cpu's 6.4 ms by 6.4 / 5.96 = 1.07
    assert "cupy is fastest end to end" in text and "1.07× ahead of the runner-up" in text


def test_a_sweep_where_the_gpu_never_wins_end_to_end_says_so(synthetic):
    sweep = [
        r for r in synthetic.records() if r.machine == synthetic.GPU and r.size <= 400
    ]  # up to 400 the transfers keep cupy behind numba_cpu
    text = reading([r for r in sweep if r.size == 400], sweep)
    assert 100 < _size(text, "counting kernel time only") < 200
    assert "and at no size from 100 to 400 once transfers are counted" in text


def test_a_cpu_only_sweep_names_the_change_of_winner():
    sweep = [run("numpy", 1e-4, size=100), run("numba_cpu", 1e-3, size=100)]
    sweep += [run("numpy", 4e-3, size=400), run("numba_cpu", 2e-3, size=400)]
    text = reading([r for r in sweep if r.size == 400], sweep)
    # numpy 0.1 -> 4 ms, numba_cpu 1 -> 2 ms on log-log lines cross where
    # log(0.1) + a·t = log(1) + b·t with a = log 40, b = log 2: t = log 10 / log 20
    expected = 100 * 4 ** (2.302585 / 2.995732)
    said = re.search(r"numpy → numba_cpu near size ([\d,]+)", text)
    assert said, text
    assert abs(float(said.group(1).replace(",", "")) - expected) < 1


def test_disturbed_runs_are_not_taught_from():
    records = [run("python", 0.300), run("numpy", 0.030)]
    records[1].disturbed = "got 0.41 of the 2.00 cores its threads asked for"
    text = reading(records)
    assert (
        "Runs of numpy were disturbed (other work took the CPUs their threads asked for): "
        "measure them again on a quieter machine before teaching from these numbers." in text
    )
    assert "disturbed" not in reading([run("python", 0.300), run("numpy", 0.030)])

"""The benchmark's arithmetic on hand-made records: ratios, best rounds, verdicts, blame."""

from __future__ import annotations

from collections import Counter

import pytest

from benchmarks import figures
from benchmarks.catalogue import Benchmark, Need, plan
from benchmarks.roofs import Roofs
from benchmarks.rounds import (
    Case,
    best_cpu_per_call,
    best_median,
    rotation,
    round_ratios,
)
from benchmarks.session import run_session
from benchmarks.verdict import Target, judge, not_measurable, shortfall

LOWER = Target("numba_vs_c.julia", "within 1.15x", 1.15, "lower", "x")
HIGHER = Target("parallel.julia", "at least 0.85", 0.85, "higher", "")
CASE = Case.of("julia", 200, max_iter=300)


def test_limits_are_inclusive_in_both_directions():
    assert LOWER.met_by(1.15) and not LOWER.met_by(1.1501)
    assert HIGHER.met_by(0.85) and not HIGHER.met_by(0.8499)


@pytest.mark.parametrize(
    ("target", "value", "expected"),
    [
        (LOWER, 1.38, "1.38x against at most 1.15x: 20% over the limit"),
        (LOWER, 2.3, "2.3x against at most 1.15x: 100% over the limit"),
        (HIGHER, 0.68, "0.68 against at least 0.85: 20% short of the limit"),
        (HIGHER, 0.425, "0.425 against at least 0.85: 50% short of the limit"),
    ],
)
def test_shortfall_states_the_miss_as_a_share_of_the_limit(target, value, expected):
    assert shortfall(target, value) == expected


def test_a_pass_has_no_explanation_and_a_miss_carries_the_reason():
    assert judge(LOWER, 1.0, why="slow").explanation == ""
    missed = judge(LOWER, 1.38, why="slow")
    assert missed.status == "fail" and missed.explanation.endswith("; slow")
    assert not_measurable(LOWER, "no run").status == "not measurable"


def test_rotation_puts_every_backend_in_every_position_equally_often():
    backends = ["a", "b", "c"]
    orders = rotation(backends, 6)
    assert all(sorted(order) == backends for order in orders)
    positions = Counter((index, name) for order in orders for index, name in enumerate(order))
    assert set(positions.values()) == {2}  # 6 rounds / 3 positions
    followers = Counter((o[i], o[(i + 1) % 3]) for o in orders for i in range(3))
    assert set(followers.values()) == {3}  # each of the 6 ordered pairs, cyclically
    assert orders[3] == ["c", "b", "a"]  # the second turn runs reversed


def test_a_session_runs_every_case_once_per_round_after_that_rounds_roofs(record):
    """Round-major: roofs, then each case's backends in the round's rotated order."""
    julia, norm = Case.of("julia", 8, max_iter=3), Case.of("norm", 16)
    events = []

    def fake_run(request):
        events.append((request.kernel, request.backend, request.size, request.min_time))
        return record(request.backend, [0.001], kernel=request.kernel, size=request.size)

    def fake_measure(array_bytes):
        events.append("roofs")
        rates = [3.0, 5.0, 4.0]
        return Roofs(cores=2, triad_gbs=rates[events.count("roofs") - 1]), "fingerprint"

    chosen = [
        Benchmark(LOWER, lambda ctx: None, (Need(julia, ("numpy", "python")),), roofs=True),
        Benchmark(HIGHER, lambda ctx: None, (Need(norm, ("numba_cpu",)), Need(julia, ("python",)))),
    ]
    session = run_session(
        plan(True, None),
        chosen,
        rounds=3,
        run=fake_run,
        run_options={"min_time": 0.1},
        measure=fake_measure,
        report=lambda message: None,
    )
    backends = [e if e == "roofs" else e[1] for e in events]
    assert backends == [
        *("roofs", "numpy", "python", "numba_cpu"),
        *("roofs", "python", "numpy", "numba_cpu"),
        *("roofs", "python", "numpy", "numba_cpu"),
    ]
    assert {e[2:] for e in events if e != "roofs"} == {(8, 0.1), (16, 0.1)}
    assert session.context.roofs.triad_gbs == 5.0  # the best round's
    assert [len(runs) for runs in session.context.of(julia).values()] == [3, 3]


def test_best_round_is_the_least_median_of_the_ok_runs(record):
    runs = [
        record("numba_cpu", [3.0, 1.0, 2.0]),  # median 2
        record("numba_cpu", [5.0, 1.5, 1.5]),  # median 1.5
        record("numba_cpu", [9.0], status="failed"),
    ]
    assert best_median(runs) == 1.5
    assert best_median([runs[2]]) is None


def test_round_ratios_pair_runs_of_the_same_round_and_skip_failed_ones(record):
    slow = [record("a", [2.0]), record("a", [3.0]), record("a", [1.0], status="failed")]
    fast = [record("b", [1.0]), record("b", [2.0]), record("b", [1.0])]
    assert round_ratios(slow, fast) == [2.0, 1.5]


def test_relative_time_is_the_ratio_of_best_rounds(record):
    records = {
        "numba_cpu": [record("numba_cpu", [0.30]), record("numba_cpu", [0.24])],
        "c_native": [record("c_native", [0.20]), record("c_native", [0.25])],
    }
    result = figures.relative_time(LOWER, CASE, records, "numba_cpu", "c_native")
    assert result.value == pytest.approx(0.24 / 0.20)
    assert result.status == "fail" and "4% over the limit" in result.explanation  # 1.2 / 1.15
    assert result.figures["round_ratios"] == [1.5, 0.96]


def test_contended_serial_runs_are_blamed_with_their_cpu_time_ratio(record):
    # numba_cpu got half a core: 0.4 s of wall time per call, but 0.2 s of CPU.
    records = {
        "numba_cpu": [record("numba_cpu", [0.4] * 4, cpu_s=0.8, utilisation=0.5)],
        "c_native": [record("c_native", [0.21] * 4, cpu_s=0.84, utilisation=0.99)],
    }
    result = figures.relative_time(LOWER, CASE, records, "numba_cpu", "c_native")
    assert result.status == "fail"
    assert "numba_cpu got at most 0.50 of its 1 core(s)" in result.explanation
    assert result.figures["cpu_time_ratio"] == pytest.approx(0.2 / 0.21)
    assert "by CPU time per call the ratio is 0.95x" in result.explanation
    assert best_cpu_per_call(records["c_native"]) == pytest.approx(0.21)


def test_parallel_efficiency_divides_the_speedup_by_the_threads(record):
    records = {
        "numba_cpu": [record("numba_cpu", [1.0], utilisation=1.0)],
        "numba_parallel": [record("numba_parallel", [0.8], threads=2, utilisation=1.1)],
    }
    result = figures.parallel_efficiency(HIGHER, CASE, records, "numba_parallel", "numba_cpu")
    assert result.value == pytest.approx(1.0 / 0.8 / 2)
    assert result.figures["speedup"] == pytest.approx(1.25)
    assert "kept only 1.10 of 2 cores busy" in result.explanation


def test_a_parallel_miss_within_what_the_machine_allowed_is_blamed_on_the_machine(record):
    records = {
        "numba_cpu": [record("numba_cpu", [1.0], utilisation=1.0)],
        "numba_parallel": [record("numba_parallel", [0.9], threads=2, utilisation=1.2)],
    }
    result = figures.parallel_efficiency(
        HIGHER, CASE, records, "numba_parallel", "numba_cpu", capacity=1.2
    )
    assert result.value == pytest.approx(1 / 0.9 / 2) and result.status == "fail"
    assert "a perfectly balanced compute loop reached only 1.20x on 2 threads" in (
        result.explanation
    )
    assert "numba_parallel reached 93% of that" in result.explanation  # 1.11 / 1.2
    # With the cores free (capacity 1.95) the same figures are the kernel's own miss.
    own = figures.parallel_efficiency(
        HIGHER, CASE, records, "numba_parallel", "numba_cpu", capacity=1.95
    )
    assert "kept only 1.20 of 2 cores busy: idle threads" in own.explanation


def test_a_backend_that_never_ran_makes_the_target_not_measurable(record):
    records = {
        "numba_cpu": [record("numba_cpu", [1.0])],
        "c_native": [record("c_native", [1.0], status="failed")],
    }
    result = figures.relative_time(LOWER, CASE, records, "numba_cpu", "c_native")
    assert result.status == "not measurable" and "c_native failed: it broke" in result.explanation


def test_roof_fraction_counts_the_kernels_bytes_on_its_fastest_backend(record):
    norm = Case.of("norm", 1_000_000)  # 8 MB of float64 read once per call
    records = {
        "numba_parallel": [record("numba_parallel", [0.004], kernel="norm")],
        "numpy": [record("numpy", [0.002], kernel="norm")],
    }
    target = Target("bandwidth.norm", "70% of triad", 0.7, "higher", "")
    result = figures.roof_fraction(
        target,
        norm,
        records,
        ["numba_parallel", "numpy"],
        roof=5.0,
        roof_reason="",
        quantity="bytes",
        roof_label="triad",
    )
    assert result.figures["backend"] == "numpy"
    assert result.figures["rate"] == pytest.approx(8e6 / 0.002 / 1e9)  # 4 GB/s
    assert result.value == pytest.approx(4.0 / 5.0) and result.passed


def test_roof_fraction_without_a_roof_says_why(record):
    matmul = Case.of("matmul", 64)
    records = {"numpy": [record("numpy", [0.001], kernel="matmul")]}
    target = Target("peak.matmul", "70% of peak", 0.7, "higher", "")
    result = figures.roof_fraction(
        target,
        matmul,
        records,
        ["numpy"],
        roof=None,
        roof_reason="flops: probe failed",
        quantity="flops",
        roof_label="peak",
    )
    assert result.status == "not measurable" and result.explanation == "flops: probe failed"


@pytest.mark.parametrize("value", [-4.7, -1e-9, float("nan"), float("-inf")])
@pytest.mark.parametrize("better", ["lower", "higher"])
def test_a_figure_that_cannot_be_negative_is_never_a_pass_when_it_is(value, better):
    """-4.7 ms was once a pass for harness.import_time (a difference of two minima)."""
    verdict = judge(Target("harness.import_time", "", 150.0, better, "ms"), value)
    assert verdict.status == "not measurable" and verdict.value is None
    assert "broken measurement" in verdict.explanation


def test_import_time_is_the_interpreters_own_cumulative_count():
    from benchmarks.harness_costs import import_cost, importtime_s

    report = (
        "import time: self [us] | cumulative | imported package\n"
        "import time:       776 |      32944 | site\n"
        "import time:       128 |        128 |     collections.abc\n"
        "import time:      1205 |       7555 | accel\n"
    )
    assert importtime_s("accel", report) == 0.007555
    with pytest.raises(ValueError):
        importtime_s("accel.cli", report)
    cost = import_cost(runs=3)
    assert len(cost.samples_s) == 3 and all(s > 0 for s in cost.samples_s)
    assert min(cost.samples_s) <= cost.seconds <= max(cost.samples_s)

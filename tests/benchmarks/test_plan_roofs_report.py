"""Choosing targets and sizes, reading the roofs from a probe report, writing the results."""

from __future__ import annotations

import json
import re

import pytest
from accel.hardware.report import (
    BandwidthResult,
    CacheInfo,
    CacheLevel,
    FlopsResult,
    HardwareReport,
    MeasuredFigures,
    TransferResult,
)

from accel.errors import UsageError
from benchmarks.catalogue import Context, catalogue, memory_bound_sizes, plan, select
from benchmarks.report import markdown_table, to_json, to_markdown
from benchmarks.roofs import CopyFigure, Roofs, best_roofs, roofs_from_report
from benchmarks.rounds import Case
from benchmarks.session import Session, merged_needs
from benchmarks.verdict import Target, judge, skipped

MIB = 1024**2


def test_only_selects_targets_by_name_or_group_and_refuses_unknown_names():
    every = catalogue(plan(True, None))
    names = {b.target.name for b in select(every, ["harness", "numba_vs_c.julia"])}
    assert "numba_vs_c.julia" in names and "numba_vs_c.norm" not in names
    assert {n for n in names if n.startswith("harness.")} == {
        b.target.name for b in every if b.target.group == "harness"
    }
    with pytest.raises(UsageError, match="unknown target 'nonsense'; choose from: .*harness"):
        select(every, ["nonsense"])


def test_every_target_of_the_issue_is_in_the_catalogue():
    names = {b.target.name for b in catalogue(plan(False, 480 * MIB))}
    for kernel in ("julia", "diffusion", "norm", "primes"):
        assert f"numba_vs_c.{kernel}" in names
    assert {"parallel.julia", "parallel.primes", "bandwidth.diffusion", "bandwidth.norm"} <= names
    assert {"peak.matmul", "pypy.julia_speedup", "pypy.ship_in", "pypy.ship_out"} <= names
    assert {"harness.import_time", "harness.fastest_call", "harness.loop_numpy"} <= names
    for backend in ("numpy", "torch_cpu"):
        assert {f"library.{backend}_julia", f"library.{backend}_diffusion"} <= names


@pytest.mark.parametrize("llc", [None, 32 * MIB, 480 * MIB])
def test_memory_bound_cases_hold_more_than_the_last_level_cache(llc):
    length, side = memory_bound_sizes(llc)
    floor = max(llc or 0, 256 * MIB)
    assert length * 8 >= floor and length % 1_000_000 == 0
    assert 2 * side * side * 8 >= floor and side % 256 == 0


def test_cases_shared_by_targets_are_measured_once_with_every_backend_they_need():
    chosen = select(catalogue(plan(False, 480 * MIB)), ["numba_vs_c", "parallel", "library"])
    needs = merged_needs(chosen)
    julia = Case.of("julia", 1000, max_iter=300)
    assert sorted(needs[julia]) == sorted(
        ["numba_cpu", "c_native", "numba_parallel", "numpy", "torch_cpu"]
    )
    assert len(needs[julia]) == len(set(needs[julia]))


def _report() -> HardwareReport:
    report = HardwareReport()
    report.host.usable_cpus = 2
    report.caches = CacheInfo(levels=[CacheLevel(3, "unified", size_bytes=32 * MIB)])
    report.measured = MeasuredFigures(
        bandwidth=[
            BandwidthResult("triad", 1, 9.0, 8.0, 5, 24),
            BandwidthResult("triad", 2, 7.5, 7.0, 5, 24),  # all threads, though lower
            BandwidthResult("copy", 2, 12.0, 11.0, 5, 16),
        ],
        flops=[
            FlopsResult("numpy matmul float32 n=2048", "BLAS", 80.0, 70.0, 3),
            FlopsResult("numpy matmul float64 n=2048", "BLAS", 40.0, 35.0, 3),
        ],
        transfers=[TransferResult("h2d", "pinned", 4 * MIB, 20.0, 21.0, 7)],
    )
    return report


def test_roofs_are_the_all_threads_triad_and_the_float64_peak():
    roofs = roofs_from_report(_report())
    assert roofs.triad_gbs == 7.5 and roofs.triad_threads == 2
    assert roofs.peak_gflops == 40.0 and "float64" in roofs.peak_method
    assert roofs.llc_bytes == 32 * MIB and roofs.cores == 2
    assert "gpu" in roofs.reasons  # no device in the report


def test_best_roofs_keep_each_figure_at_its_best_round():
    quiet = Roofs(
        cores=2,
        triad_gbs=9.0,
        triad_threads=2,
        peak_gflops=20.0,
        parallel_capacity=1.9,
        copies=(CopyFigure("h2d", "pinned", MIB, 10.0, 11.0),),
    )
    busy = Roofs(
        cores=2,
        triad_gbs=4.0,
        peak_gflops=150.0,
        parallel_capacity=None,
        copies=(CopyFigure("h2d", "pinned", MIB, 12.0, 12.5),),
        reasons={"capacity": "numba missing"},
    )
    best = best_roofs([busy, quiet])
    assert (best.triad_gbs, best.triad_threads, best.peak_gflops) == (9.0, 2, 150.0)
    assert best.parallel_capacity == 1.9 and "capacity" not in best.reasons
    assert best.copies == (CopyFigure("h2d", "pinned", MIB, 12.0, 12.5),)


def test_roofs_without_measurements_say_why():
    roofs = roofs_from_report(HardwareReport())
    assert roofs.triad_gbs is None and roofs.peak_gflops is None
    assert roofs.reasons["measured"] == "the probe measured nothing"


def test_markdown_table_has_one_row_per_target_with_limit_direction_and_escaped_text():
    results = [
        judge(Target("a.x", "claim | with a pipe", 1.15, "lower", "x"), 1.38, why="slow"),
        judge(Target("b.y", "at least", 0.85, "higher", ""), 0.9),
        skipped(Target("gpu.z", "needs a GPU", 0.9, "higher", ""), "no GPU here"),
    ]
    lines = markdown_table(results).splitlines()
    assert len(lines) == 2 + 3
    assert lines[2].startswith("| a.x | claim \\| with a pipe | 1.38x | <= 1.15x | **FAIL** |")
    assert "20% over the limit; slow" in lines[2]
    assert lines[3].startswith("| b.y | at least | 0.9 | >= 0.85 | pass |")
    assert lines[4] == "| gpu.z | needs a GPU | - | >= 0.9 | skipped | no GPU here |"
    # Every row has as many cells as the header (pipes inside a cell are escaped).
    assert {len(re.split(r"(?<!\\)\|", line)) for line in lines} == {6 + 2}


def test_json_and_markdown_carry_the_machine_the_targets_and_a_summary():
    results = [judge(Target("a.x", "c", 2.0, "lower", "us"), 0.2)]
    session = Session(plan(True, None), 2, Context(), results, "abc123")
    machine = {"fingerprint": "abc123", "cpu": "test CPU", "usable_cpus": 2}
    data = to_json(session, "python -m benchmarks --quick", machine)
    assert json.loads(json.dumps(data, default=str))["summary"] == {
        "pass": 1,
        "fail": 0,
        "not measurable": 0,
        "skipped": 0,
    }
    assert data["targets"][0]["value"] == 0.2 and data["machine"]["cpu"] == "test CPU"
    assert "2 round(s)" in data["method"]
    text = to_markdown(data, results)
    assert "`abc123` (test CPU, 2 usable CPUs" in text and "Targets: 1 pass." in text

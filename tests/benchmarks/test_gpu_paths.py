"""The GPU figures: copy rate against the probe's, resident speedup; shape under the simulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.gpu import h2d_fraction, resident_speedup
from benchmarks.roofs import NO_DEVICE_MEMORY, CopyFigure, Roofs
from benchmarks.rounds import Case
from benchmarks.verdict import Target

REPOSITORY = Path(__file__).resolve().parents[2]
MIB = 1024**2
TARGET = Target("gpu.h2d_pageable_cupy", "within 90% of the probe", 0.9, "higher", "")
CASE = Case.of("norm", 1_000_000)
ROOFS = Roofs(
    cores=2,
    gpu_name="test GPU",
    copies=(
        CopyFigure("h2d", "pageable", 4 * MIB, 10.0, 11.0),
        CopyFigure("h2d", "pageable", 64 * MIB, 12.0, 13.0),
        CopyFigure("h2d", "pinned", 4 * MIB, 24.0, 25.0),
        CopyFigure("d2h", "pageable", 4 * MIB, 9.0, 9.5),
    ),
)


def test_the_probe_figure_is_the_same_host_memory_at_the_nearest_size_not_above():
    assert ROOFS.copy_gbs("h2d", "pageable", 8 * MIB).size_bytes == 4 * MIB
    assert ROOFS.copy_gbs("h2d", "pageable", 64 * MIB).size_bytes == 64 * MIB
    assert ROOFS.copy_gbs("h2d", "pageable", 1024).size_bytes == 4 * MIB  # smallest measured
    assert ROOFS.copy_gbs("h2d", "pinned", 8 * MIB).median_gbs == 24.0
    assert ROOFS.copy_gbs("d2h", "pinned", 8 * MIB) is None


def test_copy_rate_is_compared_with_the_probe_for_its_buffer_kind(record):
    # 8 MB in 1 ms is 8 GB/s; pageable at 4 MiB measured 10 GB/s: 0.8 of it.
    pageable = record("cupy", [0.002], transfer=(0.001, 8_000_000, 0.0005, 8), pinned=False)
    result = h2d_fraction(TARGET, CASE, [pageable], ROOFS)
    assert result.value == pytest.approx(0.8) and result.status == "fail"
    assert result.figures["host_memory"] == "pageable" and result.figures["probe_gbs"] == 10.0
    # The same run from pinned memory is set against the pinned figure (24 GB/s).
    pinned = record("cupy", [0.002], transfer=(0.001, 8_000_000, 0.0005, 8), pinned=True)
    assert h2d_fraction(TARGET, CASE, [pinned], ROOFS).value == pytest.approx(8 / 24)


def test_the_fastest_round_counts_and_resident_speedup_is_end_to_end_over_kernel(record):
    slow = record("cupy", [0.002], transfer=(0.004, 8_000_000, 0.001, 8), pinned=False)
    fast = record("cupy", [0.002], transfer=(0.0008, 8_000_000, 0.001, 8), pinned=False)
    result = h2d_fraction(TARGET, CASE, [slow, fast], ROOFS)
    assert result.figures["rate_gbs"] == pytest.approx(10.0) and result.passed  # 8 MB / 0.8 ms
    assert resident_speedup(fast) == pytest.approx((0.002 + 0.0008 + 0.001) / 0.002)


def test_without_a_probe_figure_the_target_is_not_measurable_and_says_why(record):
    run = record("cupy", [0.002], transfer=(0.001, 8_000_000, 0.0005, 8), pinned=False)
    result = h2d_fraction(TARGET, CASE, [run], Roofs(cores=2, reasons={"copies": "no CUDA"}))
    assert result.status == "not measurable" and result.explanation == "no CUDA"
    failed = record("cupy", [], status="failed")
    assert h2d_fraction(TARGET, CASE, [failed], ROOFS).status == "not measurable"


SIMULATED_SESSION = """
import dataclasses, json, sys
sys.path.insert(0, sys.argv[1])
import accel
from benchmarks.catalogue import catalogue, plan, select
from benchmarks.roofs import NO_DEVICE_MEMORY, CopyFigure, Roofs
from benchmarks.rounds import Case
from benchmarks.session import run_session

tiny = dataclasses.replace(
    plan(True, None),
    norm_memory=Case.of("norm", 2048),
    diffusion_memory=Case.of("diffusion", 16, steps=2),
    matmul=Case.of("matmul", 8),
)
roofs = Roofs(cores=2, gpu_name="simulator",
              copies=(CopyFigure("h2d", "pageable", 1024, 1.0, 1.0),
                      CopyFigure("h2d", "pinned", 1024, 2.0, 2.0)),
              reasons={"gpu_memory": NO_DEVICE_MEMORY, "gpu_peak": NO_DEVICE_MEMORY})
session = run_session(
    tiny, select(catalogue(tiny), ["gpu"]), rounds=1,
    run_options={"counters": False, "repeats": 2},
    measure=lambda array_bytes: (roofs, "simulated"), report=lambda message: None,
)
print(json.dumps([r.to_dict() for r in session.results]))
"""


@pytest.mark.slow
def test_gpu_targets_take_their_figures_from_simulated_numba_cuda_runs():
    done = subprocess.run(
        [sys.executable, "-c", SIMULATED_SESSION, str(REPOSITORY)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NUMBA_ENABLE_CUDASIM": "1"},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    results = {r["name"]: r for r in json.loads(done.stdout.splitlines()[-1])}
    for kind, probe_gbs in (("pageable", 1.0), ("pinned", 2.0)):
        simulated = results[f"gpu.h2d_{kind}_numba_cuda"]
        assert simulated["status"] in ("pass", "fail"), simulated["explanation"]
        assert simulated["figures"]["host_memory"] == kind
        assert simulated["figures"]["bytes"] == 2048 * 8  # the float64 vector
        rate = simulated["figures"]["rate_gbs"]
        assert simulated["value"] == pytest.approx(rate / probe_gbs)  # the probe's figure
        assert simulated["figures"]["resident_speedup"] > 1.0
    for backend in ("cupy", "torch_cuda"):  # not runnable here: no figure, and why
        for kind in ("pageable", "pinned"):
            result = results[f"gpu.h2d_{kind}_{backend}"]
            assert result["status"] == "not measurable"
            assert result["explanation"].startswith(f"{backend} unavailable")
    for name in ("gpu.bandwidth_norm", "gpu.bandwidth_diffusion", "gpu.peak_matmul"):
        assert results[name]["status"] == "not measurable"
        assert results[name]["explanation"] == NO_DEVICE_MEMORY
        assert results[name]["figures"] == {}

"""Selection against real measurements on this machine, and the cache that spares them."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

import accel
from accel.selection import NoBackendError, fastest
from accel.store import Store

pytestmark = pytest.mark.slow  # measures every backend at several sizes

BACKENDS = ["python", "numpy"]
#: (kernel, size) pairs where CPython's per-call cost beats NumPy's overhead (tiny
#: sizes) and where NumPy's vectorised loops win by far (larger sizes); measured here
#: at more than 5x apart either way, so noise cannot swap the winner.
CASES = [("julia", 8), ("julia", 200), ("diffusion", 2), ("diffusion", 64)]
MIN_GAP = 2.0


@pytest.fixture(scope="module")
def exhaustive() -> dict[tuple[str, int], dict[str, float]]:
    """End-to-end time of every backend at every case, measured by accel.run directly."""
    times = {}
    for kernel, size in CASES:
        times[(kernel, size)] = {}
        for backend in BACKENDS:
            record = accel.run(kernel, backend, size=size, min_time=0.2, store=False)
            assert record.ok, f"{kernel}/{backend} at {size}: {record.status}: {record.reason}"
            times[(kernel, size)][backend] = record.end_to_end_s
    return times


@pytest.fixture(scope="module")
def selected(tmp_path_factory) -> tuple[Path, dict[tuple[str, int], accel.Selected]]:
    """fastest() for every case on an empty store: it has to measure everything."""
    store = tmp_path_factory.mktemp("selection") / "results.sqlite"
    return store, {case: fastest(*case, backends=BACKENDS, store=store) for case in CASES}


def test_fastest_picks_what_an_exhaustive_measurement_finds_fastest(exhaustive, selected):
    _, chosen = selected
    for kernel in {k for k, _ in CASES}:
        winners = {
            min(exhaustive[case], key=exhaustive[case].get) for case in CASES if case[0] == kernel
        }
        assert len(winners) == 2, f"{kernel}: the same backend wins at both sizes: {exhaustive}"
    for case in CASES:
        times = exhaustive[case]
        best = min(times, key=times.get)
        gap = max(times.values()) / min(times.values())
        assert gap >= MIN_GAP, f"{case}: backends only {gap:.1f}x apart here: {times}"
        assert chosen[case].backend == best, f"{case}: chose {chosen[case].backend}, {times}"
        assert sorted(chosen[case].measured) == sorted(BACKENDS)
        assert {r.backend for r in chosen[case].evidence} == set(BACKENDS)


CACHE_HIT = """
import json, subprocess, sys
from accel.identity import machine_fingerprint

machine_fingerprint()  # the hardware probe may run helper programs; it is not selection
import accel

started = []
def refuse(self, args, *rest, **options):
    started.append(str(args))
    raise AssertionError(f"a process was started: {args}")
subprocess.Popen.__init__ = refuse

chosen = accel.fastest(sys.argv[1], int(sys.argv[2]), backends=sys.argv[3].split(","),
                       store=sys.argv[4])
print(json.dumps({"backend": chosen.backend, "measured": chosen.measured, "started": started}))
"""


def test_a_fresh_process_answers_from_the_store_without_measuring_or_writing(selected, digest):
    store, chosen = selected
    wal = Path(f"{store}-wal")
    with Store(store, readonly=True) as opened:
        rows = opened.count()
    before = digest(store)
    for case in CASES:
        kernel, size = case
        result = subprocess.run(
            [sys.executable, "-c", CACHE_HIT, kernel, str(size), ",".join(BACKENDS), str(store)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        answer = json.loads(result.stdout)
        assert answer["started"] == [] and answer["measured"] == []
        assert answer["backend"] == chosen[case].backend
    assert digest(store) == before
    assert not wal.exists() or wal.stat().st_size == 0, "something was written to the WAL"
    with Store(store, readonly=True) as opened:
        assert opened.count() == rows


def test_the_budget_bounds_measuring_and_what_does_not_fit_is_skipped_not_stored(
    store_file: Path,
):
    # The run's timeout was its share of the budget (so measuring stopped there), and the
    # run that did not finish within it is skipped, not stored.
    with pytest.raises(NoBackendError, match=r"python: not measured: .* 0.3 s share of the 0.3 s"):
        fastest("julia", 200, backends=["python"], budget_s=0.3, store=store_file)
    with Store(store_file, readonly=True) as opened:
        assert opened.count() == 0


def test_sweep_stores_every_size_and_select_interpolates_between_them(store_file: Path, accel_cli):
    sweep = accel_cli(
        "sweep", "julia", "--sizes", "200,8", "--backends", ",".join(BACKENDS),
        "--min-time", "0.05", "--no-counters", "--store", str(store_file),
    )  # fmt: skip
    assert sweep.returncode == 0, sweep.stderr
    with Store(store_file, readonly=True) as opened:
        runs = {(r.record.backend, r.record.size): r.record for r in opened.runs()}
    assert set(runs) == {(b, s) for b in BACKENDS for s in (8, 200)}
    assert all(r.ok for r in runs.values())

    def law(backend: str, size: int) -> float:  # the straight line through both points, log-log
        low, high = runs[(backend, 8)].end_to_end_s, runs[(backend, 200)].end_to_end_s
        return low * (size / 8) ** (math.log(high / low) / math.log(200 / 8))

    crossing = [line for line in sweep.stdout.splitlines() if "transfers counted" in line]
    assert crossing and "python -> numpy near size" in crossing[0], sweep.stdout
    at = float(crossing[0].split("near size ")[1].split()[0])
    assert 8 < at < 200 and law("python", round(at)) == pytest.approx(
        law("numpy", round(at)), rel=0.05
    )

    select = accel_cli(
        "select", "julia", "--size", "40", "--backends", ",".join(BACKENDS),
        "--budget", "0", "--json", "--store", str(store_file),
    )  # fmt: skip
    assert select.returncode == 0, select.stderr
    answer = json.loads(select.stdout)
    assert answer["measured"] == []
    times = {e["backend"]: e["seconds"] for e in answer["ranking"]}
    for backend in BACKENDS:
        assert times[backend] == pytest.approx(law(backend, 40), rel=1e-9)
    assert answer["backend"] == min(BACKENDS, key=lambda b: law(b, 40))

    text = accel_cli(
        "select", "julia", "--size", "40", "--backends", ",".join(BACKENDS),
        "--budget", "0", "--store", str(store_file),
    ).stdout  # fmt: skip
    assert f"choice     {answer['backend']}" in text and "runner-up" in text
    assert "interpolated between run" in text and "(size 8)" in text and "(size 200)" in text


def test_run_stores_the_record_it_prints_unless_told_not_to(tmp_path: Path, accel_cli):
    kept, skipped = tmp_path / "kept.sqlite", tmp_path / "skipped.sqlite"
    common = ["run", "julia", "--backend", "numpy", "--size", "8", "--repeats", "3", "--json"]
    printed = json.loads(accel_cli(*common, "--store", str(kept)).stdout)
    accel_cli(*common, "--store", str(skipped), "--no-store")
    with Store(kept, readonly=True) as opened:
        (stored,) = opened.runs()
    assert stored.record.to_dict() == printed
    assert not skipped.exists()

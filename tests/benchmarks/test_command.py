"""``python -m benchmarks`` end to end: a quick run of the harness targets, and bad options."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
HARNESS_TARGETS = {
    "harness.loop_numpy",
    "harness.loop_pypy",
    "harness.import_time",
    "harness.import_heavy",
    "harness.fastest_call",
}


def _benchmarks(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "benchmarks", *args],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ),
    )


@pytest.mark.slow
def test_quick_harness_run_writes_json_and_markdown_with_every_harness_target(tmp_path):
    done = _benchmarks("--quick", "--only", "harness", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr[-2000:]
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["schema"] == 1 and data["quick"] is True and data["rounds"] == 2
    assert data["machine"]["fingerprint"] and data["machine"]["usable_cpus"] >= 1
    assert data["versions"]["accel"] and data["versions"]["python"]
    targets = {t["name"]: t for t in data["targets"]}
    assert set(targets) == HARNESS_TARGETS
    assert sum(data["summary"].values()) == len(HARNESS_TARGETS)
    for target in targets.values():
        assert target["status"] in ("pass", "fail", "not measurable", "skipped")
        if target["status"] in ("pass", "fail"):
            assert isinstance(target["value"], (int, float)) and target["value"] >= 0
            assert target["method"]
        if target["status"] != "pass":
            assert target["explanation"], target["name"]
    # The empty kernel ran through the runner, two rounds on each backend it was asked on.
    empty = [run for run in data["runs"] if run["kernel"] == "bench_empty"]
    assert {run["backend"] for run in empty} >= {"numpy"}
    assert all(len(run["rounds"]) == 2 for run in empty)
    loop = targets["harness.loop_numpy"]
    numpy_run = next(run for run in empty if run["backend"] == "numpy")
    assert loop["value"] == pytest.approx(numpy_run["best_median_s"] * 1e6)
    table = (tmp_path / "results.md").read_text()
    rows = [line for line in table.splitlines() if line.startswith("| harness.")]
    assert len(rows) == len(HARNESS_TARGETS)
    # One printed line per target, then where the results went.
    assert done.stdout.splitlines()[-1].startswith("wrote ")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--only", "nonsense"), "unknown target 'nonsense'; choose from:"),
        (("--rounds", "0"), "rounds must be a whole number of at least 1"),
    ],
)
def test_bad_options_print_one_line_and_exit_2(args, message, tmp_path):
    done = _benchmarks(*args, "--out", str(tmp_path))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("python -m benchmarks: error: ")
    assert message in lines[0]
    assert not (tmp_path / "results.json").exists()

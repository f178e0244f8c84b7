"""The fleet on a real two-machine Dask cluster (tests/fleet/conftest.py): listing, a comparison
whose records come home under each machine's fingerprint, resume, and a machine that dies."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from accel.store import Store

pytestmark = pytest.mark.slow

FAST = ["--backends", "numpy,python", "--preset", "S", "--repeats", "3", "--min-time", "0.01"]


def fleet_listing(accel_cli, cluster) -> dict[str, dict]:
    listed = accel_cli("fleet", cluster.address, "--json")
    assert listed.returncode == 0, listed.stderr
    return {row["name"]: row for row in json.loads(listed.stdout)}


def test_fleet_lists_both_machines_with_their_own_fingerprints(accel_cli, cluster):
    machines = fleet_listing(accel_cli, cluster)
    assert sorted(machines) == ["alpha", "beta"]
    # Each worker's fingerprint is what the probe gives on that host under that label:
    # computed here, independently, with the label set as the worker has it.
    for label, row in machines.items():
        here = subprocess.run(
            [sys.executable, "-c", "from accel.hardware import fingerprint; print(fingerprint())"],
            capture_output=True,
            text=True,
            env={**os.environ, "ACCEL_MACHINE_LABEL": label},
            check=True,
        )
        assert row["fingerprint"] == here.stdout.strip()
    assert machines["alpha"]["fingerprint"] != machines["beta"]["fingerprint"]
    # The same host: the same hardware once the label is set aside.
    assert machines["alpha"]["hardware"] == machines["beta"]["hardware"]
    assert machines["alpha"]["backends"]["numpy"] is None  # available there
    table = accel_cli("fleet", cluster.address)
    assert table.returncode == 0 and "alpha" in table.stdout and "beta" in table.stdout


def test_compare_on_the_cluster_stores_both_machines_runs(accel_cli, cluster, tmp_path):
    store = tmp_path / "fleet.sqlite"
    machines = fleet_listing(accel_cli, cluster)
    on_cluster = ["--cluster", cluster.address, "--store", str(store)]
    result = accel_cli("compare", "julia", *FAST, *on_cluster)
    assert result.returncode == 0, result.stderr
    assert "machines side by side" in result.stdout
    with Store(store, readonly=True) as kept:
        runs = [run.record for run in kept.runs()]
        reports = {m["fingerprint"]: m["report"] for m in kept.machines()}
    by_machine = {}
    for record in runs:
        by_machine.setdefault(record.machine, set()).add((record.backend, record.status))
    expected = {(backend, "ok") for backend in ("numpy", "python")}
    assert by_machine == {
        machines["alpha"]["fingerprint"]: expected,
        machines["beta"]["fingerprint"]: expected,
    }
    # Each machine's hardware report came home with its label.
    for label in ("alpha", "beta"):
        assert reports[machines[label]["fingerprint"]]["host"]["label"] == label
    # The two machines computed the same kernel: the checks agree with the reference.
    assert all(record.check and record.check.passed for record in runs)

    # The stored runs of both machines side by side, by label or all, with a figure.
    figure = tmp_path / "machines.png"
    stored = accel_cli(
        "compare", "julia", "--from-store", "--machine", "all", "--store", str(store),
        "--plot", str(figure),
    )  # fmt: skip
    assert stored.returncode == 0, stored.stderr
    side_by_side = stored.stdout.split("machines side by side")[1].splitlines()
    assert [line.split()[0] for line in side_by_side[2:4]] == ["alpha", "beta"]
    assert figure.read_bytes().startswith(b"\x89PNG")
    by_label = accel_cli(
        "compare", "julia", "--from-store", "--machine", "beta,alpha", "--store", str(store)
    )
    assert by_label.returncode == 0, by_label.stderr
    assert "julia on beta" in by_label.stdout and "julia on alpha" in by_label.stdout

    # The lecture report of one machine puts the other beside it.
    report = tmp_path / "report.md"
    written = accel_cli(
        "report", "--markdown", str(report), "--machine", "alpha", "--store", str(store)
    )
    assert written.returncode == 0, written.stderr
    beside = report.read_text().split("Machines side by side:")[1].splitlines()
    assert [row.split("|")[1].strip() for row in beside[4:6]] == ["alpha", "beta"]

    # --resume measures only what is missing: nothing here.
    again = accel_cli(
        "compare", "julia", *FAST, "--cluster", cluster.address, "--store", str(store),
        "--resume", "--json",
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    with Store(store, readonly=True) as kept:
        assert kept.count() == len(runs)


def compare_in_background(cluster, store) -> subprocess.Popen:
    """``accel compare julia`` at M (long enough to be caught mid-run) on the cluster."""
    command = [
        sys.executable, "-m", "accel", "compare", "julia", "--backends", "python,numpy",
        "--preset", "M", "--repeats", "3", "--cluster", cluster.address, "--store", str(store),
        "--json",
    ]  # fmt: skip
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def until_measuring(cluster, process: subprocess.Popen, worker: str | None = None) -> bool:
    """Wait until ``worker`` (any, where None) measures; False if it never did in 2 min."""
    from distributed import Client

    with Client(cluster.address, timeout=20) as watcher:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            busy = watcher.processing()
            tasks = busy.get(worker) or [] if worker else [t for ts in busy.values() for t in ts]
            if any("measure_here" in str(task) for task in tasks):
                return True
            time.sleep(0.1)
    return False


def test_a_machine_that_dies_mid_run_leaves_rows_that_say_why(
    accel_cli, cluster_to_break, tmp_path
):
    """Kill beta's worker while it measures: its rows fail with the reason, alpha's are kept."""
    cluster = cluster_to_break
    store = tmp_path / "dying.sqlite"
    machines = fleet_listing(accel_cli, cluster)
    beta_worker = machines["beta"]["worker"]
    process = compare_in_background(cluster, store)
    killed = until_measuring(cluster, process, beta_worker)
    if killed:
        cluster.kill("beta")
    stdout, stderr = process.communicate(timeout=600)
    assert killed, f"beta never started measuring: {stderr[-2000:]}"
    records = json.loads(stdout)
    beta = [r for r in records if r["machine"] == machines["beta"]["fingerprint"]]
    alpha = [r for r in records if r["machine"] == machines["alpha"]["fingerprint"]]
    assert sorted(r["backend"] for r in beta) == ["numpy", "python"]
    assert all(r["status"] == "failed" for r in beta)
    assert all("machine beta" in r["reason"] for r in beta)
    assert any("during the run" in r["reason"] for r in beta)
    assert sorted((r["backend"], r["status"]) for r in alpha) == [("numpy", "ok"), ("python", "ok")]
    assert process.returncode == 1  # a failed row makes the command fail, as locally
    with Store(store, readonly=True) as kept:
        assert kept.count() == 4  # every row, finished or not, is kept


def test_hardware_on_the_cluster_shows_and_keeps_each_machines_report(accel_cli, cluster, tmp_path):
    store = tmp_path / "reports.sqlite"
    machines = fleet_listing(accel_cli, cluster)
    shown = accel_cli("hardware", "--cluster", cluster.address, "--store", str(store), "--json")
    assert shown.returncode == 0, shown.stderr
    documents = {d["machine"]: d for d in json.loads(shown.stdout)}
    assert sorted(documents) == ["alpha", "beta"]
    for label, document in documents.items():
        assert document["fingerprint"] == machines[label]["fingerprint"]
        assert document["host"]["label"] == label
    with Store(store, readonly=True) as kept:
        assert {m["fingerprint"] for m in kept.machines()} == {
            machines["alpha"]["fingerprint"],
            machines["beta"]["fingerprint"],
        }
    picked = accel_cli("hardware", "--cluster", cluster.address, "--machines", "beta", "--no-store")
    assert picked.returncode == 0, picked.stderr
    assert "== machine beta" in picked.stdout and "== machine alpha" not in picked.stdout
    wrong = accel_cli("hardware", "--cluster", cluster.address, "--machines", "gamma")
    assert wrong.returncode == 2
    assert wrong.stderr.startswith("accel: error:") and "alpha" in wrong.stderr


def test_no_scheduler_is_a_one_line_error(accel_cli):
    result = accel_cli("compare", "julia", "--cluster", "tcp://127.0.0.1:9", "--no-store")
    assert result.returncode == 2
    assert result.stderr.startswith("accel: error: cannot reach the Dask scheduler")
    assert len(result.stderr.strip().splitlines()) == 1


def test_selftest_on_the_cluster_checks_each_machine(accel_cli, cluster):
    result = accel_cli(
        "selftest", "--kernels", "norm", "--cluster", cluster.address, "--json", timeout=900
    )
    records = json.loads(result.stdout)
    machines = fleet_listing(accel_cli, cluster)
    for label in ("alpha", "beta"):
        mine = [r for r in records if r["machine"] == machines[label]["fingerprint"]]
        tried = {(r["backend"], r["dtype"]) for r in mine}
        # norm in both its dtypes on every backend, on each machine
        assert ("numpy", "float64") in tried and ("numpy", "float32") in tried
        assert all(r["status"] in ("ok", "unavailable") for r in mine), mine
    assert result.returncode == 0, result.stderr


def test_a_spread_sweep_measures_each_size_on_one_machine(accel_cli, cluster, tmp_path):
    store = tmp_path / "spread.sqlite"
    machines = fleet_listing(accel_cli, cluster)
    sizes = [40, 60, 80, 100]
    result = accel_cli(
        "sweep", "julia", "--sizes", ",".join(map(str, sizes)), "--backends", "numpy",
        "--repeats", "3", "--cluster", cluster.address, "--spread", "--store", str(store),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "spread over machines alpha, beta" in result.stdout
    with Store(store, readonly=True) as kept:
        records = [run.record for run in kept.runs()]
    where = {record.size: record.machine for record in records}
    assert sorted(where) == sizes and len(records) == len(sizes)  # each size once
    # alpha and beta share their hardware, so the sizes alternate between them
    assert sorted(where.values()) == sorted(
        [machines["alpha"]["fingerprint"], machines["beta"]["fingerprint"]] * 2
    )
    assert all(record.status == "ok" for record in records)
    unspread = accel_cli("sweep", "julia", "--sizes", "40", "--spread")
    assert unspread.returncode == 2 and "--cluster" in unspread.stderr


def test_a_scheduler_that_goes_away_leaves_rows_that_say_why(accel_cli, cluster_to_break, tmp_path):
    """Kill the scheduler mid-run: every unfinished run is a failed row naming it."""
    cluster = cluster_to_break
    store = tmp_path / "orphaned.sqlite"
    process = compare_in_background(cluster, store)
    until_measuring(cluster, process)
    os.killpg(cluster.scheduler.pid, signal.SIGKILL)
    stdout, stderr = process.communicate(timeout=600)
    records = json.loads(stdout)
    assert len(records) == 4, stderr[-2000:]  # two machines x two backends, none lost
    gone = [r for r in records if r["status"] == "failed"]
    assert gone and all("scheduler" in r["reason"] and "went away" in r["reason"] for r in gone)
    with Store(store, readonly=True) as kept:
        assert kept.count() == 4

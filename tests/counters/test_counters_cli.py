"""The command line with counters: the run block, the compare columns and counter view,
and runs that complete with the reason where perf is missing, forbidden or blind.
"""

from __future__ import annotations

import json
import os
import sys
import textwrap

import pytest
from accel.kernels import kernel_names

from accel.counters import probe

VENV_BIN = os.path.dirname(sys.executable)


def _fake_perf(tmp_path, body: str) -> str:
    """An executable standing in for perf, written in Python."""
    path = tmp_path / "perf"
    path.write_text(f"#!{sys.executable}\n" + textwrap.dedent(body))
    path.chmod(0o755)
    return str(path)


def _seconds(value: str, unit: str) -> float:
    """A duration as the CLI prints it ("8.87 ms") in seconds."""
    return float(value) * {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}[unit]


def _record(result) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


QUICK_RUN = ("run", "julia", "--backend", "numpy", "--size", "40", "--repeats", "3")


def test_run_prints_a_counters_block_and_process_figures(accel_cli, perf_counts_software):
    result = accel_cli(
        *QUICK_RUN, "--counter-source", "perf", "--events", "task-clock,page-faults,cycles"
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "counters     timed repetitions only (3 calls), by perf stat" in lines
    task_clock = next(line.split() for line in lines if line.strip().startswith("task-clock"))
    total, per_call = _seconds(*task_clock[1:3]), _seconds(*task_clock[3:5])
    assert per_call == pytest.approx(total / 3, rel=0.01)
    assert any(line.startswith("process      CPU ") and " cores; " in line for line in lines)


def test_a_run_without_perf_on_path_completes_and_says_why(accel_cli):
    result = accel_cli(*QUICK_RUN, "--counters", "--json", env={"PATH": VENV_BIN, "ACCEL_PERF": ""})
    record = _record(result)
    assert record["status"] == "ok"
    assert record["counters"] is None
    assert record["counters_reason"].startswith("perf is not on PATH: install perf")
    assert record["process"]["cpu_s"] > 0  # process figures do not need perf


def test_a_run_where_perf_is_not_permitted_completes_and_says_why(accel_cli, tmp_path):
    perf = _fake_perf(
        tmp_path,
        """
        import sys
        sys.stderr.write(
            "Error:\\nAccess to performance monitoring and observability operations is limited.\\n"
            "Consider adjusting /proc/sys/kernel/perf_event_paranoid setting to open\\n"
            "perf_event_paranoid setting is 4:\\n"
        )
        sys.exit(255)
        """,
    )
    record = _record(
        accel_cli(*QUICK_RUN, "--counter-source", "perf", "--json", env={"ACCEL_PERF": perf})
    )
    assert record["status"] == "ok" and record["counters"] is None
    assert (
        "perf is not permitted to count here (kernel.perf_event_paranoid is"
        in (record["counters_reason"])
    )


def test_a_run_where_no_event_exists_completes_and_says_why(accel_cli, tmp_path):
    perf = _fake_perf(
        tmp_path,
        """
        import sys
        args = sys.argv[1:]
        events = args[args.index("-e") + 1].split(",")
        with open(args[args.index("-o") + 1], "w") as out:
            out.writelines(f"<not supported>,,{e},0,100.00,,\\n" for e in events)
        """,
    )
    result = accel_cli(
        *QUICK_RUN,
        "--counter-source",
        "perf",
        "--events",
        "cycles,instructions",
        "--json",
        env={"ACCEL_PERF": perf},
    )
    record = _record(result)
    assert record["status"] == "ok" and record["counters"] is None
    assert record["counters_reason"] == (
        "no requested event counts here: cycles, instructions: "
        "not supported by this CPU/VM (perf reports <not supported>)"
    )


def test_bad_events_are_one_line_and_exit_code_2(accel_cli):
    result = accel_cli(*QUICK_RUN, "--events", "cycles;reboot")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "events must be perf event names" in result.stderr


def test_compare_shows_transfer_share_and_counter_columns(accel_cli, perf_counts_software):
    result = accel_cli(
        "compare", "julia", "--size", "40", "--repeats", "3", "--backends", "numpy,pypy"
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    header = lines[1]
    for name in ("transfer", "cache misses/call", "IPC", "check"):
        assert name in header
    rows = {line.split()[0]: line for line in lines[2:4]}
    cut = slice(header.index("transfer"), header.index("cache misses/call"))
    assert rows["numpy"][cut].strip() == "none"
    if "unavailable" not in rows["pypy"]:
        share = rows["pypy"][cut].strip()
        assert share.endswith("%") and 0 < int(share[:-1]) < 100
    if probe(("cache-misses",)).statuses.get("cache-misses") == "not supported":
        assert "unsupported" in rows["numpy"][header.index("cache misses/call") :]
        assert any(line.startswith("counters: ") and "cache-misses" in line for line in lines)


def test_compare_counter_view_shows_per_call_counts(accel_cli, perf_counts_software):
    # Size S, not smaller: at size 40 NumPy is all per-iteration overhead and the gap ~2x.
    result = accel_cli(
        "compare", "julia", "--preset", "S", "--repeats", "3", "--backends", "python,numpy",
        "--counters", "--events", "task-clock,page-faults",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    header = lines[1]
    assert header.split()[:5] == [
        "backend", "status", "median", "task-clock/call", "page-faults/call"
    ]  # fmt: skip
    cut = slice(header.index("task-clock/call"), header.index("page-faults/call"))
    per_call = {line.split()[0]: _seconds(*line[cut].split()) for line in lines[2:4]}
    # The interpreter loop costs far more CPU per call than the vectorised version.
    assert per_call["python"] > 3 * per_call["numpy"]


def test_compare_without_counters_leaves_the_columns_out(accel_cli):
    result = accel_cli(
        "compare", "julia", "--size", "40", "--repeats", "3", "--backends", "numpy", "--no-counters"
    )
    assert result.returncode == 0, result.stderr
    assert "IPC" not in result.stdout and "transfer" in result.stdout.splitlines()[1]
    assert "counters: counters not requested (use --counters)" in result.stdout


def test_the_books_cache_miss_lesson(accel_cli):
    found = probe(("cache-misses",))
    if found.statuses.get("cache-misses") != "counted":
        pytest.skip(f"cache-misses cannot be counted here: {found.reason or found.statuses}")
    if "diffusion" not in kernel_names():
        pytest.skip("the diffusion kernel is not in the catalogue yet")
    result = accel_cli(
        "compare", "diffusion", "--preset", "S", "--repeats", "3",
        "--backends", "python,numpy,numba_cpu", "--counters", "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    misses = {
        r["backend"]: r["counters"]["events"]["cache-misses"]["per_call"]
        for r in json.loads(result.stdout)
    }
    assert misses["python"] > 5 * misses["numpy"]
    assert misses["python"] > 5 * misses["numba_cpu"]

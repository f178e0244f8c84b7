"""Bad input wherever a user types it: one line on stderr, exit code 2, nothing run or stored.

The command line runs in this process (``accel.cli.main``) with the worker replaced by
a tripwire, so a mistake that slipped through to a measurement fails the test.
"""

from __future__ import annotations

import os
import re
import sqlite3
from pathlib import Path

import pytest

from accel.record import RunRecord
from accel.store import SCHEMA_VERSION, Store

NO_STORE_YET = "{store}"  # replaced by a path in tmp_path that must still not exist afterwards


pytestmark = pytest.mark.usefixtures("no_worker_may_start")


MEASURE = ["run", "julia", "--backend", "numpy"]

BAD_ARGUMENTS = {
    "unknown kernel": (["run", "nope", "--backend", "numpy"], "unknown kernel 'nope'; choose"),
    "unknown backend": (["run", "julia", "--backend", "gpu9000"], "unknown backend 'gpu9000'"),
    "unknown backend in a list": (
        ["compare", "julia", "--backends", "numpy,gpu9000"],
        "unknown backend 'gpu9000'",
    ),
    "size zero": ([*MEASURE, "--size", "0"], "size must be a positive whole number, got 0"),
    "size negative": ([*MEASURE, "--size", "-5"], "size must be a positive whole number"),
    "size not a number": ([*MEASURE, "--size", "big"], "invalid int value: 'big'"),
    "unknown preset": ([*MEASURE, "--preset", "XL"], "choose one of: S, M, L, book"),
    "unknown dtype": ([*MEASURE, "--dtype", "int8"], "unknown dtype for julia 'int8'"),
    "threads zero": ([*MEASURE, "--threads", "0"], "threads must be a whole number of at least 1"),
    "threads negative": ([*MEASURE, "--threads", "-3"], "threads must be a whole number"),
    "threads beyond the machine": ([*MEASURE, "--threads", str(10**9)], "threads must be at most"),
    "seed negative": ([*MEASURE, "--seed", "-1"], "seed must be a whole number of at least 0"),
    "repeats zero": ([*MEASURE, "--repeats", "0"], "repeats must be a whole number of at least 1"),
    "timeout zero": ([*MEASURE, "--timeout", "0"], "timeout must be positive seconds"),
    "timeout nan": ([*MEASURE, "--timeout", "nan"], "timeout must be positive seconds"),
    "memory limit": ([*MEASURE, "--memory-limit", "lots"], "expected a memory size such as"),
    "memory limit zero": ([*MEASURE, "--memory-limit", "0"], "expected a memory size such as"),
    "events with a shell command": (
        [*MEASURE, "--events", "cycles;rm -rf /"],
        "events must be perf event names",
    ),
    "sweep size zero": (
        ["sweep", "julia", "--sizes", "64,0", "--backends", "numpy"],
        "--sizes takes positive whole numbers, got '0'",
    ),
    "sweep size not a number": (
        ["sweep", "julia", "--sizes", "64,abc"],
        "--sizes takes positive whole numbers, got 'abc'",
    ),
    "sweep absurd size after a good one": (
        ["sweep", "julia", "--sizes", "16,1000000", "--backends", "numpy"],
        "size 1000000 of julia needs about",
    ),
    "select absurd size": (
        ["select", "julia", "--size", "1000000", "--backends", "numpy"],
        "size 1000000 of julia needs about",
    ),
}


@pytest.mark.parametrize("case", list(BAD_ARGUMENTS))
def test_a_bad_argument_is_one_line_exit_2_and_nothing_is_stored(case, one_line_error, tmp_path):
    argv, message = BAD_ARGUMENTS[case]
    store = tmp_path / "results.sqlite"
    line = one_line_error([*argv, "--store", str(store)])
    assert message in line
    assert not store.exists()


def _mem_available() -> int:
    """MemAvailable from /proc/meminfo, in bytes: the kernel's own figure."""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no MemAvailable in /proc/meminfo")


@pytest.mark.parametrize("kernel, size, floor", [("julia", 200_000, 16), ("norm", 10**11, 8)])
def test_an_absurd_size_is_refused_with_the_estimate_and_the_memory_available(
    kernel, size, floor, one_line_error
):
    """``floor``: bytes per element the inputs alone must take (complex128, float64)."""
    line = one_line_error(["run", kernel, "--backend", "numpy", "--size", str(size)])
    found = re.search(r"needs about ([\d,.]+) GiB; this machine has ([\d,.]+) GiB available", line)
    assert found, line
    needed, available = (float(x.replace(",", "")) * 2**30 for x in found.groups())
    elements = size * size if kernel == "julia" else size
    assert needed >= elements * floor
    assert available == pytest.approx(_mem_available(), rel=0.2)


def _directory(path: Path) -> Path:
    path.mkdir()
    return path


def _under_a_file(path: Path) -> Path:
    path.write_text("a plain file where a folder must be\n")
    return path / "results.sqlite"


def _unwritable_place(path: Path) -> Path:
    return Path("/proc") / f"accel-fault-test-{os.getpid()}.sqlite"  # root cannot write here


def _read_only_folder(path: Path) -> Path:
    if os.geteuid() == 0:
        pytest.skip("root writes into read-only folders; the /proc case covers root")
    path.mkdir()
    path.chmod(0o500)
    return path / "results.sqlite"


def _not_sqlite(path: Path) -> Path:
    path.write_bytes(b"last week's results, as plain text\n" * 20)
    return path


def _newer_schema(path: Path) -> Path:
    with Store(path) as store:
        store.add_run(
            RunRecord(kernel="julia", backend="numpy", size=8, dtype="complex128", status="ok"),
            kernel_version="1",
        )
    connection = sqlite3.connect(path)
    connection.execute(
        "UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),)
    )
    connection.commit()
    connection.close()
    return path


STORE_FAULTS = {
    "a directory": (_directory, "is a folder"),
    "under a file": (_under_a_file, "is a file, not a folder"),
    "unwritable place": (_unwritable_place, "cannot be used as an accel store"),
    "read-only folder": (_read_only_folder, "cannot be used as an accel store"),
    "not sqlite": (_not_sqlite, "is not an SQLite database"),
    "newer schema": (_newer_schema, "written by a newer accel"),
}
#: Faults of a file that exists; commands that only read are asked about these.
EXISTING = ("a directory", "not sqlite", "newer schema")

WRITING_COMMANDS = {
    "run": ["run", "julia", "--backend", "numpy", "--size", "8"],
    "compare": ["compare", "julia", "--backends", "numpy", "--size", "8"],
    "sweep": ["sweep", "julia", "--sizes", "8", "--backends", "numpy"],
    "select": ["select", "julia", "--size", "8", "--backends", "numpy"],
    "import": ["import", "{export}"],
}
READING_COMMANDS = {"history": ["history"], "export": ["export", "-"]}
CASES = [(c, f) for c in WRITING_COMMANDS for f in STORE_FAULTS] + [
    (c, f) for c in READING_COMMANDS for f in EXISTING
]


@pytest.mark.parametrize("command, fault", CASES, ids=[f"{c}-{f}" for c, f in CASES])
def test_a_store_path_that_cannot_be_used_is_one_line_exit_2_and_left_as_it_was(
    command, fault, one_line_error, tmp_path, digest
):
    make, message = STORE_FAULTS[fault]
    store = make(tmp_path / "store")
    before = digest(store), store.exists(), store.is_dir() and sorted(store.iterdir())
    export = tmp_path / "export.json"
    export.write_text(
        '{"format": "accel-results", "format_version": 1, "machines": [], "runs": []}'
    )
    argv = [
        a.replace("{export}", str(export))
        for a in {**WRITING_COMMANDS, **READING_COMMANDS}[command]
    ]
    line = one_line_error([*argv, "--store", str(store)])
    assert str(store) in line and message in line
    assert (digest(store), store.exists(), store.is_dir() and sorted(store.iterdir())) == before

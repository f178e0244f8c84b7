"""The command line as a user types it: output, JSON, and one-line errors with exit code 2."""

import json

import pytest


def test_kernels_lists_julia_with_its_presets(accel_cli):
    result = accel_cli("kernels")
    assert result.returncode == 0
    line = next(line for line in result.stdout.splitlines() if line.startswith("julia"))
    for preset in ("S=200", "M=500", "L=2000", "book=1000"):
        assert preset in line


def test_backends_lists_every_backend_with_availability(accel_cli):
    from accel.backends import BACKEND_NAMES

    result = accel_cli("backends", "--json")
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert set(rows) == set(BACKEND_NAMES)
    assert rows["numpy"]["available"] is True
    for row in rows.values():
        assert row["available"] or row["reason"], f"{row['name']} unavailable without a reason"


def test_run_prints_first_call_median_spread_repeats_and_verdict(accel_cli):
    result = accel_cli("run", "julia", "--backend", "numba_cpu", "--size", "50", "--repeats", "4")
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert "status       ok" in text
    assert "first call" in text and "compile/JIT included" in text
    assert "median" in text and "stdev" in text
    assert "repetitions  4 timed" in text
    assert "check        passed" in text


def test_run_json_is_the_run_record(accel_cli):
    result = accel_cli(
        "run", "julia", "--backend", "numpy", "--size", "50", "--repeats", "3", "--json"
    )
    record = json.loads(result.stdout)
    assert record["schema"] == 1 and record["kernel"] == "julia" and record["backend"] == "numpy"
    assert len(record["samples_s"]) == 3
    assert record["stats"]["median_s"] == sorted(record["samples_s"])[1]
    assert record["check"]["passed"] is True


def test_compare_sorts_by_median_and_lists_unavailable_backends_with_reasons(accel_cli):
    result = accel_cli(
        "compare",
        "julia",
        "--size",
        "80",
        "--repeats",
        "3",
        "--backends",
        "python,numpy,numba_cpu,pypy",
        env={"ACCEL_PYPY": "/nonexistent/pypy3"},
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    table_end = lines.index("") if "" in lines else len(lines)  # notes follow a blank line
    rows = _columns(lines[1], lines[2:table_end])
    assert lines[1].split()[:4] == ["backend", "status", "median", "stdev"]
    assert rows[-1]["backend"] == "pypy" and rows[-1]["status"] == "unavailable"
    assert "ACCEL_PYPY" in rows[-1]["check"]
    timed = rows[:-1]
    assert {row["backend"] for row in timed} == {"python", "numpy", "numba_cpu"}
    speedups = [float(row["vs python"].rstrip("x")) for row in timed]
    assert speedups == sorted(speedups, reverse=True)
    assert next(row for row in timed if row["backend"] == "python")["vs python"] == "1.0x"


def _columns(header: str, lines: list[str]) -> list[dict[str, str]]:
    """Cut table lines at the header's column starts."""
    names = ["backend", "status", "median", "stdev", "reps", "vs python", "first call", "check"]
    starts = [header.index(name) for name in names] + [None]
    return [
        {name: line[starts[i] : starts[i + 1]].strip() for i, name in enumerate(names)}
        for line in lines
    ]


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["run", "nope", "--backend", "numpy"], "unknown kernel 'nope'"),
        (["run", "julia", "--backend", "nope"], "unknown backend 'nope'; choose one of: python"),
        (["run", "julia", "--backend", "numpy", "--size", "0"], "size must be a positive"),
        (["run", "julia", "--backend", "numpy", "--size", "-3"], "size must be a positive"),
        (
            ["run", "julia", "--backend", "numpy", "--preset", "huge"],
            "choose one of: S, M, L, book",
        ),
        (["run", "julia", "--backend", "numpy", "--size", "ten"], "invalid int value"),
        (["compare", "julia", "--backends", "numpy,bogus"], "unknown backend 'bogus'"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(accel_cli, args, fragment):
    result = accel_cli(*args)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("accel: error:")
    assert fragment in lines[0]

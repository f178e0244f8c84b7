"""accel scaling: Amdahl's law fitted to times at several thread counts."""

from __future__ import annotations

import json

import pytest

from accel.errors import UsageError
from accel.scaling import default_threads, fit_amdahl, parse_threads


@pytest.mark.parametrize("serial", [0.0, 0.1, 0.5, 1.0])
def test_the_fit_recovers_the_serial_fraction_of_exact_amdahl_times(serial: float) -> None:
    times = [(p, 2.0 * (serial + (1 - serial) / p)) for p in (1, 2, 4, 8)]
    fit = fit_amdahl(times)
    assert fit.serial_fraction == pytest.approx(serial, abs=1e-9)
    assert fit.one_thread_s == pytest.approx(2.0)
    assert fit.speedup(8) == pytest.approx(1 / (serial + (1 - serial) / 8))


def test_noisy_times_give_the_least_squares_line_in_one_over_p() -> None:
    # by hand, x = 1/p = 1, 1/2, 1/4 and T = 1.0, 0.7, 0.4: Sxy = 0.225, Sxx = 0.29167,
    # b = 0.77143, a = 0.7 - b * 0.58333 = 0.25, s = a / (a + b) = 0.24476
    fit = fit_amdahl([(1, 1.0), (2, 0.7), (4, 0.4)])
    assert fit.serial_fraction == pytest.approx(0.24476, abs=1e-4)
    assert fit.one_thread_s == pytest.approx(1.02143, abs=1e-4)


def test_thread_lists() -> None:
    assert parse_threads("4,1,2") == [1, 2, 4]
    assert default_threads(2) == [1, 2] and default_threads(12) == [1, 2, 4, 8, 12]
    for bad in ("1", "0,2", "a,2"):
        with pytest.raises(UsageError):
            parse_threads(bad)


def test_scaling_command_runs_each_thread_count_and_fits(accel_cli, tmp_path) -> None:
    result = accel_cli(
        "scaling", "julia", "--size", "64", "--threads", "1,2", "--backends", "c_openmp",
        "--repeats", "3", "--store", str(tmp_path / "s.sqlite"), "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    records = document["records"]
    assert [r["threads"] for r in records] == [1, 2]
    # the OpenMP pool ran with the thread count asked for, each time
    for record in records:
        openmp = [p for p in record["pools"]["native"] if p["api"] == "openmp"]
        assert openmp and {p["threads"] for p in openmp} == {record["threads"]}
    fit = document["fits"]["c_openmp"]
    assert 0.0 <= fit["serial_fraction"] <= 1.0


def test_scaling_refuses_one_thread_count(accel_cli) -> None:
    result = accel_cli("scaling", "julia", "--threads", "2")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "accel: error: --threads needs two or more thread counts, e.g. 1,2"
    )

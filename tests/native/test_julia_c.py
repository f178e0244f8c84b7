"""Julia on c_native and c_openmp: through real workers, against the book and other backends."""

import subprocess

import numpy as np
import pytest
from accel.kernels import get_kernel
from accel.kernels._native import find_compiler

import accel

JULIA = get_kernel("julia")

pytestmark = pytest.mark.skipif(find_compiler()[0] is None, reason=find_compiler()[1])


def test_c_native_compiles_in_the_first_call_and_passes_at_size_s(tmp_path, monkeypatch):
    monkeypatch.setenv("ACCEL_HOME", str(tmp_path))  # cold native cache, inherited by the worker
    record = accel.run("julia", "c_native", preset="S", repeats=3)
    assert record.status == "ok", record.reason + record.stderr_tail
    assert record.check["passed"] and record.check["error"] == 0.0
    built = list((tmp_path / "native").glob("julia_c_native-*.so"))
    assert len(built) == 1  # compiled by the worker, into this ACCEL_HOME
    assert record.first_call_s > 2 * max(record.samples_s)  # the compile is in the first call
    compiler, _ = find_compiler()
    version = subprocess.run([compiler, "--version"], capture_output=True, text=True).stdout
    assert record.versions["compiler"] == version.splitlines()[0]
    assert "-O3" in record.versions["cflags"] and "-march=native" in record.versions["cflags"]


def test_c_native_at_book_size_gives_the_published_checksum():
    record = accel.run("julia", "c_native", preset="book", repeats=1)
    assert record.status == "ok", record.reason + record.stderr_tail
    assert record.check["passed"] and "sum 33219980" in record.check["detail"]


def test_c_openmp_passes_its_check_on_two_threads():
    record = accel.run("julia", "c_openmp", preset="S", threads=2, repeats=2)
    assert record.status == "ok", record.reason + record.stderr_tail
    assert record.check["passed"] and record.check["error"] == 0.0
    assert record.threads == 2 and "-fopenmp" in record.versions["cflags"]


def test_complex64_is_single_precision_within_tolerance_and_equals_numba():
    inputs = JULIA.make_inputs(200, "complex64", max_iter=300)
    counts = JULIA.implementation("c_native").compute(**inputs)
    verdict = JULIA.check(counts, inputs)
    assert verdict.passed
    assert verdict.error > 0  # float32 orbits really differ from the float64 reference
    numba_counts = JULIA.implementation("numba_cpu").compute(**inputs)
    np.testing.assert_array_equal(counts, numba_counts)  # same float32 operations

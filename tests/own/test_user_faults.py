"""Faults of the user's own code become records with the reason; the comparison carries on.

One fault per backend, each judged against the reference given with the kernel: a
function that hangs (timeout), raises (failed), returns None, the wrong shape or
writes to its inputs (invalid), beside one that is right (ok).
"""

from __future__ import annotations

import time

import numpy as np
import pytest

import accel


def windows(x, w):
    return np.convolve(np.asarray(x, dtype=float), np.ones(w) / w, mode="valid")


@pytest.fixture(scope="module")
def records():
    kernel = accel.Kernel(
        "own_faults",
        inputs=lambda size, seed=0: {"x": np.random.default_rng(seed).random(size), "w": 4},
        reference=windows,
        presets={"S": 400},
    )

    @kernel.implements("python")
    def hangs(x, w):
        time.sleep(600)

    @kernel.implements("numba_cpu")
    def raises(x, w):
        raise ValueError("window too wide")

    @kernel.implements("numpy")
    def nothing(x, w):
        windows(x, w)

    @kernel.implements("torch_cpu")
    def scribbles(x, w):
        x[0] = 99.0
        return x[: len(x) - w + 1]

    @kernel.implements("pypy")
    def short(x, w):
        return [0.0]

    @kernel.implements("numba_parallel")
    def right(x, w):
        out = np.empty(len(x) - w + 1)
        for i in range(len(out)):
            out[i] = x[i : i + w].sum() / w
        return out

    found = accel.compare(kernel, timeout=20, store=False, counters=False, repeats=2)
    return {r.backend: r for r in found}


@pytest.mark.slow
def test_a_hang_is_a_timeout(records):
    assert records["python"].status == "timeout"
    assert "no result within 20 s" in records["python"].reason


@pytest.mark.slow
def test_a_raise_is_a_failure_with_the_exception(records):
    assert records["numba_cpu"].status == "failed"
    assert "ValueError" in records["numba_cpu"].reason
    assert "window too wide" in records["numba_cpu"].reason


@pytest.mark.slow
def test_wrong_outputs_are_invalid_with_what_differs(records):
    assert records["numpy"].status == "invalid"
    assert "no output returned" in records["numpy"].reason
    assert records["pypy"].status in ("invalid", "unavailable")
    if records["pypy"].status == "invalid":
        assert "output shape (1,), expected (397,)" in records["pypy"].reason
    assert records["torch_cpu"].status == "invalid"
    assert "changed its inputs" in records["torch_cpu"].reason


@pytest.mark.slow
def test_the_right_one_is_ok_beside_them(records):
    assert records["numba_parallel"].status == "ok", records["numba_parallel"].reason
    assert records["numba_parallel"].check["passed"]
    assert "0 of 397 values differ" in records["numba_parallel"].check["detail"]

"""The Julia kernel against the book's published answer and against each other."""

import numpy as np
import pytest
from accel.kernels import get_kernel
from accel.kernels.julia import BOOK_CHECKSUM

JULIA = get_kernel("julia")


@pytest.fixture(scope="module")
def book_inputs():
    preset = JULIA.presets["book"]
    return JULIA.make_inputs(preset.size, **preset.params)


def test_book_grid_is_the_books_1000_by_1000(book_inputs):
    assert book_inputs["zs"].size == 1000 * 1000
    assert book_inputs["max_iter"] == 300
    assert book_inputs["c"] == complex(-0.62772, -0.42193)


def test_reference_sums_to_the_books_published_checksum(book_inputs):
    assert int(JULIA.reference(book_inputs).sum()) == 33219980 == BOOK_CHECKSUM


@pytest.mark.parametrize("backend", ["numpy", "numba_parallel"])
def test_implementation_at_book_size_sums_to_published_checksum(backend, book_inputs):
    counts = JULIA.implementation(backend).compute(**book_inputs)
    assert int(np.asarray(counts).sum()) == 33219980


@pytest.mark.slow
def test_compiled_loop_matches_the_reference_exactly_at_the_largest_preset():
    """The reference's split real arithmetic agrees bit for bit with a scalar loop at L."""
    preset = JULIA.presets["L"]
    inputs = JULIA.make_inputs(preset.size, **preset.params)
    counts = JULIA.implementation("numba_cpu").compute(**inputs)
    verdict = JULIA.check(counts, inputs)
    assert verdict.passed and verdict.error == 0.0, verdict.detail


def test_pure_python_matches_numpy_exactly_at_a_small_size():
    inputs = JULIA.make_inputs(40, max_iter=100)
    pure = JULIA.implementation("python").compute(inputs["zs"].tolist(), inputs["c"], 100)
    vectorised = JULIA.implementation("numpy").compute(**inputs)
    assert pure == vectorised.tolist()


def test_check_catches_an_off_by_one_and_a_missing_output():
    inputs = JULIA.make_inputs(40, max_iter=100)
    good = JULIA.reference(inputs).copy()
    assert JULIA.check(good, inputs).passed
    good[7] += 1
    verdict = JULIA.check(good, inputs)
    assert not verdict.passed and "1 of 1600" in verdict.detail
    assert not JULIA.check(None, inputs).passed


def test_check_tolerates_single_precision_within_its_stated_bound_only():
    inputs = JULIA.make_inputs(100, "complex64", max_iter=300)
    counts = JULIA.implementation("numpy").compute(**inputs)
    assert JULIA.check(counts, inputs).passed
    counts[: counts.size // 100] += 1  # 1% of points wrong: beyond the 0.5% bound
    assert not JULIA.check(counts, inputs).passed


def test_work_scales_with_points():
    assert JULIA.work(2000).flops == pytest.approx(4 * JULIA.work(1000).flops)
    assert JULIA.work(1000).bytes == 1000 * 1000 * 24

"""Julia at every size: a size x size grid, and NumPy right at the escape boundary.

Issue 21, fault 16: the book's coordinate loop (``while x < x2: x += step``) gave a
(size+1) x (size+1) grid for 111 of the sizes 1-200, and ``accel run julia --backend
numpy --size 18`` was ``invalid``: NumPy's complex ``abs`` rounds |1.6+1.2j| (the
grid's point, exactly just below 2) up to 2.0.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from accel.kernels import get_kernel
from accel.kernels.julia import BOOK_CHECKSUM, X1, Y2, numpy_impl

JULIA = get_kernel("julia")


@pytest.mark.parametrize("size", range(1, 201))
def test_the_grid_has_size_times_size_points_starting_at_the_corner(size):
    zs = JULIA.make_inputs(size)["zs"].reshape(size, size)
    assert zs.shape == (size, size)
    assert zs[0, 0] == complex(X1, Y2)  # top-left corner, as the book starts
    step = 3.6 / size
    np.testing.assert_allclose(zs[0, -1].real, X1 + (size - 1) * step, atol=1e-12)
    np.testing.assert_allclose(zs[-1, 0].imag, Y2 - (size - 1) * step, atol=1e-12)


def test_the_books_grid_still_gives_the_published_checksum():
    book = JULIA.presets["book"]
    inputs = JULIA.make_inputs(book.size, **book.params)
    assert inputs["zs"].size == 1000 * 1000
    assert int(JULIA.reference(inputs).sum()) == BOOK_CHECKSUM == 33219980


def test_numpy_escapes_a_point_near_radius_two_exactly_when_its_rounded_modulus_is_two():
    """Against exact rational arithmetic: |z| rounded to the nearest double is below 2
    exactly when |z|^2 < (2 - 2**-53)^2 (the midpoint between 2 and the double below)."""
    inputs = JULIA.make_inputs(18)
    below_two = (2 - Fraction(1, 2**53)) ** 2
    counts = numpy_impl.compute(**inputs)
    near = 0
    for i, z in enumerate(inputs["zs"].tolist()):
        squared = Fraction(z.real) ** 2 + Fraction(z.imag) ** 2
        if Fraction(399, 100) < squared < Fraction(401, 100):
            near += 1
            assert (counts[i] >= 1) == (squared < below_two), (z, counts[i])
    assert near >= 4  # the size-18 grid has such points: 1.6+1.2j and its mirror images


@pytest.mark.parametrize("size", [*range(1, 41), 18, 97, 200])
def test_numpy_counts_exactly_the_reference_at_small_sizes(size):
    inputs = JULIA.make_inputs(size)
    verdict = JULIA.check(numpy_impl.compute(**inputs), inputs)
    assert verdict.passed and verdict.error == 0.0, verdict.detail

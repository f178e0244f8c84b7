"""Monte Carlo estimate of pi, the example of "High Performance Python" chapter 9.

Darts land uniformly on the unit square; the fraction inside the quarter circle
x^2 + y^2 < 1 tends to pi / 4. The chapter throws 1e8 darts. Embarrassingly parallel,
and every dart costs two random numbers: a test of how fast a backend makes them.

The random numbers come from SplitMix64 (Steele, Lea & Flood), a counter-based
generator: output ``k`` of the stream seeded with ``s`` is ``mix(s + (k + 1) * GAMMA)``
modulo 2^64, so any thread can jump straight to its own darts. Dart ``i`` takes
outputs ``2i`` (x) and ``2i + 1`` (y). Each coordinate keeps the top 31 bits of its
output, a point of a 2^31 x 2^31 lattice, and the dart is inside when
``x*x + y*y < 2^62``. That test is integer arithmetic: no backend's rounding or
fused multiply-add can move a dart across the circle, so every backend counts the
same darts. (The lattice shifts the expected fraction by about 2^-31, far below
the statistical error of any feasible number of darts.)

Inputs: ``samples`` (number of darts) and ``seed``, the stream's 64-bit seed held in a
one-element int64 array (its bits; read it back with :func:`stream_seed`). The seed
travels as an array so that it reaches every backend on that backend's device: the
torch implementation takes its device from its input tensors.
Output: the number of darts inside the quarter circle, an integer; the estimate is
``4 * inside / samples``.
"""

from __future__ import annotations

import math
import operator
from typing import Any

import numpy as np

from .. import Inputs, KernelSpec, Preset, Verdict, Work
from .._reference_cache import cached_array

#: SplitMix64's constants: the increment (2^64 / golden ratio) and the two mixing multipliers.
GAMMA = 0x9E3779B97F4A7C15
MIX1 = 0xBF58476D1CE4E5B9
MIX2 = 0x94D049BB133111EB
MASK64 = (1 << 64) - 1
#: Bits kept per coordinate, and the squared radius of the quarter circle on that lattice.
COORDINATE_BITS = 31
RADIUS_SQUARED = 1 << (2 * COORDINATE_BITS)
BOOK_SAMPLES = 100_000_000
#: The check's statistical bound on the estimate, in standard errors.
STANDARD_ERRORS = 5.0
#: Integer operations per dart: per coordinate, the counter (2) and the mix (3 shifts,
#: 3 xors, 2 multiplies) and the final shift; then 2 squares, 1 add, 1 compare, 1 count.
OPERATIONS_PER_DART = 2 * (2 + 8 + 1) + 5
#: Darts per slice of the reference computation (bounds its memory to a few MiB).
REFERENCE_SLICE = 1 << 18


def make_inputs(size: int, dtype: str = "int64", seed: int = 0) -> Inputs:
    """``size`` darts from the SplitMix64 stream seeded with ``seed`` modulo 2^64 (int64 only)."""
    bits = np.array([int(seed) & MASK64], dtype=np.uint64).view(np.int64)
    return {"samples": int(size), "seed": bits}


def stream_seed(inputs: Inputs) -> int:
    """The unsigned 64-bit seed of the inputs' stream."""
    return int(inputs["seed"][0]) & MASK64


def splitmix64_outputs(seed: int, first: int, count: int) -> np.ndarray:
    """Outputs ``first`` .. ``first + count - 1`` of the SplitMix64 stream seeded with ``seed``.

    >>> int(splitmix64_outputs(1234567, 0, 1)[0])   # Rosetta Code's first output
    6457827717110365317
    """
    with np.errstate(over="ignore"):
        z = np.arange(first + 1, first + count + 1, dtype=np.uint64) * np.uint64(GAMMA)
        z += np.uint64(seed & MASK64)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(MIX1)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(MIX2)
        return z ^ (z >> np.uint64(31))


def _count_inside(samples: int, seed: int) -> int:
    """Darts inside, from the generator's outputs in slices (plain NumPy, unoptimised)."""
    inside = 0
    shift = np.uint64(64 - COORDINATE_BITS)
    for first in range(0, samples, REFERENCE_SLICE):
        darts = min(REFERENCE_SLICE, samples - first)
        outputs = splitmix64_outputs(seed, 2 * first, 2 * darts) >> shift
        x, y = outputs[0::2], outputs[1::2]
        inside += int(np.count_nonzero(x * x + y * y < np.uint64(RADIUS_SQUARED)))
    return inside


def reference(inputs: Inputs) -> int:
    """The number of darts inside, computed by plain NumPy (cached on disk)."""
    samples, seed = inputs["samples"], stream_seed(inputs)
    key = f"pi-{KERNEL.version}-{samples}-{seed}"
    return int(cached_array(key, lambda: np.array(_count_inside(samples, seed))))


def standard_error(samples: int) -> float:
    """Standard error of the estimate 4 * inside / samples: 4 sqrt(p (1 - p) / n), p = pi/4."""
    p = math.pi / 4
    return 4 * math.sqrt(p * (1 - p) / samples)


def single_integer(output: Any) -> int | None:
    """The output as a Python int when it is one integer or an array of exactly one integer.

    Shared by the kernels whose output is a count (pi, primes): GPU backends return a
    one-element array, the others a scalar. Anything else (a float, a bool, several
    values) gives None.
    """
    values = np.asarray(output)
    if values.size != 1 or values.dtype.kind not in "iu":
        return None
    return operator.index(values.reshape(()).item())


def check(output: Any, inputs: Inputs) -> Verdict:
    """Exactly the reference's count of darts inside, and an estimate within 5 standard errors.

    The count must match exactly: every backend runs the same generator and the same
    integer test. The statistical bound guards the generator itself (a broken one that
    every backend shared would agree with the reference): for a correct generator the
    estimate falls outside 5 standard errors of pi with probability 5.7e-7.
    """
    if output is None:
        return Verdict(False, float("inf"), "no output returned")
    inside = single_integer(output)
    if inside is None:
        return Verdict(False, float("inf"), f"expected one integer count, got {output!r:.80}")
    samples = inputs["samples"]
    expected = reference(inputs)
    estimate = 4 * inside / samples
    errors = abs(estimate - math.pi) / standard_error(samples)
    passed = inside == expected and errors <= STANDARD_ERRORS
    detail = (
        f"{inside} of {samples} darts inside, reference {expected} (exact match required); "
        f"estimate {estimate:.6f} is {errors:.2f} standard errors from pi "
        f"(bound {STANDARD_ERRORS:g})"
    )
    return Verdict(passed, float(abs(inside - expected)), detail)


def work(size: int) -> Work:
    """Integer operations of ``size`` darts; no array is read, one count is written."""
    return Work(flops=float(OPERATIONS_PER_DART * size), bytes=8.0)


def memory_bytes(size: int, dtype: str = "int64", **params: Any) -> int:
    """Peak host bytes of one run: darts are drawn in slices, so 64 MiB at any size."""
    return 64 << 20


KERNEL = KernelSpec(
    name="pi",
    title="Monte Carlo pi",
    size_means="n darts",
    description="darts on a quarter circle from a counter-based generator; "
    "embarrassingly parallel integer work",
    presets={
        "S": Preset(100_000),
        "M": Preset(10_000_000),
        "L": Preset(1_000_000_000),
        "book": Preset(BOOK_SAMPLES, note="the chapter's 1e8 darts (nbr_samples_in_total)"),
    },
    dtypes=("int64",),
    make_inputs=make_inputs,
    reference=reference,
    check=check,
    work=work,
    memory_bytes=memory_bytes,
    package=__name__,
)

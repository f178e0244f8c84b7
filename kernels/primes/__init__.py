"""Counting primes by trial division, the example of "High Performance Python" chapter 9.

The chapter checks every number of a range for primality by trial division by 2
and then by the odd numbers up to its square root, and spreads the numbers over
processes. Primes cost about sqrt(n)/2 divisions, most composites only a few, so
the cost per number is very uneven: a lesson in load balancing.

A number n is prime when n >= 2 and no d with d*d <= n divides it, with d = 2 and then
d = 3, 5, 7, ... (the book's ``check_prime``, corrected to call 2 prime and 0 and 1 not).

Inputs: ``numbers``, the int64 array of the numbers to test (the range [start, start +
size)). Output: how many of them are prime, an integer.

Presets are the chapter's own ranges: S is its range A (1e8 to 1e8 + 1e4), M its
range B (1e8 + 1e5) and ``book`` its range C (1e8 to 1.01e8, the one it times). L is
ten times range C from the same start.
"""

from __future__ import annotations

import math
import operator
from typing import Any

import numpy as np

from .. import Inputs, KernelSpec, Preset, Verdict, Work
from .._reference_cache import cached_array
from ..pi import single_integer

BOOK_START, BOOK_SIZE = 100_000_000, 1_000_000
#: Largest number the kernels take: d*d stays below 2^63 for every trial divisor d.
MAX_NUMBER = (1 << 62) - 1


def make_inputs(size: int, dtype: str = "int64", seed: int = 0, start: int = BOOK_START) -> Inputs:
    """The numbers ``start`` .. ``start + size - 1`` (int64; the seed is unused)."""
    start = operator.index(start)
    if start < 0 or start + size - 1 > MAX_NUMBER:
        raise ValueError(f"numbers must lie in [0, 2^62): start={start}, size={size}")
    return {"numbers": np.arange(start, start + size, dtype=np.int64)}


def _base_primes(limit: int) -> np.ndarray:
    """The primes up to ``limit``, by a plain sieve of Eratosthenes."""
    sieve = np.ones(limit + 1, dtype=bool)
    sieve[:2] = False
    for p in range(2, math.isqrt(limit) + 1):
        if sieve[p]:
            sieve[p * p :: p] = False
    return np.flatnonzero(sieve)


def prime_flags(low: int, high: int) -> np.ndarray:
    """Whether each of ``low`` .. ``high`` is prime, by a segmented sieve of Eratosthenes.

    Independent of trial division: it crosses out the multiples of each prime p up to
    sqrt(high), from p*p on, and never divides.
    """
    flags = np.ones(high - low + 1, dtype=bool)
    flags[: max(0, 2 - low)] = False  # 0 and 1
    for p in _base_primes(math.isqrt(high)).tolist():
        first = max(p * p, -(-low // p) * p)
        flags[first - low :: p] = False
    return flags


def reference(inputs: Inputs) -> int:
    """How many of the numbers are prime, by the segmented sieve (cached on disk)."""
    numbers = inputs["numbers"]
    if numbers.size == 0:
        return 0
    low, high = int(numbers.min()), int(numbers.max())
    key = f"primes-{KERNEL.version}-{numbers.size}-{low}-{high}-{int(numbers.sum())}"
    return int(
        cached_array(key, lambda: np.array(np.count_nonzero(prime_flags(low, high)[numbers - low])))
    )


def check(output: Any, inputs: Inputs) -> Verdict:
    """Exactly the sieve's count of primes: counting is integer work, no tolerance applies."""
    if output is None:
        return Verdict(False, float("inf"), "no output returned")
    count = single_integer(output)
    if count is None:
        return Verdict(False, float("inf"), f"expected one integer count, got {output!r:.80}")
    expected = reference(inputs)
    detail = (
        f"{count} primes among {inputs['numbers'].size} numbers, "
        f"sieve of Eratosthenes {expected} (exact match required)"
    )
    return Verdict(count == expected, float(abs(count - expected)), detail)


def _smallest_odd_factors(start: int, size: int) -> np.ndarray:
    """The smallest odd prime factor p with p*p <= n of each n in the range, else 0.

    0 marks the odd primes (and the even numbers and 0, 1 and 2, which have no such p).
    """
    factors = np.zeros(size, dtype=np.int64)
    for p in _base_primes(math.isqrt(start + size - 1))[1:].tolist():
        first = max(p * p, -(-start // p) * p)
        multiples = factors[first - start :: p]
        multiples[multiples == 0] = p
    return factors


def trial_divisions(start: int, size: int) -> int:
    """Exactly how many remainders trial division computes for ``start`` .. ``start + size - 1``.

    Every n >= 2 costs one remainder by 2; an odd n >= 3 then one per odd divisor tried:
    (p - 1) / 2 up to its smallest odd factor p, or (isqrt(n) - 1) // 2 for a prime.
    """
    numbers = np.arange(start, start + size, dtype=np.int64)
    factors = _smallest_odd_factors(start, size)
    odd = (numbers % 2 == 1) & (numbers >= 3)
    primes = numbers[odd & (factors == 0)]
    roots = np.sqrt(primes).astype(np.int64)
    roots -= roots * roots > primes  # float square roots may be one off: make them exact
    roots += (roots + 1) * (roots + 1) <= primes
    composites = factors[odd & (factors > 0)]
    return int(
        np.count_nonzero(numbers >= 2) + ((composites - 1) // 2).sum() + ((roots - 1) // 2).sum()
    )


def work(size: int, start: int = BOOK_START) -> Work:
    """The exact number of remainders (the integer divisions that dominate), and bytes read.

    Computed by a sieve of smallest factors, once per range (cached on disk).
    """
    key = f"primes-work-{KERNEL.version}-{start}-{size}"
    divisions = int(cached_array(key, lambda: np.array(trial_divisions(start, size))))
    return Work(flops=float(divisions), bytes=8.0 * size)


def memory_bytes(size: int, dtype: str = "int64", start: int = BOOK_START, **params: Any) -> int:
    """Peak host bytes of one run: 32 per number (18 measured with tracemalloc), plus the
    reference sieve's base primes up to the square root of the largest number."""
    return 32 * size + 4 * math.isqrt(max(0, int(start) + size))


KERNEL = KernelSpec(
    name="primes",
    title="Primes by trial division",
    size_means="n numbers from the start",
    description="count primes in a range by trial division; integer division, "
    "very uneven cost per number",
    presets={
        "S": Preset(10_000, {"start": BOOK_START}, "the chapter's range A"),
        "M": Preset(100_000, {"start": BOOK_START}, "the chapter's range B"),
        "L": Preset(10_000_000, {"start": BOOK_START}, "ten times range C"),
        "book": Preset(BOOK_SIZE, {"start": BOOK_START}, "the chapter's range C: 1e8 to 1.01e8"),
    },
    dtypes=("int64",),
    make_inputs=make_inputs,
    reference=reference,
    check=check,
    work=work,
    memory_bytes=memory_bytes,
    package=__name__,
)

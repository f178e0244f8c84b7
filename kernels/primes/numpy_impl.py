"""Primes by trial division with NumPy: all candidates divided by a block of divisors at once.

Even numbers are settled at once; the odd candidates are then divided by 3, 5, 7, ...
Candidates with a divisor are dropped after each block, so the work shrinks to the
primes and the composites with large factors. A candidate below the square of the next
divisor has no divisor left to try: it is prime, counted and dropped. So the divisors
stop at the square root of the largest candidate still standing, and the loop stops as
soon as none stands (a composite near 1e17 with a small factor is settled at that
factor, not after 1.6e8 empty steps).

Python steps through the blocks; each is one vectorised remainder of every candidate
by up to ``BLOCK_ELEMENTS // candidates`` divisors: one divisor at a time while many
numbers stand (the book's ranges), many at a time when few do (a single large number),
so that Python's step never dominates a tiny array operation.
"""

import math

import numpy as np

#: Remainders per vectorised step, at most: candidates x divisors of one block.
BLOCK_ELEMENTS = 1 << 13


def compute(numbers):
    """How many of ``numbers`` (an int64 array) are prime."""
    count = int(np.count_nonzero(numbers == 2))
    candidates = numbers[(numbers % 2 == 1) & (numbers > 2)]
    divisor = 3
    low = int(candidates.min()) if candidates.size else 0  # at most the smallest candidate
    while candidates.size:
        if divisor * divisor > low:  # some candidate may have no divisor left to try
            proven = candidates < divisor * divisor
            count += int(np.count_nonzero(proven))
            candidates = candidates[~proven]
            if candidates.size == 0:
                break
            low = int(candidates.min())
        block = BLOCK_ELEMENTS // candidates.size
        if block <= 1:
            candidates = candidates[candidates % divisor != 0]
            divisor += 2
            continue
        last = math.isqrt(int(candidates.max()))  # the largest divisor any candidate needs
        block = min(block, (last - divisor) // 2 + 1)
        divisors = np.arange(divisor, divisor + 2 * block, 2, dtype=np.int64)
        divides = candidates[:, None] % divisors == 0
        if int(divisors[-1]) ** 2 > low:  # only d with d*d <= n count (n itself never does)
            divides &= divisors * divisors <= candidates[:, None]
        candidates = candidates[~divides.any(axis=1)]
        divisor += 2 * block
    return count

"""Primes by trial division with NumPy: all candidates divided by one divisor at a time.

Even numbers are settled at once; the odd candidates are then divided by 3, 5, 7, ...
up to the square root of the largest, and those with a divisor (other than
themselves) are dropped after each division, so the work shrinks to the primes
and the composites with large factors. Python steps through the divisors; each
step is one vectorised remainder over the survivors.
"""

import math

import numpy as np


def compute(numbers):
    """How many of ``numbers`` (an int64 array) are prime."""
    count = int(np.count_nonzero(numbers == 2))
    candidates = numbers[(numbers % 2 == 1) & (numbers > 2)]
    if candidates.size == 0:
        return count
    for divisor in range(3, math.isqrt(int(candidates.max())) + 1, 2):
        candidates = candidates[(candidates % divisor != 0) | (candidates == divisor)]
    return count + candidates.size

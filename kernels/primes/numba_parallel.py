"""Primes by trial division with Numba ``prange``, in small chunks handed out dynamically.

A prime costs about sqrt(n)/2 divisions and most composites a few, so equal
contiguous shares per thread can finish far apart; chunks of ``CHUNK_NUMBERS``
(``numba.parallel_chunksize``) go to whichever thread is free.
"""

from numba import njit, parallel_chunksize, prange

from .numba_cpu import is_prime

CHUNK_NUMBERS = 256


@njit(parallel=True, nogil=True)
def _count(numbers):
    count = 0
    for i in prange(numbers.size):
        if is_prime(numbers[i]):
            count += 1
    return count


def compute(numbers):
    """How many of ``numbers`` (an int64 array) are prime, on every thread Numba has."""
    with parallel_chunksize(CHUNK_NUMBERS):
        return int(_count(numbers))

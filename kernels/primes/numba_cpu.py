"""Primes by trial division compiled by Numba: the book's ``check_prime`` in a loop."""

from numba import njit


@njit(nogil=True)
def is_prime(n):
    """Trial division by 2, then by the odd numbers d with d*d <= n."""
    if n < 2:
        return False
    if n % 2 == 0:
        return n == 2
    divisor = 3
    while divisor * divisor <= n:
        if n % divisor == 0:
            return False
        divisor += 2
    return True


@njit(nogil=True)
def _count(numbers):
    count = 0
    for n in numbers:
        if is_prime(n):
            count += 1
    return count


def compute(numbers):
    """How many of ``numbers`` (an int64 array) are prime."""
    return int(_count(numbers))

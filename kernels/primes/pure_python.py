"""Primes by trial division in pure Python: the book's ``check_prime`` over a list.

Serves the ``python`` backend (CPython) and the ``pypy`` backend (run by PyPy).
Imports only the standard library, so that PyPy can load it without NumPy.
"""

from math import isqrt


def is_prime(n):
    """Trial division by 2, then by the odd numbers up to the square root of ``n``."""
    if n < 2:
        return False
    if n % 2 == 0:
        return n == 2
    for divisor in range(3, isqrt(n) + 1, 2):  # noqa: SIM110 - the book's loop; all() is slower
        if n % divisor == 0:
            return False
    return True


def compute(numbers):
    """How many of ``numbers`` (a list of ints) are prime."""
    count = 0
    for n in numbers:
        if is_prime(n):
            count += 1
    return count

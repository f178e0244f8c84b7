"""Primes by trial division in PyTorch, one source for the CPU and CUDA devices.

As the NumPy version: the odd candidates are divided by 3, 5, 7, ... up to the square
root of the largest still standing, and the loop stops when none stands. Candidates
found composite are masked out at every divisor and dropped only every
``COMPACT_EVERY`` divisors, because dropping them needs the host to learn how many
survive: on a GPU that is a wait for the device.
"""

import math

import torch

COMPACT_EVERY = 16


def compute(numbers):
    """How many of ``numbers`` (an int64 tensor) are prime (a 0-d tensor on their device)."""
    count = torch.count_nonzero(numbers == 2)
    candidates = numbers[(numbers % 2 == 1) & (numbers > 2)]
    if candidates.numel() == 0:
        return count
    first = 3
    limit = math.isqrt(int(candidates.max()))
    while first <= limit:
        alive = torch.ones_like(candidates, dtype=torch.bool)
        for divisor in range(first, min(first + 2 * COMPACT_EVERY, limit + 1), 2):
            alive &= (candidates % divisor != 0) | (candidates == divisor)
        candidates = candidates[alive]
        if candidates.numel() == 0:
            break
        first += 2 * COMPACT_EVERY
        limit = math.isqrt(int(candidates.max()))  # the largest divisor still needed
    return count + candidates.numel()

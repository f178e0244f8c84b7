"""Monte Carlo pi in PyTorch, one source for the CPU and CUDA devices.

PyTorch has no unsigned 64-bit arithmetic to speak of, so the generator runs on
int64 tensors: additions and multiplications wrap modulo 2^64 in two's complement
(the same bits as unsigned arithmetic), and each right shift masks off the copies
of the sign bit an arithmetic shift brings in. Darts go in slices; the count stays
on the device until the end, so a GPU is never made to wait on the host mid-way.

On the CPU a slice is 2^14 darts: its arrays stay in cache, and PyTorch runs
operations this small on one thread (its parallel grain is 32768 elements). Slices of
2^16 darts, whose ~20 operations each fork and join the thread pool, measured 1.7x
slower on one thread and over 20x slower on two threads of a busy 2-core machine.
"""

import torch

from . import COORDINATE_BITS, GAMMA, MIX1, MIX2, RADIUS_SQUARED

#: Darts per slice: cache-sized on a CPU, large enough to fill a GPU.
SLICE_DARTS = {"cpu": 1 << 14, "cuda": 1 << 22}


def _signed(value):
    """The int64 with the same 64 bits as the unsigned ``value``."""
    return value - (1 << 64) if value >= 1 << 63 else value


def _shift_right(z, bits):
    """Logical (unsigned) right shift of int64 bits."""
    return (z >> bits) & ((1 << (64 - bits)) - 1)


def _mix(z):
    """SplitMix64's output function on int64 bits."""
    z = (z ^ _shift_right(z, 30)) * _signed(MIX1)
    z = (z ^ _shift_right(z, 27)) * _signed(MIX2)
    return z ^ _shift_right(z, 31)


def compute(samples, seed):
    """The number of ``samples`` darts inside the quarter circle (a 0-d int64 tensor)."""
    device = seed.device
    slice_darts = SLICE_DARTS.get(device.type, SLICE_DARTS["cuda"])
    step = torch.arange(slice_darts, dtype=torch.int64, device=device) * _signed(2 * GAMMA % 2**64)
    inside = torch.zeros((), dtype=torch.int64, device=device)
    for first in range(0, samples, slice_darts):
        n = min(slice_darts, samples - first)
        # Dart i's x comes from the state seed + (2i + 1) * GAMMA, its y from the next state.
        x_state = step[:n] + (seed + _signed((2 * first + 1) * GAMMA % 2**64))
        x = _shift_right(_mix(x_state), 64 - COORDINATE_BITS)
        y = _shift_right(_mix(x_state + _signed(GAMMA)), 64 - COORDINATE_BITS)
        inside += torch.count_nonzero(x * x + y * y < RADIUS_SQUARED)
    return inside

"""The squared norm of a vector, the book's norm-squared example ("High Performance Python" ch. 6).

    norm_squared(v) = sum of v[i] * v[i]

Two flops per element read once: a memory-bound reduction, whose speed is the memory
bandwidth and whose difficulty (on a GPU, or across threads) is combining partial sums.

Input: ``v`` of length ``size`` with v[i] = 1 + (i mod 1000), integers 1..1000 stored
as floats; the seed is unused. Output: a scalar (or a one-element array).

The check is against a closed form, not another implementation: with n = 1000 q + r,
the sum is q * S(1000) + S(r) where S(m) = m (m + 1) (2 m + 1) / 6. Every square
(at most 10**6 < 2**24) is exact in float32 and float64, and every partial sum is an
integer below 2**53 for any size that fits in memory, so in float64 the sum is exact
in any order of addition and the check demands exact equality. Because no element is
zero, leaving any element out changes the answer.

In float32 the partial sums round to 24 bits. Implementations that accumulate in
float64 (pure Python, Numba CPU, C) are still exact; those that accumulate in float32
(NumPy's and PyTorch's dot, the GPU kernels) may differ by rounding. The tolerance is
a statistical bound: model each rounding as an independent error of at most half an
ulp of the running total (u = 2**-24 relative); over the longest possible chain of
n additions their sum has a standard deviation of at most u * total * sqrt(n / 3), and
the check allows six of them: relative error <= 6 u sqrt(n / 3). Blocked, pairwise and
tree sums have far shorter chains and stay well inside it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import Inputs, KernelSpec, Preset, Verdict, Work

PERIOD = 1000  # v[i] = 1 + (i mod PERIOD)
BOOK_LENGTH = 1_000_000
DTYPES = {"float64": np.float64, "float32": np.float32}
FLOPS_PER_ELEMENT = 2  # one multiply, one add
#: Standard deviations of the random-walk rounding model allowed in float32.
FLOAT32_SIGMAS = 6.0
FLOAT32_UNIT_ROUNDOFF = 2.0**-24


def make_inputs(size: int, dtype: str = "float64", seed: int = 0) -> Inputs:
    """The vector v[i] = 1 + (i mod 1000) of length ``size`` (seed unused)."""
    v = (np.arange(size, dtype=np.int64) % PERIOD + 1).astype(DTYPES[dtype])
    return {"v": v}


def sum_of_squares(m: int) -> int:
    """1**2 + 2**2 + ... + m**2, in closed form."""
    return m * (m + 1) * (2 * m + 1) // 6


def reference(inputs: Inputs) -> int:
    """The exact squared norm of ``make_inputs``' vector, from the closed form."""
    full, rest = divmod(len(inputs["v"]), PERIOD)
    return full * sum_of_squares(PERIOD) + sum_of_squares(rest)


def tolerance(inputs: Inputs) -> float:
    """Relative error allowed: 0 in float64 (exact), 6 u sqrt(n / 3) in float32."""
    if inputs["v"].dtype == np.float64:
        return 0.0
    return FLOAT32_SIGMAS * FLOAT32_UNIT_ROUNDOFF * math.sqrt(len(inputs["v"]) / 3)


def check(output: Any, inputs: Inputs) -> Verdict:
    """Exact agreement with the closed form in float64; the stated bound in float32."""
    if output is None:
        return Verdict(False, float("inf"), "no output returned")
    values = np.asarray(output, dtype=np.float64).reshape(-1)
    if values.size != 1:
        return Verdict(False, float("inf"), f"{values.size} values returned, expected one")
    got, expected = float(values[0]), reference(inputs)
    if not math.isfinite(got):
        return Verdict(False, float("inf"), f"result {got}")
    relative = abs(got - expected) / expected if expected else abs(got)
    allowed = tolerance(inputs)
    detail = f"{got:.17g}, closed form {expected}"
    detail += f"; relative error {relative:.3g} (bound {allowed:.3g})" if allowed else " (exact)"
    return Verdict(relative <= allowed, relative, detail)


def work(size: int, dtype: str = "float64") -> Work:
    """Flops and bytes of one call: each element read once, squared and added."""
    return Work(flops=FLOPS_PER_ELEMENT * size, bytes=size * np.dtype(DTYPES[dtype]).itemsize)


def memory_bytes(size: int, dtype: str = "float64", **params: Any) -> int:
    """Peak host bytes of one run: the vector and the int64 array it is built from."""
    return size * (16 + np.dtype(DTYPES[dtype]).itemsize)


KERNEL = KernelSpec(
    name="norm",
    title="Squared norm",
    size_means="a vector of n elements",
    description="sum of squares of a vector; memory-bound reduction",
    presets={
        "S": Preset(100_000),
        "M": Preset(10_000_000),
        "L": Preset(100_000_000),
        "book": Preset(BOOK_LENGTH, note="the book's vector of 1,000,000 elements"),
    },
    dtypes=("float64", "float32"),
    make_inputs=make_inputs,
    reference=reference,
    check=check,
    work=work,
    memory_bytes=memory_bytes,
    package=__name__,
)

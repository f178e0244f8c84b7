"""Dense matrix multiply C = A B, the compute-bound case where BLAS and GPUs shine.

Each output is a dot product of a row of A and a column of B: 2 n^3 flops on 3 n^2
numbers, so the arithmetic intensity grows with n and a good implementation is
limited by the cores' multiply-add rate, not by memory. The book has no matrix
multiply of its own (hence no ``book`` preset); it is here as the contrast to the
memory-bound stencil and reductions.

Inputs: ``a`` and ``b``, n x n matrices (float64 or float32) whose entries are whole
numbers in [-8, 8] drawn from a seeded generator. Output: ``c``, n x n, same dtype.

Whole-number inputs make every product and every partial sum a whole number of
magnitude at most 64 n, which float64 (below 2^53) and float32 (below 2^24, so for
n < 2^18) hold exactly. Every correct implementation, in any summation order, with or
without FMA, on CPU or GPU (even TF32, which keeps such small whole numbers exact),
therefore returns exactly A B, and :func:`check` demands exactness in both dtypes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import Inputs, KernelSpec, Preset, Verdict, Work

DTYPES = {"float64": np.float64, "float32": np.float32}
#: Entries of A and B are whole numbers in [-VALUE_BOUND, VALUE_BOUND].
VALUE_BOUND = 8
#: Largest n for which float32 partial sums (at most 64 n) stay below 2^24, and so exact.
MAX_SIZE = (1 << 18) - 1
#: Freivalds' test: random vectors per check and the range of their whole-number entries.
FREIVALDS_VECTORS = 2
FREIVALDS_BOUND = 1 << 20
FREIVALDS_SEED = 20240917


def make_inputs(size: int, dtype: str = "float64", seed: int = 0) -> Inputs:
    """Two ``size`` x ``size`` matrices of whole numbers in [-8, 8], drawn from ``seed``."""
    if size > MAX_SIZE:
        raise ValueError(f"matmul sizes stop at {MAX_SIZE}, where float32 stops being exact")
    rng = np.random.default_rng(seed)
    a, b = (
        rng.integers(-VALUE_BOUND, VALUE_BOUND + 1, size=(size, size)).astype(DTYPES[dtype])
        for _ in range(2)
    )
    return {"a": a, "b": b}


def reference(inputs: Inputs) -> np.ndarray:
    """A B computed in float64 by NumPy's BLAS: exact for these whole-number inputs."""
    a, b = inputs["a"], inputs["b"]
    return (a.astype(np.float64) @ b.astype(np.float64)).astype(a.dtype)


def _whole_number_problem(c: np.ndarray, n: int) -> str | None:
    """Why ``c`` cannot be A B for these inputs (not whole numbers within 64 n), or None."""
    limit = VALUE_BOUND * VALUE_BOUND * n
    if not np.isfinite(c).all():
        return "entries that are not finite"
    if (np.abs(c) > limit).any():
        return f"entries beyond the largest possible magnitude {limit}"
    if (c != np.rint(c)).any():
        return "entries that are not whole numbers"
    return None


def check(output: Any, inputs: Inputs) -> Verdict:
    """Exactly A B, by Freivalds' test in exact int64 arithmetic (never with BLAS).

    For random whole-number vectors r (entries uniform in [-2^20, 2^20]) it compares
    C r with A (B r): O(n^2) work instead of the O(n^3) of another product. A correct
    C always passes. A wrong C fails unless every difference row happens to be
    orthogonal to r: for each vector with probability at most 1 / (2^21 + 1), so two
    vectors let a wrong product through with probability below 2^-42. Entries must
    also be whole numbers of magnitude at most 64 n, which every exact product is.
    """
    if output is None:
        return Verdict(False, float("inf"), "no output returned")
    a, b = inputs["a"], inputs["b"]
    n = a.shape[0]
    c = np.asarray(output)
    if c.shape != (n, n):
        return Verdict(False, float("inf"), f"shape {c.shape}, expected {(n, n)}")
    problem = _whole_number_problem(c, n)
    if problem:
        return Verdict(False, float("inf"), f"C has {problem}; A B has whole entries")
    rng = np.random.default_rng(FREIVALDS_SEED)
    r = rng.integers(-FREIVALDS_BOUND, FREIVALDS_BOUND + 1, size=(n, FREIVALDS_VECTORS))
    a_int, b_int, c_int = (m.astype(np.int64) for m in (a, b, c))
    differs = (c_int @ r != a_int @ (b_int @ r)).any(axis=1)
    wrong_rows = int(np.count_nonzero(differs))
    detail = (
        f"Freivalds' test with {FREIVALDS_VECTORS} random vectors: {wrong_rows} of {n} rows "
        "of C r differ from A (B r) (exact match required; a wrong product passes with "
        "probability below 2^-42)"
    )
    return Verdict(wrong_rows == 0, wrong_rows / n if n else 0.0, detail)


def work(size: int, dtype: str = "float64") -> Work:
    """2 n^3 flops; bytes of reading A and B and writing C once (the compulsory traffic)."""
    itemsize = np.dtype(DTYPES[dtype]).itemsize
    return Work(flops=2.0 * size**3, bytes=3.0 * size * size * itemsize)


def memory_bytes(size: int, dtype: str = "float64", **params: Any) -> int:
    """Peak host bytes of one run: A, B and C, their float64 copies in the reference and
    their int64 copies in the check (48 per entry measured with tracemalloc in float64)."""
    return size * size * (3 * np.dtype(DTYPES[dtype]).itemsize + 40)


KERNEL = KernelSpec(
    name="matmul",
    title="Matrix multiply",
    size_means="n x n matrices",
    description="dense n x n matrix product; compute-bound, where BLAS and GPUs shine "
    "(python and pypy run the naive triple loop: for contrast at small n only)",
    presets={
        "S": Preset(128),
        "M": Preset(512),
        "L": Preset(4096, note="the naive pure-Python loop takes hours here"),
    },
    dtypes=("float64", "float32"),
    make_inputs=make_inputs,
    reference=reference,
    check=check,
    work=work,
    memory_bytes=memory_bytes,
    package=__name__,
)

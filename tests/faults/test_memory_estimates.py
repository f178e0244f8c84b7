"""Each kernel's memory estimate against the peak that tracemalloc measures for a real run.

The estimate is what an absurd size is refused by, before anything is allocated: it
must not be below what a run really takes (or a size that cannot fit would start),
nor so far above it that sizes which fit are refused. The run measured is what a
worker does on the numpy backend: inputs, the kernel, the check with its reference.
"""

from __future__ import annotations

import tracemalloc

import pytest
from accel.kernels import KERNEL_NAMES, get_kernel

#: A size per kernel where the data dwarfs the interpreter's own small allocations,
#: with parameters that keep the run short (memory does not depend on them).
SIZES = {
    "julia": (400, {"max_iter": 100}),
    "diffusion": (400, {"steps": 20}),
    "norm": (2_000_000, {}),
    "pi": (2_000_000, {}),
    "primes": (200_000, {}),
    "matmul": (400, {}),
}
#: The estimate may be this many times the measured peak at most. pi's is a constant
#: that also covers the slices of its reference, which the NumPy kernel does not need.
LARGEST_RATIO = {"pi": 6.0}
DEFAULT_RATIO = 2.5


def _one_run(kernel, size: int, dtype: str, params: dict) -> bool:
    inputs = kernel.make_inputs(size, dtype, 0, **{**kernel.params_for(size), **params})
    output = kernel.implementation("numpy").compute(**inputs)
    return kernel.check(output, inputs).passed


def test_every_kernel_in_the_catalogue_has_an_estimate():
    assert set(SIZES) == set(KERNEL_NAMES)
    assert all(get_kernel(name).memory_bytes is not None for name in KERNEL_NAMES)


@pytest.mark.parametrize(
    "name, dtype", [(n, d) for n in KERNEL_NAMES for d in get_kernel(n).dtypes]
)
def test_the_estimate_covers_the_measured_peak_without_wasting_memory(name, dtype):
    kernel = get_kernel(name)
    size, params = SIZES[name]
    assert _one_run(kernel, 8 if size < 10_000 else 1000, dtype, params)  # imports done
    tracemalloc.start()
    try:
        passed = _one_run(kernel, size, dtype, params)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert passed
    estimate = kernel.memory_bytes(size, dtype, **{**kernel.params_for(size), **params})
    assert estimate >= peak
    assert estimate <= LARGEST_RATIO.get(name, DEFAULT_RATIO) * peak

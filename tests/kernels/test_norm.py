"""The squared-norm kernel: its closed form, every implementation, and mutants it must catch."""

import importlib
import math
from pathlib import Path

import numpy as np
import pytest
from accel.kernels import get_kernel

NORM = get_kernel("norm")
PACKAGE = Path(NORM.implementation_path("numpy")).parent
#: Implementation modules that take NumPy arrays in this process.
IN_PROCESS = ["numpy_impl", "numba_cpu", "numba_parallel", "c_native", "c_openmp"]
#: Those that accumulate in float64, so that even float32 inputs give the exact answer.
DOUBLE_ACCUMULATORS = ["numba_cpu", "numba_parallel", "c_native", "c_openmp"]
#: Lengths around the pattern's period (1000) and the C code's lanes (16) and blocks (8192).
LENGTHS = [1, 15, 17, 999, 1000, 1001, 8193, 100_003]


def _brute_force(size: int) -> int:
    """The sum of squares of v[i] = 1 + (i mod 1000) by adding Python integers one by one."""
    return sum((1 + i % 1000) ** 2 for i in range(size))


@pytest.mark.parametrize("size", LENGTHS)
def test_closed_form_equals_the_integer_sum_and_the_input_pattern(size):
    inputs = NORM.make_inputs(size)
    assert NORM.reference(inputs) == _brute_force(size)
    assert inputs["v"].tolist() == [float(1 + i % 1000) for i in range(size)]


def test_book_preset_is_a_million_elements_with_an_exact_float64_answer():
    book = NORM.presets["book"]
    inputs = NORM.make_inputs(book.size)
    assert book.size == 1_000_000
    assert NORM.reference(inputs) == 1000 * (1000 * 1001 * 2001 // 6) == 333_833_500_000
    # Even at the largest preset, n * (largest square) bounds every partial sum below 2**53.
    assert NORM.presets["L"].size * 1000**2 < 2**53


def test_preset_s_is_a_hundred_thousand_elements():
    """The size every backend runs at in test_every_pair.py (float64 sums exact there)."""
    s = NORM.presets["S"]
    assert (s.size, dict(s.params)) == (100_000, {})
    assert NORM.make_inputs(s.size)["v"].shape == (100_000,)


@pytest.mark.parametrize("module", IN_PROCESS)
def test_implementation_is_exact_in_float64_at_every_awkward_length(module):
    compute = importlib.import_module(f"{NORM.package}.{module}").compute
    for size in LENGTHS:
        inputs = NORM.make_inputs(size)
        assert compute(**inputs) == NORM.reference(inputs), size


@pytest.mark.parametrize("module", IN_PROCESS)
def test_implementation_passes_in_float32(module):
    compute = importlib.import_module(f"{NORM.package}.{module}").compute
    inputs = NORM.make_inputs(100_003, "float32")
    result = compute(**inputs)
    assert NORM.check(result, inputs).passed
    if module in DOUBLE_ACCUMULATORS:
        assert result == NORM.reference(inputs)


def test_torch_and_pure_python_are_exact_in_float64():
    torch = pytest.importorskip("torch")
    inputs = NORM.make_inputs(100_003)
    expected = NORM.reference(inputs)
    assert (
        NORM.implementation("torch_cpu").compute(torch.from_numpy(inputs["v"])).item() == expected
    )
    assert NORM.implementation("python").compute(inputs["v"].tolist()) == expected


def test_float32_accumulation_stays_inside_the_stated_bound_which_is_not_vacuous():
    """A serial float32 sum (the longest rounding chain) passes; an error just beyond fails."""
    inputs = NORM.make_inputs(100_000, "float32")
    serial = np.float32(0)
    for square in (inputs["v"] * inputs["v"]).tolist():
        serial = np.float32(serial + np.float32(square))
    verdict = NORM.check(float(serial), inputs)
    assert verdict.passed and verdict.error > 0, verdict.detail
    bound = 6 * 2.0**-24 * math.sqrt(100_000 / 3)  # the documented 6 u sqrt(n / 3)
    assert verdict.error < bound
    assert not NORM.check(NORM.reference(inputs) * (1 + 1.01 * bound), inputs).passed


def _mutant(v, *, start=0, stop=None, initial=0.0, power=2):
    """The book's loop with one deliberate mistake (chosen by the keyword arguments)."""
    total = initial
    for x in v[start:stop].tolist():
        total += x**power
    return total


@pytest.mark.parametrize(
    "mistake",
    [
        pytest.param({"stop": -1}, id="last-element-skipped"),
        pytest.param({"start": 1}, id="first-element-skipped"),
        pytest.param({"initial": 1.0}, id="accumulator-starts-at-one"),
        pytest.param({"power": 2.0000001}, id="wrong-exponent"),
    ],
)
def test_check_catches_mutants(mistake):
    inputs = NORM.make_inputs(NORM.presets["S"].size)
    assert NORM.check(_mutant(**inputs), inputs).passed  # the unmutated loop
    verdict = NORM.check(_mutant(**inputs, **mistake), inputs)
    assert not verdict.passed, verdict.detail


def test_check_rejects_missing_several_and_nan_outputs():
    inputs = NORM.make_inputs(1000)
    assert not NORM.check(None, inputs).passed
    assert not NORM.check(np.array([333833500.0, 0.0]), inputs).passed
    assert not NORM.check(float("nan"), inputs).passed
    assert NORM.check(np.array([333833500.0]), inputs).passed  # a one-element device result


@pytest.mark.parametrize("dtype, itemsize", [("float64", 8), ("float32", 4)])
def test_work_reads_each_element_once_for_two_flops(dtype, itemsize):
    work = NORM.work(10_000_000, dtype=dtype)
    assert (work.flops, work.bytes) == (20_000_000, 10_000_000 * itemsize)


NUMBA_CUDA_SIMULATED = """
import json
import numpy as np
from numba import cuda
import accel
from accel.kernels import get_kernel
from accel.kernels.norm import numba_cuda

NORM = get_kernel("norm")
for dtype in ("float64", "float32"):
    record = accel.run("norm", "numba_cuda", size=100, dtype=dtype, repeats=1)
    print(json.dumps({"what": f"worker {dtype}", "ok": record.status == "ok"
                      and record.check["passed"], "why": record.reason}))
    # Fewer threads than elements (the grid-stride loop), and blocks of 3 warps
    # (the shared-memory reduction when the block size is not a power of two).
    inputs = NORM.make_inputs(1001, dtype)
    for blocks, threads in ((1, 32), (3, 96)):
        out = cuda.to_device(np.zeros(1, dtype=dtype))
        numba_cuda._kernel(np.dtype(dtype))[blocks, threads](cuda.to_device(inputs["v"]), out)
        verdict = NORM.check(out.copy_to_host(), inputs)
        print(json.dumps({"what": f"[{blocks}, {threads}] {dtype}", "ok": verdict.passed,
                          "why": verdict.detail}))
"""


def test_numba_cuda_passes_its_check_in_the_cuda_simulator(run_in_cuda_simulator):
    outcomes = run_in_cuda_simulator(NUMBA_CUDA_SIMULATED)
    assert len(outcomes) == 6
    for outcome in outcomes:
        assert outcome["ok"], outcome

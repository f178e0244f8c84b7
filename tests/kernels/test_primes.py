"""Primes by trial division: the sieve against published prime counts, every backend against
the sieve, the edge cases trial division gets wrong, and mutants the check must catch."""

import importlib
import subprocess
from pathlib import Path

import numpy as np
import pytest
from accel.kernels import get_kernel

PRIMES = get_kernel("primes")
PRIMES_MODULE = importlib.import_module(PRIMES.package)
PACKAGE = Path(PRIMES.implementation_path("numpy")).parent
#: Implementation modules that take NumPy inputs in this process.
IN_PROCESS = ["numpy_impl", "numba_cpu", "numba_parallel", "c_native", "c_openmp"]
#: (start, size) ranges that trial division can get wrong: 0, 1 and 2; squares of primes
#: (10007^2 = 100140049); the largest prime below 2^31 (2^31 - 1) and primes just below and
#: above 2^32, where 32-bit arithmetic would overflow.
EDGE_RANGES = [
    (0, 1),
    (1, 1),
    (2, 1),
    (0, 3000),
    (100_140_040, 20),
    (2**31 - 10, 20),
    (2**32 - 10, 30),
]


def _compute(module: str, inputs: dict) -> int:
    """Run one implementation in this process, as its backend would hand it the inputs."""
    if module == "pure_python":
        return PRIMES.implementation("python").compute(inputs["numbers"].tolist())
    if module == "torch_impl":
        torch = pytest.importorskip("torch")
        return int(PRIMES.implementation("torch_cpu").compute(torch.from_numpy(inputs["numbers"])))
    return importlib.import_module(f"{PRIMES.package}.{module}").compute(**inputs)


@pytest.mark.parametrize(
    "limit, published",
    [(100, 25), (10**6, 78_498), (10**7, 664_579)],
)
def test_sieve_gives_the_published_prime_counts(limit, published):
    """pi(10^2), pi(10^6) and pi(10^7), the prime-counting function's tabulated values."""
    assert PRIMES.reference(PRIMES.make_inputs(limit, start=0)) == published


def _miller_rabin(n: int) -> bool:
    """Miller-Rabin with bases 2, 3, 5, 7: exact for every n < 3,215,031,751
    (Pomerance, Selfridge and Wagstaff, 1980)."""
    if n < 2:
        return False
    for p in (2, 3, 5, 7):
        if n % p == 0:
            return n == p
    odd, twos = n - 1, 0
    while odd % 2 == 0:
        odd, twos = odd // 2, twos + 1
    for base in (2, 3, 5, 7):
        x = pow(base, odd, n)
        if x in (1, n - 1):
            continue
        for _ in range(twos - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


@pytest.mark.parametrize("start, size", [(0, 3000), (100_000_000, 10_000), (2**31 - 3000, 3000)])
def test_sieve_agrees_with_an_unrelated_primality_test(start, size):
    flags = PRIMES_MODULE.prime_flags(start, start + size - 1)
    assert flags.tolist() == [_miller_rabin(n) for n in range(start, start + size)]


def test_presets_are_the_chapters_ranges():
    start = 100_000_000
    assert [
        (PRIMES.presets[p].size, PRIMES.presets[p].params["start"]) for p in ("S", "M", "book")
    ] == [
        (10_000, start),
        (100_000, start),
        (1_000_000, start),
    ]


@pytest.mark.parametrize("module", ["pure_python", "torch_impl", *IN_PROCESS])
def test_implementation_gets_the_edge_cases_right(module):
    for start, size in EDGE_RANGES:
        inputs = PRIMES.make_inputs(size, start=start)
        assert _compute(module, inputs) == PRIMES.reference(inputs), (start, size)


#: A few large numbers whose answer is known in closed form. 10^17 + 1 = 11 * 9090909090909091
#: (10^odd + 1 is a multiple of 11): trial division settles it at 11, where NumPy used to go
#: on dividing an empty array up to sqrt(1e17). 2^31 + 1 = 3 * 715827883.
LARGE_NUMBERS = [
    pytest.param([10**17 + 1], 0, id="1e17+1=11*9090909090909091"),
    pytest.param([1_000_003 * 1_000_033, 1_000_003, 1_000_033], 2, id="semiprime-and-factors"),
    pytest.param([2**31 - 1] * 3 + [2**31 + 1], 3, id="M31-thrice-and-2^31+1"),
]


@pytest.mark.parametrize("numbers, expected", LARGE_NUMBERS)
@pytest.mark.parametrize("module", ["pure_python", "torch_impl", *IN_PROCESS])
@pytest.mark.slow
def test_few_large_numbers_are_settled_by_their_factors(module, numbers, expected):
    assert 10**17 + 1 == 11 * 9_090_909_090_909_091 and 2**31 + 1 == 3 * 715_827_883
    assert PRIMES_MODULE.prime_flags(1_000_003, 1_000_033)[[0, -1]].all()
    assert PRIMES_MODULE.prime_flags(2**31 - 1, 2**31 - 1)[0]
    inputs = {"numbers": np.array(numbers, dtype=np.int64)}
    assert _compute(module, inputs) == expected


def test_numpy_divides_a_lone_large_number_in_blocks_and_agrees_with_the_sieve():
    """200 numbers from 2^40: few candidates, so NumPy divides them by many divisors at once."""
    inputs = PRIMES.make_inputs(200, start=2**40)
    assert _compute("numpy_impl", inputs) == PRIMES.reference(inputs)


def test_edge_ranges_hold_the_cases_they_claim():
    flags = PRIMES_MODULE.prime_flags(0, 2)
    assert flags.tolist() == [False, False, True]
    assert not PRIMES_MODULE.prime_flags(100_140_049, 100_140_049)[0]  # 10007^2
    assert PRIMES_MODULE.prime_flags(2**31 - 1, 2**31 - 1)[0]
    assert PRIMES_MODULE.prime_flags(4_294_967_291, 4_294_967_291)[0]  # largest below 2^32
    assert PRIMES_MODULE.prime_flags(4_294_967_311, 4_294_967_311)[0]  # smallest above 2^32


def _pure_python_mutant(original: str, mutated: str):
    """The pure-Python implementation with one piece of its source changed."""
    source = (PACKAGE / "pure_python.py").read_text()
    assert source.count(original) == 1, original
    namespace: dict = {}
    exec(compile(source.replace(original, mutated), "pure_python_mutant", "exec"), namespace)
    return namespace["compute"]


@pytest.mark.parametrize(
    "original, mutated, start, size",
    [
        # Squares of primes pass as prime: caught where the range holds some (the S range
        # holds none, so this mutant is tried on the first 10,000 numbers).
        pytest.param("isqrt(n) + 1", "isqrt(n)", 0, 10_000, id="square-root-one-short"),
        pytest.param("range(3, ", "range(5, ", 100_000_000, 10_000, id="divisors-start-at-5"),
        pytest.param("if n < 2:", "if n < 1:", 0, 100, id="one-counted-as-prime"),
        pytest.param("return n == 2", "return False", 0, 100, id="two-not-prime-as-in-the-book"),
    ],
)
def test_check_catches_mutants(original, mutated, start, size):
    inputs = PRIMES.make_inputs(size, start=start)
    numbers = inputs["numbers"].tolist()
    assert PRIMES.check(_pure_python_mutant(original, original)(numbers), inputs).passed
    verdict = PRIMES.check(_pure_python_mutant(original, mutated)(numbers), inputs)
    assert not verdict.passed, verdict.detail


def test_check_accepts_one_integer_and_rejects_everything_else():
    inputs = PRIMES.make_inputs(1000, start=0)
    assert PRIMES.check(168, inputs).passed
    assert PRIMES.check(np.array([168], dtype=np.uint64), inputs).passed  # a GPU's result
    for wrong in (None, 168.0, 167, 169, np.array([168, 0]), True):
        assert not PRIMES.check(wrong, inputs).passed, wrong


def test_make_inputs_refuses_numbers_trial_division_cannot_take():
    with pytest.raises(ValueError):
        PRIMES.make_inputs(10, start=-1)
    with pytest.raises(ValueError):
        PRIMES.make_inputs(10, start=2**62 - 5)


def _divisions_by_counting(start: int, size: int) -> int:
    """Remainders trial division computes, counted by running it (the numba_cpu algorithm)."""
    total = 0
    for n in range(start, start + size):
        if n < 2:
            continue
        total += 1  # n % 2
        if n % 2 == 0:
            continue
        divisor = 3
        while divisor * divisor <= n:
            total += 1
            if n % divisor == 0:
                break
            divisor += 2
    return total


@pytest.mark.parametrize("start, size", [(0, 5000), (100_000_000, 2000)])
def test_work_is_the_exact_number_of_divisions(start, size):
    assert PRIMES.work(size, start=start).flops == _divisions_by_counting(start, size)
    assert PRIMES.work(size, start=start).bytes == 8 * size


NUMBA_CUDA_SIMULATED = """
import json
import numpy as np
from numba import cuda
import accel
from accel.kernels import get_kernel
from accel.kernels.primes import numba_cuda

PRIMES = get_kernel("primes")
record = accel.run("primes", "numba_cuda", size=500, repeats=1)
print(json.dumps({"what": "worker", "ok": record.status == "ok" and record.check["passed"],
                  "why": record.reason + record.stderr_tail[-300:]}))
# Fewer threads than numbers (the grid-stride loop), blocks of 3 warps, and 0, 1, 2 and
# prime squares among the numbers.
inputs = PRIMES.make_inputs(1001, start=0)
for blocks, threads in ((1, 32), (3, 96)):
    total = cuda.to_device(np.zeros(1, dtype=np.int64))
    numba_cuda.count_primes[blocks, threads](cuda.to_device(inputs["numbers"]), total)
    verdict = PRIMES.check(total.copy_to_host(), inputs)
    print(json.dumps({"what": [blocks, threads], "ok": verdict.passed, "why": verdict.detail}))
"""


def test_numba_cuda_counts_exactly_in_the_cuda_simulator(run_in_cuda_simulator):
    outcomes = run_in_cuda_simulator(NUMBA_CUDA_SIMULATED)
    assert len(outcomes) == 3
    for outcome in outcomes:
        assert outcome["ok"], outcome


def test_numba_cuda_kernel_compiles_for_a_real_gpu_in_integer_arithmetic_only(compile_ptx):
    """NVVM shows what Numba really types the kernel as: integer remainders, no float.

    The 64-bit remainder comes with the 32-bit one NVVM switches to when the operands fit.
    """
    kernel = PRIMES.implementation("numba_cuda").count_primes
    ptx = compile_ptx(kernel.py_func, "void(int64[::1], int64[::1])", (8, 0))
    assert "rem.s64" in ptx and "rem.u32" in ptx and "atom.global.add" in ptx
    assert ".f64" not in ptx and ".f32" not in ptx


def test_cuda_source_compiles_with_nvcc_to_32_bit_remainders_where_operands_fit(nvcc, tmp_path):
    ptx = tmp_path / "primes.ptx"
    result = subprocess.run(
        [nvcc, "--ptx", "-o", str(ptx), str(PACKAGE / "primes.cu")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "rem.s64" in ptx.read_text() and "rem.u32" in ptx.read_text()


HOST_HARNESS = """
#include <cstdio>
#include <cstdlib>
#include "primes.cu"
int main(int argc, char **argv)
{
    long long start = atoll(argv[1]), size = atoll(argv[2]), count = 0;
    for (long long n = start; n < start + size; n++)
        count += primes_is_prime(n);
    printf("%lld\\n", count);
    return 0;
}
"""


def test_cuda_source_counts_the_sieves_primes_when_run_on_the_host(host_program):
    """primes.cu's primality test is a host function too: nvcc builds it into a CPU program."""
    program = host_program(HOST_HARNESS, PACKAGE)
    for start, size in [*EDGE_RANGES, (100_000_000, 10_000)]:
        run = subprocess.run(
            [str(program), str(start), str(size)], capture_output=True, text=True, check=True
        )
        assert int(run.stdout) == PRIMES.reference(PRIMES.make_inputs(size, start=start))

"""Monte Carlo pi: the generator against its published outputs, every backend counting the
same darts, the estimate against pi itself, and mutants the check must catch."""

import importlib
import math
import subprocess
from pathlib import Path

import numpy as np
import pytest
from accel.kernels import get_kernel

PI = get_kernel("pi")
PI_MODULE = importlib.import_module(PI.package)
PACKAGE = Path(PI.implementation_path("numpy")).parent
#: Implementation modules that take NumPy inputs in this process.
IN_PROCESS = ["numpy_impl", "numba_cpu", "numba_parallel", "c_native", "c_openmp"]
#: SplitMix64 seeded with 1234567: its first five outputs, as Rosetta Code publishes them
#: ("Pseudo-random numbers/Splitmix64").
ROSETTA_SEED = 1234567
ROSETTA_OUTPUTS = [
    6457827717110365317,
    3203168211198807973,
    9817491932198370423,
    4593380528125082431,
    16408922859458223821,
]
#: Dart counts around the slices and blocks of the implementations (2^14 NumPy and torch on
#: the CPU, 2^16 numba_parallel), and seeds that are 0, all ones and above 2^63.
AWKWARD_SIZES = [1, 2, 16_383, 16_385, 65_537, 131_075]
SEEDS = [0, -1, 2**63 + 5]


def _published_dart_count(darts: int) -> int:
    """Darts inside among the first ``darts`` darts of the Rosetta stream, from its outputs."""
    coordinates = [output >> 33 for output in ROSETTA_OUTPUTS[: 2 * darts]]
    pairs = zip(coordinates[0::2], coordinates[1::2], strict=True)
    return sum(x * x + y * y < 2**62 for x, y in pairs)


def _compute(module: str, inputs: dict) -> int:
    """Run one implementation in this process, as its backend would hand it the inputs."""
    if module == "pure_python":
        return PI.implementation("python").compute(inputs["samples"], inputs["seed"].tolist())
    if module == "torch_impl":
        torch = pytest.importorskip("torch")
        return int(
            PI.implementation("torch_cpu").compute(
                **{**inputs, "seed": torch.from_numpy(inputs["seed"])}
            )
        )
    return importlib.import_module(f"{PI.package}.{module}").compute(**inputs)


def test_generator_reproduces_the_published_splitmix64_outputs():
    outputs = PI_MODULE.splitmix64_outputs(ROSETTA_SEED, 0, 5)
    assert [int(v) for v in outputs] == ROSETTA_OUTPUTS
    # Jumping into the stream gives the same outputs as walking it.
    assert [int(v) for v in PI_MODULE.splitmix64_outputs(ROSETTA_SEED, 3, 2)] == ROSETTA_OUTPUTS[3:]


@pytest.mark.parametrize("module", ["pure_python", "torch_impl", *IN_PROCESS])
def test_first_darts_are_the_ones_the_published_outputs_give(module):
    inputs = PI.make_inputs(2, seed=ROSETTA_SEED)
    assert _compute(module, inputs) == _published_dart_count(2) == 2
    assert PI.reference(inputs) == 2


@pytest.mark.parametrize("module", ["pure_python", "torch_impl", *IN_PROCESS])
def test_implementation_counts_the_reference_darts_at_awkward_sizes_and_seeds(module):
    for seed in SEEDS:
        for size in AWKWARD_SIZES:
            inputs = PI.make_inputs(size, seed=seed)
            assert _compute(module, inputs) == PI.reference(inputs), (seed, size)


def test_estimates_scatter_around_pi_with_the_standard_error_the_check_assumes():
    """Over 400 seeds, (estimate - pi) / standard error has mean ~0 and variance ~1.

    This tests the generator against pi itself, not against any implementation: a
    biased or correlated generator shifts the mean or inflates the variance.
    """
    samples = 20_000
    scores = np.array(
        [
            (4 * PI.reference(PI.make_inputs(samples, seed=seed)) / samples - math.pi)
            / PI_MODULE.standard_error(samples)
            for seed in range(400)
        ]
    )
    # For 400 standard normal scores: the mean has s.d. 0.05, the variance s.d. 0.07.
    assert abs(scores.mean()) < 0.25
    assert 0.7 < scores.var() < 1.35
    assert np.abs(scores).max() < PI_MODULE.STANDARD_ERRORS


def _inputs_whose_last_dart_lands_inside(samples: int) -> dict:
    """Inputs of the first seed whose last dart lands inside the quarter circle.

    A loop one dart short changes the count only when the dart it misses is inside;
    when it is outside, the short loop returns the right count and no check can object.
    """
    for seed in range(100):
        inputs = PI.make_inputs(samples, seed=seed)
        if PI.reference(inputs) == PI.reference(PI.make_inputs(samples - 1, seed=seed)) + 1:
            return inputs
    raise AssertionError("no seed in 0..99 has its last dart inside")


def _pure_python_mutant(original: str, mutated: str):
    """The pure-Python implementation with one line of its source changed."""
    source = (PACKAGE / "pure_python.py").read_text()
    assert source.count(original) == 1, original
    namespace: dict = {}
    exec(compile(source.replace(original, mutated), "pure_python_mutant", "exec"), namespace)
    return namespace["compute"]


@pytest.mark.parametrize(
    "original, mutated",
    [
        pytest.param("range(samples)", "range(samples - 1)", id="one-dart-short"),
        pytest.param(
            "state = seed[0] & MASK64",
            "state = (seed[0] + GAMMA) & MASK64",
            id="stream-one-step-late",
        ),
        pytest.param(
            "MIX2 = 0x94D049BB133111EB", "MIX2 = 0x94D049BB133111EF", id="wrong-mixing-constant"
        ),
        pytest.param(
            "COORDINATE_SHIFT = 64 - 31", "COORDINATE_SHIFT = 64 - 32", id="wrong-coordinate-bits"
        ),
    ],
)
def test_check_catches_mutants(original, mutated):
    inputs = _inputs_whose_last_dart_lands_inside(PI.presets["S"].size)
    samples, seed = inputs["samples"], inputs["seed"].tolist()
    assert PI.check(_pure_python_mutant(original, original)(samples, seed), inputs).passed
    verdict = PI.check(_pure_python_mutant(original, mutated)(samples, seed), inputs)
    assert not verdict.passed, verdict.detail


def test_statistical_bound_catches_a_broken_generator_that_the_reference_shares(monkeypatch):
    """If every backend and the reference shared a broken generator, the counts would agree;
    the bound on the estimate still fails it."""
    inputs = PI.make_inputs(100_000)
    broken_count = 80_000  # an estimate of 3.2: 11 standard errors from pi
    monkeypatch.setattr(PI_MODULE, "reference", lambda inputs: broken_count)
    verdict = PI.check(broken_count, inputs)
    assert not verdict.passed and "standard errors" in verdict.detail
    assert not PI.check(78_540, inputs).passed  # close to pi, but not the (shared) count


def test_check_accepts_one_integer_and_rejects_everything_else():
    inputs = PI.make_inputs(1000)
    count = PI.reference(inputs)
    assert PI.check(count, inputs).passed
    assert PI.check(np.array([count], dtype=np.uint64), inputs).passed  # a GPU's 1-element result
    assert PI.check(np.int64(count), inputs).passed
    for wrong in (None, float(count), np.array([count, 0]), True, np.array([]), count + 1):
        assert not PI.check(wrong, inputs).passed, wrong


def test_seed_makes_the_darts_reproducible_and_different_seeds_differ():
    first, again = PI.make_inputs(50_000, seed=7), PI.make_inputs(50_000, seed=7)
    assert PI.reference(first) == PI.reference(again)
    assert PI_MODULE.stream_seed(PI.make_inputs(10, seed=-1)) == 2**64 - 1
    counts = {PI.reference(PI.make_inputs(50_000, seed=seed)) for seed in range(5)}
    assert len(counts) > 1


def test_work_counts_integer_operations_per_dart_and_no_array_traffic():
    assert PI.work(10**6).flops == 27 * 10**6
    assert PI.work(2 * 10**6).flops == 2 * PI.work(10**6).flops
    assert PI.work(10**6).bytes == 8


def test_book_preset_is_the_chapters_hundred_million_darts():
    assert PI.presets["book"].size == 100_000_000
    # 31-bit coordinates: squares and their sum stay below 2^63, in every backend's int64.
    assert 2 * (2**31 - 1) ** 2 < 2**63


def test_preset_s_is_a_hundred_thousand_darts():
    """The size every backend runs at in test_every_pair.py, counting exactly."""
    s = PI.presets["S"]
    assert (s.size, dict(s.params)) == (100_000, {})
    assert PI.make_inputs(s.size)["samples"] == 100_000


NUMBA_CUDA_SIMULATED = """
import json
import numpy as np
from numba import cuda
import accel
from accel.kernels import get_kernel
from accel.kernels.pi import numba_cuda

PI = get_kernel("pi")
record = accel.run("pi", "numba_cuda", size=1000, repeats=1)
print(json.dumps({"what": "worker", "ok": record.status == "ok" and record.check["passed"],
                  "why": record.reason + record.stderr_tail[-300:]}))
# Fewer threads than darts (the grid-stride loop), blocks of 3 warps, a seed above 2^63.
inputs = PI.make_inputs(1001, seed=2**63 + 5)
for blocks, threads in ((1, 32), (3, 96)):
    total = cuda.to_device(np.zeros(1, dtype=np.int64))
    seed = cuda.to_device(inputs["seed"])
    numba_cuda.count_inside[blocks, threads](inputs["samples"], seed, total)
    verdict = PI.check(total.copy_to_host(), inputs)
    print(json.dumps({"what": [blocks, threads], "ok": verdict.passed, "why": verdict.detail}))
"""


def test_numba_cuda_counts_exactly_in_the_cuda_simulator(run_in_cuda_simulator):
    # The simulator runs uint64 arithmetic on NumPy scalars, which warn on wrap-around.
    outcomes = run_in_cuda_simulator(NUMBA_CUDA_SIMULATED, "-W", "ignore::RuntimeWarning")
    assert len(outcomes) == 3
    for outcome in outcomes:
        assert outcome["ok"], outcome


def test_numba_cuda_kernel_compiles_for_a_real_gpu_in_integer_arithmetic_only(compile_ptx):
    """The simulator runs the kernel as Python; NVVM shows what Numba really types it as.

    Mixing uint64 with int64 makes Numba compute in float64, which would lose bits of
    the generator: the PTX must hold 64-bit integer multiplies and no float at all.
    """
    kernel = PI.implementation("numba_cuda").count_inside
    ptx = compile_ptx(kernel.py_func, "void(int64, int64[::1], int64[::1])", (8, 0))
    assert "mul.lo.s64" in ptx and "atom.global.add" in ptx
    assert ".f64" not in ptx and ".f32" not in ptx


HOST_HARNESS = """
#include <cstdio>
#include <cstdlib>
#include "pi.cu"
int main(int argc, char **argv)
{
    long long samples = atoll(argv[1]);
    unsigned long long seed = strtoull(argv[2], 0, 10);
    long long inside = 0;
    for (long long i = 0; i < samples; i++)
        inside += pi_dart_inside(seed, i);
    printf("%lld", inside);
    for (int k = 0; k < 5; k++)
        printf(" %llu", pi_splitmix64(1234567ULL, k));
    printf("\\n");
    return 0;
}
"""


def test_cuda_source_counts_the_reference_darts_when_run_on_the_host(host_program):
    """pi.cu's dart test is a host function too: nvcc builds it into a CPU program."""
    program = host_program(HOST_HARNESS, PACKAGE)
    for seed in (0, 2**63 + 5):
        inputs = PI.make_inputs(20_000, seed=seed)
        run = subprocess.run(
            [str(program), "20000", str(PI_MODULE.stream_seed(inputs))],
            capture_output=True,
            text=True,
            check=True,
        )
        inside, *outputs = (int(word) for word in run.stdout.split())
        assert inside == PI.reference(inputs)
        assert outputs == ROSETTA_OUTPUTS

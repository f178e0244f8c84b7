"""Matrix multiply: exact products from whole-number inputs, Freivalds' check against the
errors it claims to catch, every backend in both dtypes, and mutants of the loops."""

import importlib
from pathlib import Path

import numpy as np
import pytest
from accel.kernels import get_kernel

MATMUL = get_kernel("matmul")
PACKAGE = Path(MATMUL.implementation_path("numpy")).parent
#: Implementation modules that take NumPy inputs in this process.
IN_PROCESS = ["numpy_impl", "numba_cpu", "numba_parallel", "c_native", "c_openmp"]
#: Sizes around the blocks of the loops: rows (64), k (128) and j (512).
AWKWARD_SIZES = [1, 2, 63, 65, 129, 520]


def _python_integer_product(a: np.ndarray, b: np.ndarray) -> list[list[int]]:
    """A B in exact Python integers, one dot product at a time."""
    a_rows, b_columns = a.astype(int).tolist(), b.T.astype(int).tolist()
    return [
        [sum(x * y for x, y in zip(row, column, strict=True)) for column in b_columns]
        for row in a_rows
    ]


def test_inputs_are_seeded_whole_numbers_in_the_stated_range():
    inputs = MATMUL.make_inputs(200, "float32", seed=3)
    for m in (inputs["a"], inputs["b"]):
        assert m.dtype == np.float32 and m.shape == (200, 200)
        assert (m == np.rint(m)).all() and m.min() == -8 and m.max() == 8
    again = MATMUL.make_inputs(200, "float32", seed=3)
    assert np.array_equal(inputs["a"], again["a"]) and np.array_equal(inputs["b"], again["b"])
    assert not np.array_equal(inputs["a"], MATMUL.make_inputs(200, "float32", seed=4)["a"])


def test_preset_s_is_128_by_128():
    """The size every backend runs at in test_every_pair.py, exact in both dtypes."""
    s = MATMUL.presets["S"]
    assert (s.size, dict(s.params)) == (128, {})
    assert MATMUL.make_inputs(s.size)["a"].shape == (128, 128)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_reference_is_the_exact_integer_product(dtype):
    inputs = MATMUL.make_inputs(40, dtype, seed=1)
    expected = _python_integer_product(inputs["a"], inputs["b"])
    assert MATMUL.reference(inputs).astype(int).tolist() == expected
    assert MATMUL.check(np.array(expected, dtype=dtype), inputs).passed


@pytest.mark.parametrize("module", IN_PROCESS)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_implementation_is_exact_at_every_awkward_size(module, dtype):
    compute = importlib.import_module(f"{MATMUL.package}.{module}").compute
    for size in AWKWARD_SIZES:
        inputs = MATMUL.make_inputs(size, dtype, seed=size)
        c = compute(**inputs)
        assert c.dtype == np.dtype(dtype) and np.array_equal(c, MATMUL.reference(inputs)), size


def test_torch_and_pure_python_are_exact():
    torch = pytest.importorskip("torch")
    for dtype in ("float64", "float32"):
        inputs = MATMUL.make_inputs(65, dtype)
        tensors = {name: torch.from_numpy(m) for name, m in inputs.items()}
        c = MATMUL.implementation("torch_cpu").compute(**tensors).numpy()
        assert c.dtype == np.dtype(dtype) and np.array_equal(c, MATMUL.reference(inputs))
    inputs = MATMUL.make_inputs(17)
    c = MATMUL.implementation("python").compute(inputs["a"].tolist(), inputs["b"].tolist())
    assert c == MATMUL.reference(inputs).tolist()


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_freivalds_check_catches_every_single_wrong_entry(dtype):
    """Each of 300 products wrong by one in one random entry fails (the claimed bound is 2^-42)."""
    inputs = MATMUL.make_inputs(96, dtype)
    good = MATMUL.reference(inputs)
    rng = np.random.default_rng(0)
    for _ in range(300):
        wrong = good.copy()
        i, j = rng.integers(0, 96, size=2)
        wrong[i, j] += rng.choice([-1, 1])
        verdict = MATMUL.check(wrong, inputs)
        assert not verdict.passed and "1 of 96 rows" in verdict.detail


def test_check_rejects_the_classic_wrong_products_and_malformed_outputs():
    inputs = MATMUL.make_inputs(50)
    a, b, good = inputs["a"], inputs["b"], MATMUL.reference(inputs)
    assert MATMUL.check(good, inputs).passed
    for wrong in (b @ a, a @ b.T, a.T @ b, good[:, :-1], None):
        assert not MATMUL.check(wrong, inputs).passed
    for value in (np.nan, np.inf, 0.5, 64 * 50 + 1.0):
        broken = good.copy()
        broken[3, 4] = value
        assert not MATMUL.check(broken, inputs).passed, value


def _mutant_source(path: Path, original: str, mutated: str) -> str:
    source = path.read_text()
    assert source.count(original) == 1, original
    return source.replace(original, mutated)


@pytest.mark.parametrize(
    "original, mutated",
    [
        pytest.param("for k in range(inner):", "for k in range(inner - 1):", id="k-one-short"),
        pytest.param("total = 0.0", "total = 1.0", id="sum-starts-at-one"),
        pytest.param("a[i][k] * b[k][j]", "a[i][k] * b[j][k]", id="b-transposed"),
    ],
)
def test_check_catches_mutants_of_the_naive_loop(original, mutated):
    inputs = MATMUL.make_inputs(48)
    a, b = inputs["a"].tolist(), inputs["b"].tolist()
    for source, expected in (
        (_mutant_source(PACKAGE / "pure_python.py", original, original), True),
        (_mutant_source(PACKAGE / "pure_python.py", original, mutated), False),
    ):
        namespace: dict = {}
        exec(compile(source, "pure_python_mutant", "exec"), namespace)
        assert MATMUL.check(np.asarray(namespace["compute"](a, b)), inputs).passed is expected


def test_check_catches_a_block_boundary_mistake_in_the_c_loop(tmp_path):
    """The cache-blocked C loop with its k blocks one short: right below 128, wrong above."""
    from accel.kernels._native import NativeBuildError, load_library, pointer

    mutant = tmp_path / "c_native.c"
    mutant.write_text(
        _mutant_source(
            PACKAGE / "c_native.c",
            "const int64_t k1 = min64(k0 + K_BLOCK, n);",
            "const int64_t k1 = min64(k0 + K_BLOCK - 1, n);",
        )
    )
    try:
        function = load_library(mutant).matmul_float64
    except NativeBuildError as exc:
        pytest.skip(f"no working C compiler: {exc}")
    for size, passes in ((100, True), (200, False)):
        inputs = MATMUL.make_inputs(size)
        c = np.zeros((size, size))
        function(pointer(inputs["a"]), pointer(inputs["b"]), pointer(c), size)
        assert MATMUL.check(c, inputs).passed is passes, size


def test_make_inputs_stops_where_float32_stops_being_exact():
    assert 8 * 8 * (2**18 - 1) < 2**24 <= 8 * 8 * 2**18  # the largest |entry| of A B is 64 n
    with pytest.raises(ValueError):
        MATMUL.make_inputs(2**18)


@pytest.mark.parametrize("dtype, itemsize", [("float64", 8), ("float32", 4)])
def test_work_is_two_n_cubed_flops_over_three_matrices(dtype, itemsize):
    work = MATMUL.work(1000, dtype=dtype)
    assert (work.flops, work.bytes) == (2e9, 3 * 1000 * 1000 * itemsize)


NUMBA_CUDA_SIMULATED = """
import json
import numpy as np
from numba import cuda
import accel
from accel.kernels import get_kernel
from accel.kernels.matmul import numba_cuda

MATMUL = get_kernel("matmul")
for dtype in ("float64", "float32"):
    record = accel.run("matmul", "numba_cuda", size=16, dtype=dtype, repeats=1)
    ok = record.status == "ok" and record.check["passed"]
    why = record.reason + record.stderr_tail[-300:]
    print(json.dumps({"what": f"worker {dtype}", "ok": ok, "why": why}))
    # 2 x 2 tiles, the last row and column of them partial, taken by 2 blocks in a
    # grid-stride loop.
    inputs = MATMUL.make_inputs(21, dtype)
    c = cuda.device_array((21, 21), dtype=dtype)
    a, b = cuda.to_device(inputs["a"]), cuda.to_device(inputs["b"])
    numba_cuda.tiled_kernel(np.dtype(dtype))[2, (numba_cuda.TILE, numba_cuda.TILE)](a, b, c)
    verdict = MATMUL.check(c.copy_to_host(), inputs)
    print(json.dumps({"what": f"2 blocks {dtype}", "ok": verdict.passed, "why": verdict.detail}))
"""


def test_numba_cuda_is_exact_in_the_cuda_simulator(run_in_cuda_simulator):
    outcomes = run_in_cuda_simulator(NUMBA_CUDA_SIMULATED)
    assert len(outcomes) == 4
    for outcome in outcomes:
        assert outcome["ok"], outcome


@pytest.mark.parametrize("dtype, suffix", [("float64", "f64"), ("float32", "f32")])
def test_numba_cuda_kernel_compiles_for_a_real_gpu_with_shared_memory_tiles(
    compile_ptx, dtype, suffix
):
    kernel = MATMUL.implementation("numba_cuda").tiled_kernel(np.dtype(dtype))
    signature = f"void({dtype}[:, ::1], {dtype}[:, ::1], {dtype}[:, ::1])"
    ptx = compile_ptx(kernel.py_func, signature, (8, 0))
    # Operands come from shared memory between barriers, in the matrices' own precision.
    assert f"ld.shared.{suffix}" in ptx and "bar.sync" in ptx and f"fma.rn.{suffix}" in ptx

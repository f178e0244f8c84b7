"""The diffusion kernel: its closed-form check, every implementation, and mutants it must catch."""

import array
import importlib
import math
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from accel.kernels import get_kernel
from accel.kernels.diffusion import VARIANTS

DIFFUSION = get_kernel("diffusion")
PACKAGE = Path(DIFFUSION.implementation_path("numpy")).parent
#: Implementation modules that take NumPy arrays in this process (the rest need a GPU,
#: lists, or a simulator), plus the named variants of CPU backends.
IN_PROCESS = ["numpy_inplace", "numba_cpu", "numba_parallel", "c_native", "c_openmp"]
IN_PROCESS += [name for name, backend in VARIANTS.items() if backend == "numpy"]


def _random_inputs(size: int, dtype: str, steps: int, dt: float = 0.2, D: float = 0.5):
    """The book's parameters on a random grid: mass on every row and column, boundaries too."""
    inputs = DIFFUSION.make_inputs(size, dtype, steps=steps, dt=dt, D=D)
    inputs["grid"] = np.random.default_rng(7).random((size, size)).astype(dtype)
    return inputs


def _explicit_matrix_evolution(grid: np.ndarray, steps: int, factor: float) -> np.ndarray:
    """Apply (I + factor * L)^steps with L the periodic 5-point Laplacian as an explicit matrix."""
    rows, cols = grid.shape
    cells = rows * cols
    matrix = np.eye(cells)
    for i in range(rows):
        for j in range(cols):
            here = i * cols + j
            matrix[here, here] -= 4 * factor
            for di, dj in ((1, 0), (-1, 0), (0, 1), (0, -1)):
                matrix[here, ((i + di) % rows) * cols + (j + dj) % cols] += factor
    return (np.linalg.matrix_power(matrix, steps) @ grid.ravel()).reshape(rows, cols)


def test_book_preset_is_the_books_problem():
    book = DIFFUSION.presets["book"]
    inputs = DIFFUSION.make_inputs(book.size, **book.params)
    grid = inputs["grid"]
    assert grid.shape == (640, 640) and grid.dtype == np.float64
    assert (inputs["steps"], inputs["dt"], inputs["D"]) == (500, 0.1, 1.0)
    # The book's drop of dye: 0.005 on rows and columns 256..319 (0.4 and 0.5 of 640).
    assert np.count_nonzero(grid) == 64 * 64
    assert np.all(grid[256:320, 256:320] == 0.005)
    assert math.isclose(grid.sum(), 0.005 * 64 * 64)


def test_preset_s_is_a_64_by_64_grid_for_50_steps():
    """The size every backend runs at in test_every_pair.py."""
    s = DIFFUSION.presets["S"]
    inputs = DIFFUSION.make_inputs(s.size, **s.params)
    assert inputs["grid"].shape == (64, 64) and inputs["steps"] == 50


@pytest.mark.parametrize("shape", [(5, 5), (4, 7)])
def test_closed_form_agrees_with_the_explicit_matrix_power(shape):
    grid = np.random.default_rng(1).random(shape)
    inputs = {"grid": grid, "steps": 9, "dt": 0.1, "D": 2.0}
    expected = _explicit_matrix_evolution(grid, 9, 0.2)
    np.testing.assert_allclose(DIFFUSION.reference(inputs), expected, rtol=0, atol=1e-14)


def test_closed_form_spreads_the_mass_evenly_in_the_long_run():
    inputs = DIFFUSION.make_inputs(20, steps=20_000)
    mass = inputs["grid"].sum()
    np.testing.assert_allclose(DIFFUSION.reference(inputs), mass / 400, rtol=1e-9)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("module", IN_PROCESS)
@pytest.mark.slow
def test_implementation_matches_closed_form_on_a_random_grid(module, dtype):
    inputs = _random_inputs(12, dtype, steps=7)
    before = inputs["grid"].copy()
    compute = importlib.import_module(f"{DIFFUSION.package}.{module}").compute
    output = compute(**inputs)
    assert output.dtype == np.dtype(dtype) and output.shape == (12, 12)
    assert np.array_equal(inputs["grid"], before), "the input grid was modified"
    verdict = DIFFUSION.check(output, inputs)
    assert verdict.passed, verdict.detail


def test_torch_implementation_matches_closed_form_in_both_dtypes():
    torch = pytest.importorskip("torch")
    compute = DIFFUSION.implementation("torch_cpu").compute
    for dtype in ("float64", "float32"):
        inputs = _random_inputs(12, dtype, steps=7)
        output = compute(**{**inputs, "grid": torch.from_numpy(inputs["grid"].copy())})
        assert output.dtype == getattr(torch, dtype)
        assert DIFFUSION.check(output.numpy(), inputs).passed
    still = _random_inputs(6, "float64", steps=3, dt=0.0)
    output = compute(**{**still, "grid": torch.from_numpy(still["grid"].copy())})
    assert np.array_equal(output.numpy(), still["grid"])


def test_pure_python_is_the_numpy_roll_computation_on_lists():
    inputs = _random_inputs(9, "float64", steps=5)
    lists = DIFFUSION.implementation("python").compute(
        **{**inputs, "grid": inputs["grid"].tolist()}
    )
    rolled = importlib.import_module(f"{DIFFUSION.package}.numpy_roll").compute(**inputs)
    assert isinstance(lists, list) and isinstance(lists[0], list)
    np.testing.assert_allclose(np.array(lists), rolled, rtol=0, atol=1e-15)
    assert DIFFUSION.check(lists, inputs).passed


def test_pure_python_on_array_rows_as_pypy_hands_them_keeps_arrays_and_every_bit():
    inputs = _random_inputs(9, "float64", steps=5)
    compute = DIFFUSION.implementation("python").compute
    lists = compute(**{**inputs, "grid": inputs["grid"].tolist()})
    rows = compute(**{**inputs, "grid": [array.array("d", row) for row in inputs["grid"]]})
    # every step's new rows are of the input's kind: PyPy's loop then sees one kind only
    assert all(isinstance(row, array.array) and row.typecode == "d" for row in rows)
    assert [row.tolist() for row in rows] == lists


def test_c_agrees_with_numba_bit_for_bit():
    """Same algorithm, same operation order, no FMA in either: identical results."""
    inputs = _random_inputs(16, "float64", steps=10)
    numba_grid = DIFFUSION.implementation("numba_cpu").compute(**inputs)
    assert np.array_equal(DIFFUSION.implementation("c_native").compute(**inputs), numba_grid)


def test_in_place_numpy_allocates_no_grid_per_step_unlike_np_roll():
    inputs = DIFFUSION.make_inputs(512, steps=4)
    grid_bytes = inputs["grid"].nbytes  # 2 MiB
    peaks = {}
    for module in ("numpy_inplace", "numpy_roll"):
        compute = importlib.import_module(f"{DIFFUSION.package}.{module}").compute
        tracemalloc.start()
        compute(**inputs)
        peaks[module] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    # Its two buffers, and NumPy's fixed iteration buffers for strided views (3 x 64 KiB).
    assert peaks["numpy_inplace"] <= 2 * grid_bytes + 256 * 1024
    assert peaks["numpy_roll"] >= 3 * grid_bytes  # rolled copies and temporaries


def _mutant_roll(grid, steps, dt, D, *, shift=1, centre=4.0, use_d=True, steps_done=None):
    """The np.roll stencil with one deliberate mistake (chosen by the keyword arguments)."""
    factor = dt * D if use_d else dt
    for _ in range(steps if steps_done is None else steps_done):
        neighbours = (
            np.roll(grid, 1, 0)
            + np.roll(grid, -1, 0)
            + np.roll(grid, shift, 1)
            + np.roll(grid, -1, 1)
        )
        grid = grid + factor * (neighbours - centre * grid)
    return grid


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(
    "mistake",
    [
        pytest.param({"shift": 2}, id="neighbour-off-by-one"),
        pytest.param({"centre": 3.99}, id="wrong-centre-constant"),
        pytest.param({"use_d": False}, id="diffusion-constant-dropped"),
        pytest.param({"steps_done": 6}, id="one-step-short"),
    ],
)
def test_check_catches_mutants(mistake, dtype):
    inputs = _random_inputs(12, dtype, steps=7)
    assert DIFFUSION.check(_mutant_roll(**inputs), inputs).passed  # the unmutated stencil
    verdict = DIFFUSION.check(_mutant_roll(**inputs, **mistake), inputs)
    assert not verdict.passed, verdict.detail


def test_check_catches_a_non_periodic_boundary_at_size_s():
    inputs = _random_inputs(64, "float64", steps=50)
    factor = inputs["dt"] * inputs["D"]
    grid = np.pad(inputs["grid"], 1)  # zero cells beyond the edge instead of wrapping around
    for _ in range(inputs["steps"]):
        grid[1:-1, 1:-1] += factor * (
            grid[2:, 1:-1]
            + grid[:-2, 1:-1]
            + grid[1:-1, 2:]
            + grid[1:-1, :-2]
            - 4 * grid[1:-1, 1:-1]
        )
    assert not DIFFUSION.check(grid[1:-1, 1:-1], inputs).passed


def test_check_rejects_missing_unchanged_misshapen_and_nan_outputs():
    inputs = DIFFUSION.make_inputs(16, steps=5)
    assert not DIFFUSION.check(None, inputs).passed
    assert not DIFFUSION.check(inputs["grid"], inputs).passed  # no step taken
    assert not DIFFUSION.check(np.zeros((16, 15)), inputs).passed
    broken = DIFFUSION.reference(inputs)
    broken[3, 3] = np.nan
    assert not DIFFUSION.check(broken, inputs).passed


def test_check_bounds_scale_with_steps_and_precision():
    """A float32 result is not held to float64's bound, and the bound is not loose."""
    inputs = _random_inputs(16, "float32", steps=20)
    single = _mutant_roll(**inputs)
    assert DIFFUSION.check(single, inputs).passed
    as_if_double = {**inputs, "grid": inputs["grid"].astype(np.float64)}
    assert not DIFFUSION.check(single, as_if_double).passed


@pytest.mark.parametrize("module", IN_PROCESS)
def test_without_diffusion_the_grid_is_returned_unchanged(module):
    inputs = _random_inputs(6, "float64", steps=3, dt=0.0)
    output = importlib.import_module(f"{DIFFUSION.package}.{module}").compute(**inputs)
    assert np.array_equal(output, inputs["grid"])


def test_unstable_parameters_are_refused():
    with pytest.raises(ValueError, match="stable"):
        DIFFUSION.make_inputs(16, dt=0.3, D=1.0)


@pytest.mark.parametrize("dtype, itemsize", [("float64", 8), ("float32", 4)])
def test_work_counts_one_read_and_one_write_of_the_grid_per_step(dtype, itemsize):
    work = DIFFUSION.work(640, steps=500, dtype=dtype)
    assert work.bytes == 640 * 640 * 500 * 2 * itemsize
    assert work.flops == 640 * 640 * 500 * 7  # 3 + 1 + 1 + 1 + 1 operations per cell
    assert work.intensity < 1  # memory-bound by any measure


NUMBA_CUDA_SIMULATED = """
import json
import accel
for dtype in ("float64", "float32"):
    record = accel.run("diffusion", "numba_cuda", size=12, dtype=dtype, params={"steps": 4},
                       repeats=1)
    print(json.dumps([record.status, record.reason, record.to_dict()["check"]]))
"""


def test_numba_cuda_passes_its_check_in_the_cuda_simulator(run_in_cuda_simulator):
    outcomes = run_in_cuda_simulator(NUMBA_CUDA_SIMULATED)
    assert outcomes
    for status, reason, check in outcomes:
        assert status == "ok", reason
        assert check["passed"], check["detail"]


def test_accel_kernels_lists_diffusion_with_its_numpy_roll_variant(accel_cli):
    result = accel_cli("kernels")
    assert result.returncode == 0, result.stderr
    row = next(line for line in result.stdout.splitlines() if line.startswith("diffusion"))
    assert "book=640" in row and "S=64" in row and "numpy_roll" in row
    assert "diffusion on" not in result.stdout  # no backend left without an implementation

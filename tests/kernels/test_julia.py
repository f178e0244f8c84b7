"""Julia: the expanded loops against the hypot reference, the book's checksum, the named
``abs`` variant, CUDA C's iteration run on the host, and the balance of the parallel split."""

import importlib
import subprocess
from pathlib import Path

import numpy as np
import pytest
from accel.kernels import get_kernel
from accel.kernels._native import find_compiler
from accel.kernels.julia import BOOK_CHECKSUM, VARIANTS, _numba_escape

JULIA = get_kernel("julia")
PACKAGE = Path(JULIA.implementation_path("numpy")).parent
#: Implementation modules that take NumPy arrays in this process, plus the named variant.
IN_PROCESS = ["numpy_impl", "numba_cpu", "numba_parallel", *VARIANTS]
if find_compiler()[0] is not None:
    IN_PROCESS += ["c_native", "c_openmp"]


def _module(name):
    return importlib.import_module(f"{JULIA.package}.{name}")


@pytest.mark.parametrize("name", IN_PROCESS)
@pytest.mark.parametrize("size", [200, 500])
def test_every_formulation_counts_exactly_the_hypot_reference_in_complex128(name, size):
    """Expanded (|z|^2 < 4) and abs (hypot < 2) escape tests give the same counts here."""
    inputs = JULIA.make_inputs(size)
    counts = np.asarray(_module(name).compute(**inputs))
    np.testing.assert_array_equal(counts, JULIA.reference(inputs))


@pytest.mark.parametrize("name", ["numba_cpu", "numba_parallel"])
def test_expanded_numba_loop_gives_the_books_checksum_at_width_1000(name):
    book = JULIA.presets["book"]
    inputs = JULIA.make_inputs(book.size, **book.params)
    counts = _module(name).compute(**inputs)
    assert int(counts.sum()) == BOOK_CHECKSUM == 33219980
    verdict = JULIA.check(counts, inputs)
    assert verdict.passed and verdict.error == 0.0, verdict.detail


def test_complex64_expanded_loop_stays_single_precision_within_the_stated_tolerance():
    inputs = JULIA.make_inputs(200, "complex64")
    expanded = _module("numba_cpu").compute(**inputs)
    verdict = JULIA.check(expanded, inputs)
    assert verdict.passed and verdict.error > 0  # float32 orbits really differ from float64
    # float64 arithmetic would agree with the reference at every point
    assert 0 < np.count_nonzero(expanded != JULIA.reference(inputs)) <= 0.005 * 200 * 200


def _python_iterate(zs, cr, ci, max_iter, out, four, lanes):
    """The shared loop's source run by Python (no Numba), lane by lane as in the kernel."""
    escape = _numba_escape.escape_count.py_func
    blocks = -(-zs.size // _numba_escape.BLOCK_POINTS)
    for lane in range(lanes):
        for block in range(lane, blocks, lanes):
            first = block * _numba_escape.BLOCK_POINTS
            for i in range(first, min(first + _numba_escape.BLOCK_POINTS, zs.size)):
                out[i] = escape(zs[i].real, zs[i].imag, cr, ci, max_iter, four)


@pytest.mark.parametrize("lanes", [1, 3])
def test_shared_loop_interpreted_matches_and_a_wrong_escape_radius_is_caught(lanes):
    inputs = JULIA.make_inputs(60)
    zs, c = inputs["zs"], inputs["c"]
    out = np.empty(zs.size, dtype=np.int32)
    _python_iterate(zs, c.real, c.imag, 300, out, 4.0, lanes)
    assert JULIA.check(out, inputs).error == 0.0
    _python_iterate(zs, c.real, c.imag, 300, out, 4.01, lanes)  # a mutant escape radius
    assert not JULIA.check(out, inputs).passed


@pytest.mark.parametrize("threads", [2, 3, 4, 8])
def test_interleaved_lanes_give_every_thread_an_even_share_of_the_iterations(threads):
    """Numba splits prange(lanes) into equal runs of lanes; with blocks dealt to lanes in
    turn, each thread's share of the book's 33 million iterations is within 2% of even,
    where contiguous shares are up to 3x uneven (2 threads are even by the set's symmetry
    z -> -z; from 3 threads on they are not)."""
    book = JULIA.presets["book"]
    counts = JULIA.reference(JULIA.make_inputs(book.size, **book.params)).astype(np.int64)
    per_block = np.add.reduceat(counts, np.arange(0, counts.size, _numba_escape.BLOCK_POINTS))
    lanes = threads * _numba_escape.LANES_PER_THREAD
    thread_of_block = (np.arange(per_block.size) % lanes) // _numba_escape.LANES_PER_THREAD
    shares = np.bincount(thread_of_block, weights=per_block)
    assert shares.max() / shares.mean() < 1.02, shares
    contiguous = [part.sum() for part in np.array_split(counts, threads)]
    if threads > 2:
        assert max(contiguous) / np.mean(contiguous) > 1.5


HOST_HARNESS = """
#include <cstdio>
#include <cstdlib>
#include "julia.cu"
int main(int argc, char **argv)
{
    double re, im, c_re = atof(argv[1]), c_im = atof(argv[2]);
    int max_iter = atoi(argv[3]);
    while (scanf("%lf %lf", &re, &im) == 2)
        printf("%d\\n", escape_count<double>(re, im, c_re, c_im, max_iter));
    return 0;
}
"""


def test_cuda_c_iteration_run_on_the_host_counts_exactly_the_reference(host_program):
    """julia.cu's escape_count is a host function too: nvcc builds it into a CPU program."""
    program = host_program(HOST_HARNESS, PACKAGE)
    inputs = JULIA.make_inputs(100)
    zs, c = inputs["zs"], inputs["c"]
    points = "".join(f"{float(z.real)!r} {float(z.imag)!r}\n" for z in zs)
    run = subprocess.run(
        [str(program), repr(c.real), repr(c.imag), "300"],
        input=points,
        capture_output=True,
        text=True,
        check=True,
    )
    counts = np.array(run.stdout.split(), dtype=np.int64)
    np.testing.assert_array_equal(counts, JULIA.reference(inputs))


@pytest.mark.parametrize("dtype", ["complex128", "complex64"])
@pytest.mark.slow
def test_vectorised_numpy_and_torch_count_as_the_scalar_loop_across_chunks(dtype):
    """250,000 points: four chunks of 64 Ki; complex64 stays single precision, as Numba's."""
    torch = pytest.importorskip("torch")
    inputs = JULIA.make_inputs(500, dtype)
    scalar = _module("numba_cpu").compute(**inputs)
    np.testing.assert_array_equal(_module("numpy_impl").compute(**inputs), scalar)
    on_torch = _module("torch_impl").compute(torch.from_numpy(inputs["zs"]), inputs["c"], 300)
    np.testing.assert_array_equal(on_torch.numpy(), scalar)

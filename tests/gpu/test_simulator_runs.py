"""The Numba CUDA kernels run for real in Numba's CUDA simulator, through the real worker.

``NUMBA_ENABLE_CUDASIM=1`` makes ``numba_cuda`` available here; the runner passes the
environment to its worker, so these runs take the same path as on a GPU: to device,
first call, warm-up, timed calls, back to the host, checked against the NumPy reference.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

pytestmark = pytest.mark.slow  # runs in the CUDA simulator

SIMULATOR = {"NUMBA_ENABLE_CUDASIM": "1"}
SIZE = 32  # 1024 points: seconds in the simulator


def _run_record(accel_cli, *options):
    result = accel_cli(
        "run", "julia", "--backend", "numba_cuda", "--size", str(SIZE), "--repeats", "2",
        "--json", *options, env=SIMULATOR,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_simulated_numba_cuda_matches_the_reference_exactly_in_complex128(accel_cli):
    record = _run_record(accel_cli)
    assert record["status"] == "ok", record["reason"]
    assert record["dtype"] == "complex128"
    assert record["check"]["passed"] and record["check"]["error"] == 0.0
    assert "0 of 1024 points differ" in record["check"]["detail"]
    assert len(record["samples_s"]) == 2 and record["first_call_s"] > 0
    transfer = record["transfer"]
    assert transfer["h2d_bytes"] == SIZE * SIZE * 16  # complex128 points
    assert transfer["d2h_bytes"] == SIZE * SIZE * 4  # int32 counts
    assert transfer["pinned"] is False
    assert record["end_to_end_s"] == pytest.approx(
        record["stats"]["median_s"] + transfer["h2d_s"] + transfer["d2h_s"]
    )


def test_float32_means_complex64_and_pinned_is_recorded(accel_cli):
    record = _run_record(accel_cli, "--dtype", "float32", "--pinned")
    assert record["status"] == "ok", record["reason"]
    assert record["dtype"] == "complex64"
    assert record["check"]["passed"] and record["check"]["error"] <= 0.005  # julia's bound
    assert record["transfer"]["pinned"] is True
    assert record["transfer"]["h2d_bytes"] == SIZE * SIZE * 8  # complex64 points


GRID_STRIDE = """
import json
import numpy as np
from numba import cuda
from accel.kernels import _cuda, get_kernel
from accel.kernels.julia import numba_cuda

_cuda.SIMULATOR_LIMITS = _cuda.DeviceLimits(32, 1, 32)  # a grid of 32 blocks of 32 threads
kernel = get_kernel("julia")
inputs = kernel.make_inputs(40, max_iter=60)
counts = numba_cuda.compute(cuda.to_device(inputs["zs"]), inputs["c"], inputs["max_iter"])
print(json.dumps({
    "grid": _cuda.launch_config(inputs["zs"].size),
    "counts": counts.copy_to_host().tolist(),
}))
"""


def test_grid_stride_loop_covers_points_beyond_the_grid():
    result = subprocess.run(
        [sys.executable, "-c", GRID_STRIDE],
        capture_output=True,
        text=True,
        env={**os.environ, **SIMULATOR},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    blocks, threads = answer["grid"]
    assert blocks * threads < 40 * 40  # threads must stride to reach every point
    from accel.kernels import get_kernel

    julia = get_kernel("julia")
    expected = julia.reference(julia.make_inputs(40, max_iter=60))
    np.testing.assert_array_equal(np.array(answer["counts"]), expected)


def test_selftest_gpu_passes_in_the_simulator_and_names_the_device(accel_cli):
    result = accel_cli("selftest", "--gpu", "--kernels", "julia", "--size", "16", env=SIMULATOR)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert "Numba CUDA simulator" in lines[0]
    rows = [line.split() for line in lines if line.split()[:2] == ["julia", "numba_cuda"]]
    assert [row[:5] for row in rows] == [
        ["julia", "numba_cuda", "16", "complex128", "pass"],
        ["julia", "numba_cuda", "16", "complex64", "pass"],
    ]
    assert ", 0 failed" in result.stdout

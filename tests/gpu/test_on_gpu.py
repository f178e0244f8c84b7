"""On a real NVIDIA GPU: the book's Julia set on every GPU backend, timed with CUDA events.

Run on a GPU machine with ``pytest tests/gpu -m gpu``; elsewhere these are skipped with
the reason (tests/conftest.py).
"""

import json

import pytest

GPU_BACKENDS = ("numba_cuda", "cupy", "torch_cuda")
BOOK_POINTS = 1000 * 1000
NO_SIMULATOR = {"NUMBA_ENABLE_CUDASIM": "0"}


def _book_record(accel_cli, backend, *options):
    result = accel_cli(
        "run", "julia", "--backend", backend, "--preset", "book", "--repeats", "5", "--json",
        *options, env=NO_SIMULATOR,
    )  # fmt: skip
    record = json.loads(result.stdout)
    if record["status"] == "unavailable":
        pytest.skip(f"{backend} unavailable on this GPU machine: {record['reason']}")
    return record


@pytest.mark.gpu
@pytest.mark.parametrize("backend", GPU_BACKENDS)
def test_book_julia_on_the_gpu_matches_the_published_checksum(accel_cli, backend):
    record = _book_record(accel_cli, backend)
    assert record["status"] == "ok", record["reason"]
    assert "sum 33219980" in record["check"]["detail"]
    transfer = record["transfer"]
    assert transfer["h2d_bytes"] == BOOK_POINTS * 16 and transfer["d2h_bytes"] == BOOK_POINTS * 4
    assert transfer["h2d_s"] > 0 and transfer["d2h_s"] > 0 and transfer["pinned"] is False


@pytest.mark.gpu
@pytest.mark.parametrize("backend", GPU_BACKENDS)
def test_event_times_cover_the_kernel_not_just_its_launch(accel_cli, backend):
    record = _book_record(accel_cli, backend)
    median = record["stats"]["median_s"]
    wall_per_call = record["phases_s"]["timed"] / len(record["samples_s"])
    # A launch takes microseconds; the book's kernel takes far longer, so event times
    # that bracket the kernel make up most of the wall-clock time of each call.
    assert 0.5 * wall_per_call <= median <= 1.2 * wall_per_call


@pytest.mark.gpu
@pytest.mark.parametrize("backend", GPU_BACKENDS)
def test_pinned_host_buffers_are_used_and_recorded(accel_cli, backend):
    record = _book_record(accel_cli, backend, "--pinned")
    assert record["status"] == "ok", record["reason"]
    assert record["transfer"]["pinned"] is True


@pytest.mark.gpu
def test_resident_data_is_cheaper_per_call_than_moving_it_every_call(accel_cli):
    record = _book_record(accel_cli, "cupy")
    assert record["end_to_end_s"] > record["stats"]["median_s"]
    result = accel_cli(
        "compare", "julia", "--preset", "book", "--repeats", "3", "--resident",
        "--backends", "numpy,cupy", env=NO_SIMULATOR,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "ranked by kernel time" in result.stdout


@pytest.mark.gpu
def test_selftest_passes_on_this_gpu_and_names_it(accel_cli):
    result = accel_cli("selftest", "--gpu", env=NO_SIMULATOR)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "none usable" not in result.stdout.splitlines()[0]
    assert " 0 failed" in result.stdout

"""A GPU kernel that fails mid-run: ``failed`` with the device's error text, the next run clean.

Every run has its own worker process, so a CUDA context left broken by a failed run
dies with that process. Here Numba's CUDA simulator raises for the out-of-bounds
write; on a real GPU (tests marked ``gpu``) the same write is an illegal address and
CuPy is asked for more memory than any device has.
"""

from __future__ import annotations

import json
import re

import pytest

SIMULATOR = {"NUMBA_ENABLE_CUDASIM": "1"}
DEVICE = {"NUMBA_ENABLE_CUDASIM": "0"}


def _record(accel_cli, kernel: str, backend: str, env: dict[str, str]) -> dict:
    result = accel_cli(
        "run", kernel, "--backend", backend, "--size", "16", "--repeats", "1",
        "--no-store", "--json", env=env,
    )  # fmt: skip
    assert result.stdout, result.stderr
    return json.loads(result.stdout)


def test_an_out_of_bounds_write_fails_the_run_and_the_next_run_starts_clean(
    fault_kernels, accel_cli
):
    broken = _record(accel_cli, "crashing", "numba_cuda", SIMULATOR)
    assert broken["status"] == "failed"
    assert re.match(
        r"first_call: IndexError: .*index 1099511627776 is out of bounds", broken["reason"]
    ), broken["reason"]
    after = _record(accel_cli, "julia", "numba_cuda", SIMULATOR)
    assert after["status"] == "ok", after["reason"]
    assert after["check"]["passed"]


@pytest.mark.gpu
def test_an_illegal_address_on_the_gpu_is_failed_with_the_cuda_error(fault_kernels, accel_cli):
    broken = _record(accel_cli, "crashing", "numba_cuda", DEVICE)
    assert broken["status"] == "failed"
    assert re.search(r"ILLEGAL_ADDRESS|illegal (memory )?address", broken["reason"]), broken
    after = _record(accel_cli, "julia", "numba_cuda", DEVICE)
    assert after["status"] == "ok", after["reason"]


@pytest.mark.gpu
def test_device_out_of_memory_is_failed_with_cupys_error(fault_kernels, accel_cli):
    broken = _record(accel_cli, "crashing", "cupy", DEVICE)
    assert broken["status"] == "failed"
    assert "OutOfMemoryError" in broken["reason"] and "Out of memory" in broken["reason"]
    after = _record(accel_cli, "julia", "cupy", DEVICE)
    assert after["status"] == "ok", after["reason"]

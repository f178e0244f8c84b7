"""Launch configurations: whole warps, within the device's limits, covering every item."""

import os
import subprocess
import sys

import pytest
from accel.kernels._cuda import BLOCKS_PER_MULTIPROCESSOR, DeviceLimits, cuda_source, launch_config
from hypothesis import given
from hypothesis import strategies as st

# Real devices: (max threads per block, SMs, warp): a T4, an A100, an H100, a small Jetson.
DEVICES = [DeviceLimits(1024, 40, 32), DeviceLimits(1024, 108, 32), DeviceLimits(1024, 132, 32),
           DeviceLimits(1024, 2, 32)]  # fmt: skip


@given(
    n=st.integers(min_value=1, max_value=10**9),
    limits=st.sampled_from(DEVICES)
    | st.builds(
        DeviceLimits,
        max_threads_per_block=st.sampled_from([64, 128, 256, 512, 1024]),
        multiprocessor_count=st.integers(1, 200),
        warp_size=st.sampled_from([32, 64]),
    ),
)
def test_grid_is_whole_warps_within_limits_and_covers_every_item(n, limits):
    blocks, threads = launch_config(n, limits)
    assert threads % limits.warp_size == 0
    assert limits.warp_size <= threads <= limits.max_threads_per_block
    assert 1 <= blocks <= BLOCKS_PER_MULTIPROCESSOR * limits.multiprocessor_count
    # No block starts past the end, and a grid-stride loop reaches every item.
    assert (blocks - 1) * threads < n
    assert (
        blocks * threads >= n or blocks == BLOCKS_PER_MULTIPROCESSOR * limits.multiprocessor_count
    )


def test_small_and_large_problems_on_an_a100():
    a100 = DeviceLimits(1024, 108, 32)
    assert launch_config(1, a100) == (1, 32)  # one warp, not a 256-thread block, for one item
    assert launch_config(1000, a100) == (4, 256)  # ceil(1000 / 256) blocks
    assert launch_config(10**8, a100) == (32 * 108, 256)  # capped: the loop strides


@pytest.mark.parametrize("bad", [0, -5, 2.5, True])
def test_item_count_must_be_a_positive_whole_number(bad):
    with pytest.raises(ValueError):
        launch_config(bad, DEVICES[0])


def test_launch_config_works_in_the_numba_simulator():
    script = (
        "from accel.kernels._cuda import launch_config, numba_device_limits;"
        "print(numba_device_limits().warp_size, *launch_config(5000))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env={**os.environ, "NUMBA_ENABLE_CUDASIM": "1"},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    warp, blocks, threads = map(int, result.stdout.split())
    assert warp == 32 and threads == 256  # 8 warps per block
    assert blocks == -(-5000 // 256)  # enough blocks to give every item a thread


def test_cuda_source_reads_cu_files_only(tmp_path):
    kernel = tmp_path / "k.cu"
    kernel.write_text('extern "C" __global__ void k() {}\n')
    assert cuda_source(kernel) == kernel.read_text()
    with pytest.raises(ValueError):
        cuda_source(tmp_path / "k.c")

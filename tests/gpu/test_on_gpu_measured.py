"""On a real NVIDIA GPU: copies, device roofs and every backend at M, against physics.

Run with ``pytest -m gpu`` (scripts/gpu_check.sh does); skipped elsewhere with the reason.
Bounds come from the device's own figures read through NVML (rated memory bandwidth from
bus width and memory clock; FP32 rate from CUDA cores and the maximum SM clock), never
from accel's output.
"""

from __future__ import annotations

import json

import pytest
from accel.hardware import measure
from accel.hardware.gpu import read_gpus
from accel.hardware.report import MeasuredFigures
from accel.kernels import all_kernels

GPU_BACKENDS = ("numba_cuda", "cupy", "torch_cuda")
NO_SIMULATOR = {"NUMBA_ENABLE_CUDASIM": "0"}
MIB = 2**20
#: Event and wall time of one copy of at least 1 MiB agree within this: the wall time
#: adds the launch and the wait (tens of microseconds), and events never exceed it by
#: more than clock granularity.
EVENT_OVER_WALL = (0.5, 1.05)


def _device():
    info = read_gpus()
    if not info.devices:
        pytest.skip(f"no GPU through NVML or nvidia-smi: {info.none_reason}")
    return info.devices[0]


@pytest.mark.gpu
def test_pinned_copies_beat_pageable_ones_from_64_mib_up():
    figures = MeasuredFigures()
    measure.measure_transfers(figures, _device().memory_total_bytes, sizes=(64 * MIB, 256 * MIB))
    assert figures.transfers, figures.reasons
    rate = {(t.direction, t.host_memory, t.size_bytes): t.median_gbs for t in figures.transfers}
    for size in (64 * MIB, 256 * MIB):
        for direction in ("h2d", "d2h"):
            assert rate[direction, "pinned", size] > rate[direction, "pageable", size], rate
    link = figures.pcie_during_copy
    if link is not None and link.bandwidth_current_gbs:  # the link as it carried the copy
        assert rate["h2d", "pinned", 256 * MIB] <= 1.05 * link.bandwidth_current_gbs


@pytest.mark.gpu
@pytest.mark.parametrize("backend", GPU_BACKENDS)
def test_event_and_wall_times_of_a_copy_agree_within_the_stated_bound(accel_cli, backend):
    result = accel_cli(
        "run", "julia", "--backend", backend, "--preset", "book", "--repeats", "3", "--json",
        env=NO_SIMULATOR,
    )  # fmt: skip
    record = json.loads(result.stdout)
    if record["status"] == "unavailable":
        pytest.skip(f"{backend} unavailable: {record['reason']}")
    transfer = record["transfer"]
    assert transfer["clock"] == "CUDA events on the copy stream"
    assert transfer["h2d_bytes"] >= MIB
    low, high = EVENT_OVER_WALL
    assert low <= transfer["h2d_s"] / transfer["h2d_wall_s"] <= high, transfer
    assert record["phases_s"]["stage_h2d"] > 0  # staging timed apart from the copy


@pytest.mark.gpu
@pytest.mark.parametrize("backend", GPU_BACKENDS)
@pytest.mark.parametrize("kernel", [k.name for k in all_kernels() if "M" in k.presets])
def test_every_kernel_passes_at_size_m_on_every_gpu_backend(accel_cli, kernel, backend):
    result = accel_cli(
        "run", kernel, "--backend", backend, "--preset", "M", "--repeats", "3", "--json",
        env=NO_SIMULATOR,
    )  # fmt: skip
    record = json.loads(result.stdout)
    if record["status"] == "unavailable":
        pytest.skip(f"{backend} unavailable: {record['reason']}")
    assert record["status"] == "ok", record["reason"]
    assert record["gpu_state"] is None or record["gpu_state"]["after"] is not None


@pytest.mark.gpu
def test_device_roofs_lie_within_the_devices_physical_bounds():
    device = _device()
    figures = MeasuredFigures()
    measure.measure_device(figures, device.memory_total_bytes)
    assert figures.device, figures.reasons
    rates = {d.name: d.best for d in figures.device}
    if device.memory_rated_gbs:
        assert 0.1 * device.memory_rated_gbs < rates["copy"] < device.memory_rated_gbs
    if device.sm_count and device.sm_clock_max_mhz:
        from accel.hardware.gpu import _CORES_PER_SM

        cc = device.compute_capability or ""
        per_sm = _CORES_PER_SM.get(cc) or _CORES_PER_SM.get(cc.split(".")[0])
        fp32_peak = device.sm_count * per_sm * 2 * device.sm_clock_max_mhz / 1e3  # GFLOP/s
        assert 0 < rates["matmul float32"] < 1.05 * fp32_peak
        assert 0 < rates["matmul float64"] < 1.10 * fp32_peak


@pytest.mark.gpu
@pytest.mark.parametrize("preset", ["S", "book"])
def test_diffusion_in_one_cuda_graph_matches_the_per_step_version_on_the_gpu(preset):
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip(f"torch {torch.__version__} cannot use the GPU")
    from accel.kernels import get_kernel
    from accel.kernels.diffusion import torch_graph, torch_impl

    diffusion = get_kernel("diffusion")
    chosen = diffusion.presets[preset]
    inputs = diffusion.make_inputs(chosen.size, **chosen.params)
    grid = torch.from_numpy(inputs["grid"]).cuda()
    arguments = (inputs["steps"], inputs["dt"], inputs["D"])
    for _ in range(2):  # the second call replays the captured graph
        graphed = torch_graph.compute(grid, *arguments).cpu().numpy()
    stepped = torch_impl.compute(grid, *arguments).cpu().numpy()
    assert (graphed == stepped).all()
    assert diffusion.check(graphed, inputs).passed


@pytest.mark.gpu
@pytest.mark.parametrize("preset", ["S", "book"])
def test_diffusion_in_one_cupy_graph_matches_the_per_step_version_on_the_gpu(preset):
    from accel.backends import get_backend

    here = get_backend("cupy").available()
    if not here:
        pytest.skip(here.reason)
    import cupy
    from accel.kernels import get_kernel
    from accel.kernels.diffusion import cupy_graph, cupy_impl

    diffusion = get_kernel("diffusion")
    chosen = diffusion.presets[preset]
    inputs = diffusion.make_inputs(chosen.size, **chosen.params)
    grid = cupy.asarray(inputs["grid"])
    arguments = (inputs["steps"], inputs["dt"], inputs["D"])
    captured = cupy_graph.workspace(grid, *arguments)["captured"]
    for _ in range(2):  # each call launches the graph captured once
        graphed = cupy.asnumpy(cupy_graph.compute(grid, *arguments, captured=captured))
    stepped = cupy.asnumpy(cupy_impl.compute(grid, *arguments))
    assert (graphed == stepped).all()
    assert diffusion.check(graphed, inputs).passed

"""diffusion's cupy_graph variant: cupy_impl's one launch per step captured once, when the
call is bound, into a CUDA graph through CuPy's stream capture; a call is one graph launch
on the current stream (issue 17, item 8). Checked with the stand-in ``cupy`` of
``conftest.py``, whose captured launches run only when the graph is launched."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
from accel.kernels import get_kernel

from accel.backends.cupy import CupyBackend

DIFFUSION = get_kernel("diffusion")


@pytest.fixture
def graph_variant(stand_in_cupy, host_kernels, monkeypatch):
    steps = importlib.import_module("accel.kernels.diffusion.cupy_impl")
    launch = stand_in_cupy.kernel(host_kernels["diffusion"])
    monkeypatch.setattr(steps, "cupy_function", lambda path, name: launch)
    monkeypatch.setattr(steps, "launch_config", lambda n, limits: (1, 32))
    monkeypatch.setattr(steps, "cupy_device_limits", lambda: None)
    return importlib.import_module("accel.kernels.diffusion.cupy_graph")


def test_the_variant_runs_on_cupy_beside_the_per_step_version():
    assert DIFFUSION.variants["cupy_graph"] == "cupy"
    assert DIFFUSION.implementations["cupy"] == "cupy_impl"
    assert DIFFUSION.with_variant("cupy_graph").implementations["cupy"] == "cupy_graph"


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_bind_captures_every_step_and_each_call_is_one_graph_launch(
    stand_in_cupy, graph_variant, dtype
):
    steps = 6
    inputs = DIFFUSION.make_inputs(16, dtype, steps=steps)
    on_device = {k: stand_in_cupy.on_device(v) for k, v in inputs.items()}
    backend = CupyBackend()
    call = backend.bind(backend.load(DIFFUSION.with_variant("cupy_graph")), on_device)
    # bound: one uncaptured warm-up of the steps (compiles and loads the kernel), then the
    # capture, which launched nothing
    assert stand_in_cupy.log == ["kernel"] * steps
    allocated = list(stand_in_cupy.made)
    stand_in_cupy.log.clear()
    grid = on_device["grid"]
    for value in (0.0, 0.25, 1.0):  # new values in the same input array, read at launch
        grid[3, 5] = value
        inputs["grid"][3, 5] = value
        result = call()
        verdict = DIFFUSION.check(np.asarray(result).copy(), inputs)
        assert verdict.passed, verdict.detail
    # no kernel launched from Python inside a call: one graph launch each, on the stream
    # the timing events are recorded on; and nothing allocated
    assert stand_in_cupy.log == ["graph launch on the default stream"] * 3
    assert stand_in_cupy.made == allocated


def test_the_same_result_as_the_per_step_version_and_a_new_capture_for_new_arguments(
    stand_in_cupy, graph_variant
):
    per_step = importlib.import_module("accel.kernels.diffusion.cupy_impl")
    inputs = DIFFUSION.make_inputs(12, "float64", steps=5)
    grid = stand_in_cupy.on_device(inputs["grid"])
    captured = graph_variant.workspace(grid, 5, inputs["dt"], inputs["D"])["captured"]
    graphed = np.asarray(graph_variant.compute(grid, 5, inputs["dt"], inputs["D"], captured))
    stepped = np.asarray(per_step.compute(grid, 5, inputs["dt"], inputs["D"]))
    assert (graphed == stepped).all()
    stand_in_cupy.log.clear()
    fewer = np.asarray(graph_variant.compute(grid, 2, inputs["dt"], inputs["D"], captured))
    assert stand_in_cupy.log == ["kernel", "kernel", "graph launch on the default stream"]
    verdict = DIFFUSION.check(fewer, {**inputs, "steps": 2})
    assert verdict.passed, verdict.detail

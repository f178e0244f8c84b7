"""diffusion's torch_graph variant: the steps of torch_impl captured once into a CUDA graph
and replayed, one launch per call (issue 17, item 8). The arithmetic is checked on CPU
tensors (same code, no graph); the capture with a stand-in for torch.cuda's graph API."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from accel.kernels import get_kernel  # noqa: E402
from accel.kernels.diffusion import VARIANTS, torch_graph, torch_impl  # noqa: E402

DIFFUSION = get_kernel("diffusion")


def test_the_variant_is_named_beside_the_per_step_version():
    assert VARIANTS["torch_graph"] == "torch_cuda"
    assert DIFFUSION.implementations["torch_cuda"] == "torch_impl"


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_same_steps_as_torch_impl_and_the_check_passes_call_after_call(dtype):
    for size, steps in ((24, 7), (24, 7), (17, 4)):  # a repeated key reuses its buffers
        inputs = DIFFUSION.make_inputs(size, dtype, steps=steps)
        inputs["grid"][3, 5] = 1.0  # a different grid each call: nothing stale may leak
        inputs["grid"][size - 1, 0] += size / 10
        grid = torch.from_numpy(inputs["grid"])
        graphed = torch_graph.compute(grid, steps, inputs["dt"], inputs["D"]).numpy().copy()
        stepped = torch_impl.compute(grid, steps, inputs["dt"], inputs["D"]).numpy()
        assert (graphed == stepped).all()
        verdict = DIFFUSION.check(graphed, inputs)
        assert verdict.passed, verdict.detail


class _StandInCuda:
    """torch.cuda's stream and graph API, recording what happens in which order."""

    def __init__(self):
        self.log = []
        self.where = "default"
        cuda = self

        class Stream:
            def wait_stream(self, other):
                cuda.log.append("wait")

        class StreamContext:
            def __init__(self, stream):
                self.stream = stream

            def __enter__(self):
                cuda.where = "side"

            def __exit__(self, *exc):
                cuda.where = "default"

        class CUDAGraph:
            def replay(self):
                cuda.log.append("replay")

        class GraphContext:
            def __init__(self, graph):
                self.graph = graph

            def __enter__(self):
                cuda.where = "capturing"

            def __exit__(self, *exc):
                cuda.where = "default"

        self.Stream, self.stream, self.CUDAGraph, self.graph = (
            Stream, StreamContext, CUDAGraph, GraphContext,
        )  # fmt: skip

    def current_stream(self):
        return self.Stream()


def test_the_steps_are_warmed_up_on_a_side_stream_then_captured_once_and_replayed(monkeypatch):
    cuda = _StandInCuda()
    monkeypatch.setattr(torch_graph.torch, "cuda", cuda)

    def steps_on():
        cuda.log.append(f"steps on {cuda.where}")
        return "result buffer"

    replay, result = torch_graph.capture_on_cuda(steps_on)
    assert cuda.log == ["wait", "steps on side", "wait", "steps on capturing"]
    assert result == "result buffer"
    cuda.log.clear()
    for _ in range(3):
        replay()
    assert cuda.log == ["replay"] * 3  # no step launched from Python on a replay


def test_the_capture_happens_when_the_call_is_bound_and_each_call_only_replays(monkeypatch):
    """Through torch_cuda's own load and bind (on the CPU device): the variant's workspace
    captures once, at bind; the calls then replay it, each passing the closed-form check."""
    from accel.backends.torch_cuda import TorchCudaBackend

    class OnCpu(TorchCudaBackend):
        device = "cpu"

        def synchronize(self):
            pass

    captures = []
    real_capture = torch_graph._capture
    monkeypatch.setattr(torch_graph, "_capture", lambda *a: captures.append(a) or real_capture(*a))
    monkeypatch.setattr(torch_graph, "_captured", {})
    inputs = DIFFUSION.make_inputs(20, "float64", steps=6)
    on_device = {k: torch.from_numpy(v) if k == "grid" else v for k, v in inputs.items()}
    backend = OnCpu()
    call = backend.bind(backend.load(DIFFUSION.with_variant("torch_graph")), on_device)
    assert len(captures) == 1  # at bind, outside every call
    for _ in range(3):
        verdict = DIFFUSION.check(call().numpy().copy(), inputs)
        assert verdict.passed, verdict.detail
    assert len(captures) == 1

"""torch_cuda's julia, diffusion and matmul take their outputs and buffers from a workspace
allocated once per run, through the same ``bind`` as numba_cuda and CuPy (issue 17, item 3):
a timed call allocates nothing. Checked on CPU tensors through ``TorchCudaBackend``'s own
``load``/``bind`` (the code a GPU runs; on the CPU device), with PyTorch's profiler
recording every allocation made inside each call."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from accel.kernels import get_kernel  # noqa: E402
from torch.profiler import ProfilerActivity, profile  # noqa: E402

from accel.backends.torch_cuda import TorchCudaBackend  # noqa: E402

#: A Python number in an operation (``x += c.real``) is wrapped as a 0-d tensor of at most
#: 8 bytes on the host, on a GPU too; anything larger is an array the call allocated.
SCALAR_BYTES = 8

CASES = [
    ("julia", 40, "complex128", {"max_iter": 50}),
    ("julia", 40, "complex64", {"max_iter": 50}),
    ("diffusion", 24, "float64", {"steps": 5}),
    ("diffusion", 24, "float32", {"steps": 5}),
    ("matmul", 16, "float64", {}),
]


class OnCpu(TorchCudaBackend):
    """torch_cuda's load and bind, on the CPU device (no CUDA here)."""

    device = "cpu"

    def synchronize(self) -> None:
        pass


def _allocations(call):
    """The call's result, and every allocation larger than a wrapped scalar inside it."""
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as profiled:
        result = call()
    events = profiled.events()
    return result, [
        (e.name, e.cpu_memory_usage) for e in events if e.cpu_memory_usage > SCALAR_BYTES
    ]


def _on_device(inputs):
    return {k: torch.from_numpy(v) if isinstance(v, np.ndarray) else v for k, v in inputs.items()}


@pytest.mark.parametrize("kernel, size, dtype, params", CASES)
def test_a_bound_call_allocates_nothing_and_starts_afresh_each_time(kernel, size, dtype, params):
    spec = get_kernel(kernel)
    inputs = spec.make_inputs(size, dtype, **params)
    backend = OnCpu()
    call = backend.bind(backend.load(spec), _on_device(inputs))
    results = []
    for _ in range(3):
        output, allocated = _allocations(call)
        assert allocated == [], allocated
        results.append(output.numpy().copy())
        # a buffer not reset (counts added twice, steps continued) would fail the check
        verdict = spec.check(results[-1], inputs)
        assert verdict.passed, verdict.detail
    assert all((r == results[0]).all() for r in results)


@pytest.mark.parametrize("kernel, size, dtype, params", CASES[::2])
def test_without_its_workspace_the_same_compute_allocates_where_the_profiler_sees_it(
    kernel, size, dtype, params
):
    """The detector can fail: compute called alone (as torch_cpu calls it) allocates."""
    spec = get_kernel(kernel)
    inputs = _on_device(spec.make_inputs(size, dtype, **params))
    compute = spec.implementation("torch_cuda").compute
    _, allocated = _allocations(lambda: compute(**inputs))
    assert allocated

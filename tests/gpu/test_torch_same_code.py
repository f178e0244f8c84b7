"""The PyTorch implementation runs on the CPU device through the code that serves CUDA."""

import math
from collections import Counter

import numpy as np
import pytest
import torch
from accel.kernels import get_kernel
from accel.kernels.julia import torch_impl
from torch.utils._python_dispatch import TorchDispatchMode

JULIA = get_kernel("julia")
# Operations after which the host must wait for the device: their result decides
# the size of a tensor or a Python value.
HOST_SYNCHRONISING = {"aten.nonzero", "aten._local_scalar_dense", "aten.is_nonzero",
                      "aten.item", "aten.masked_select"}  # fmt: skip


def test_torch_cpu_and_torch_cuda_share_one_implementation():
    assert JULIA.implementations["torch_cuda"] == JULIA.implementations["torch_cpu"]
    assert JULIA.implementation("torch_cuda") is torch_impl


@pytest.mark.parametrize("dtype", ["complex128", "complex64"])
def test_torch_implementation_on_the_cpu_device_passes_the_check(dtype):
    inputs = JULIA.make_inputs(64, dtype, max_iter=120)
    counts = torch_impl.compute(torch.from_numpy(inputs["zs"]), inputs["c"], inputs["max_iter"])
    assert counts.device.type == "cpu"
    verdict = JULIA.check(counts.numpy(), inputs)
    assert verdict.passed, verdict.detail
    if dtype == "complex128":
        np.testing.assert_array_equal(counts.numpy(), JULIA.reference(inputs))


class _OperationLog(TorchDispatchMode):
    """Records every ATen operation run inside the ``with`` block, with its arguments."""

    def __init__(self):
        super().__init__()
        self.operations = Counter()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        name = str(func.overloadpacket)
        if name == "aten.index" and any(
            isinstance(i, torch.Tensor) and i.dtype == torch.bool for i in args[1]
        ):
            name = "aten.index (boolean mask)"  # a mask's result size needs the host
        self.operations[name] += 1
        return func(*args, **(kwargs or {}))


@pytest.mark.slow
def test_host_waits_for_the_device_once_per_compaction_block_only():
    max_iter = 64
    inputs = JULIA.make_inputs(16, max_iter=max_iter)
    with _OperationLog() as log:
        torch_impl.compute(torch.from_numpy(inputs["zs"]), inputs["c"], max_iter)
    synchronising = {op: n for op, n in log.operations.items() if op in HOST_SYNCHRONISING}
    synchronising["aten.index (boolean mask)"] = log.operations["aten.index (boolean mask)"]
    blocks = math.ceil(max_iter / torch_impl.COMPACT_EVERY)
    assert sum(synchronising.values()) <= blocks, synchronising
    # the book's expanded escape test: |z|^2 from the squares the step needs, no hypot
    assert log.operations.get("aten.hypot", 0) == 0
    assert log.operations["aten.lt"] >= max_iter

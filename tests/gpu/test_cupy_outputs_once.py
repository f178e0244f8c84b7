"""CuPy implementations get their outputs from a workspace allocated once per run (zeroed on
the device at each call where a kernel adds into it), through the same bind() as numba_cuda
(issue 17, item 3): checked with the stand-in ``cupy`` of ``conftest.py``, whose arrays
record every array that gets memory of its own and whose kernels do on the host what the
``.cu`` kernels do (norm's and primes' add into their output, so a missed reset would
count twice)."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
from accel.kernels import get_kernel

from accel.backends.cupy import CupyBackend

CASES = [
    ("norm", 5, "float64", {}),
    ("primes", 20, "int64", {}),
    ("julia", 12, "complex128", {"max_iter": 30}),
    ("diffusion", 12, "float64", {"steps": 4}),
    ("diffusion", 12, "float32", {"steps": 0}),
    ("matmul", 8, "float64", {}),
]


@pytest.mark.parametrize("kernel, size, dtype, params", CASES)
def test_outputs_come_from_one_allocation_per_run_and_restart_each_call(
    stand_in_cupy, host_kernels, monkeypatch, kernel, size, dtype, params
):
    spec = get_kernel(kernel)
    module = importlib.import_module(f"accel.kernels.{kernel}.cupy_impl")
    if kernel in host_kernels:
        launch = stand_in_cupy.kernel(host_kernels[kernel])
        monkeypatch.setattr(module, "cupy_function", lambda path, name: launch)
        monkeypatch.setattr(module, "launch_config", lambda n, limits: (1, 32))
        monkeypatch.setattr(module, "cupy_device_limits", lambda: None)
    inputs = spec.make_inputs(size, dtype, **params)
    backend = CupyBackend()
    on_device = {k: stand_in_cupy.on_device(v) for k, v in inputs.items()}
    call = backend.bind(backend.load(spec), on_device)
    assert stand_in_cupy.made  # the workspace, allocated by bind
    at_bind = list(stand_in_cupy.made)
    for _ in range(3):
        output = call()
        assert stand_in_cupy.made == at_bind  # no allocation inside any call
        result = np.asarray(output)
        verdict = spec.check(result if result.size > 1 else result.item(), inputs)
        assert verdict.passed, verdict.detail  # reset or refilled on the device each call


def test_the_stand_in_sees_an_operation_that_allocates(stand_in_cupy):
    """The detector can fail: ``a @ b`` without ``out=`` and a copy are both seen."""
    a = stand_in_cupy.on_device(np.ones((2, 2)))
    _ = a @ a
    _ = a.copy()
    assert stand_in_cupy.made == ["matmul result", "new array"]

"""Every kernel on every backend, each pair run once through a real worker at size S.

The pairs come from the registries (``KERNEL_NAMES`` x ``BACKEND_NAMES``), so a new kernel
or backend is tested here without being listed anywhere. A backend whose ``device`` is
``cuda`` needs a GPU (the ``gpu`` mark; skipped elsewhere, see tests/conftest.py) and is
run in every dtype of the kernel; the others run the kernel's default dtype. A pair with
no implementation must say why in the kernel's ``not_applicable``: no silent gap.
Kernel-specific properties of these runs are tested beside each kernel.
"""

import pytest
from accel.kernels import KERNEL_NAMES, get_kernel

import accel
from accel.backends import BACKEND_NAMES, get_backend

pytestmark = pytest.mark.slow  # every kernel on every backend in a fresh worker

#: (kernel, dtype) whose check leaves no error at all when it passes: integer answers
#: (pi, primes), whole-number inputs whose sums and products are exact (norm in float64,
#: matmul in both dtypes), and Julia escape counts in complex128 (at size S none may differ).
EXACT = {
    ("julia", "complex128"),
    ("norm", "float64"),
    ("pi", "int64"),
    ("primes", "int64"),
    ("matmul", "float64"),
    ("matmul", "float32"),
}
REPEATS = 2


def _pairs():
    for kernel in KERNEL_NAMES:
        for backend in BACKEND_NAMES:
            on_gpu = get_backend(backend).device == "cuda"
            marks = [pytest.mark.gpu] if on_gpu else []
            yield pytest.param(kernel, backend, marks=marks, id=f"{kernel}-{backend}")


def _input_bytes(kernel, record) -> int:
    """Bytes of the input arrays the worker made for ``record`` (scalars count 0)."""
    inputs = kernel.make_inputs(record.size, record.dtype, record.seed, **record.params)
    return sum(int(getattr(value, "nbytes", 0) or 0) for value in inputs.values())


@pytest.mark.parametrize("kernel_name, backend_name", list(_pairs()))
def test_pair_passes_its_check_at_size_s_or_is_declared_not_applicable(kernel_name, backend_name):
    kernel, backend = get_kernel(kernel_name), get_backend(backend_name)
    if backend_name not in kernel.implementations:
        assert backend_name in kernel.not_applicable, (
            f"silent gap: {kernel_name} has no {backend_name} implementation "
            "and its not_applicable gives no reason"
        )
        record = accel.run(kernel_name, backend_name, preset="S", repeats=1)
        assert record.status == "unavailable"
        assert record.reason == kernel.not_applicable[backend_name]
        return
    assert backend_name not in kernel.not_applicable, "both implemented and not applicable"
    preset = kernel.presets["S"]
    dtypes = kernel.dtypes if backend.device == "cuda" else (kernel.default_dtype,)
    for dtype in dtypes:
        record = accel.run(kernel_name, backend_name, preset="S", dtype=dtype, repeats=REPEATS)
        assert record.status == "ok", record.reason + record.stderr_tail
        assert record.check["passed"], record.check["detail"]
        if (kernel_name, dtype) in EXACT:
            assert record.check["error"] == 0.0, record.check["detail"]
        assert (record.size, record.dtype, record.params) == (preset.size, dtype, preset.params)
        assert len(record.samples_s) == REPEATS and all(s > 0 for s in record.samples_s)
        if backend.transfers:  # another process or a GPU: the inputs really moved
            assert record.transfer is not None
            assert record.transfer.h2d_bytes == _input_bytes(kernel, record) > 0
            assert record.transfer.pinned is (False if backend.device == "cuda" else None)
        else:
            assert record.transfer is None

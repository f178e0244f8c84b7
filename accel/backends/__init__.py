"""The backend registry: every place a kernel can run, by name.

>>> from accel.backends import get_backend
>>> get_backend("numpy").device
'cpu'
"""

from __future__ import annotations

import importlib

from ..errors import choose
from .base import Availability, Backend

__all__ = [
    "BACKEND_NAMES",
    "Availability",
    "Backend",
    "all_backends",
    "get_backend",
    "runs_on_gpu",
]

#: Every backend, in the order tables list them: interpreters, CPU libraries, GPUs.
BACKEND_NAMES: tuple[str, ...] = (
    "python",
    "pypy",
    "numpy",
    "numba_cpu",
    "numba_parallel",
    "torch_cpu",
    "c_native",
    "c_openmp",
    "numba_cuda",
    "cupy",
    "torch_cuda",
)

_instances: dict[str, Backend] = {}


def get_backend(name: str) -> Backend:
    """The backend called ``name`` (one instance per process); unknown names list the valid ones."""
    if name not in BACKEND_NAMES:
        raise choose("backend", name, BACKEND_NAMES)
    if name not in _instances:
        module = importlib.import_module(f"{__name__}.{name}")
        _instances[name] = module.BACKEND()
    return _instances[name]


def all_backends() -> list[Backend]:
    """Every registered backend, available here or not."""
    return [get_backend(name) for name in BACKEND_NAMES]


def runs_on_gpu(name: str) -> bool:
    """Whether the backend called ``name`` runs on a CUDA device (False for unknown names)."""
    return name in BACKEND_NAMES and get_backend(name).device == "cuda"

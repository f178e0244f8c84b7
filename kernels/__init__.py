"""The kernel catalogue: each kernel described once, implemented once per backend.

A kernel package (``accel.kernels.<name>``) exposes a module-level ``KERNEL``, a
:class:`KernelSpec`. Implementation modules beside it hold compute only: a
function ``compute(**inputs)`` that receives inputs already on its device and
returns the output on its device.

>>> from accel.kernels import get_kernel
>>> get_kernel("julia").presets["book"].size
1000
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

KERNEL_NAMES: tuple[str, ...] = ("julia", "diffusion", "norm", "pi", "primes", "matmul")

Inputs = dict[str, Any]


#: The conventional implementation module for each backend: the pure-Python file serves
#: CPython and PyPy, the torch file both devices, one C source both C backends' wrappers.
STANDARD_IMPLEMENTATIONS: Mapping[str, str] = {
    "python": "pure_python",
    "pypy": "pure_python",
    "numpy": "numpy_impl",
    "numba_cpu": "numba_cpu",
    "numba_parallel": "numba_parallel",
    "torch_cpu": "torch_impl",
    "torch_cuda": "torch_impl",
    "numba_cuda": "numba_cuda",
    "cupy": "cupy_impl",
    "c_native": "c_native",
    "c_openmp": "c_openmp",
}


class UnknownKernelError(ValueError):
    """Raised for a kernel name that is not in the catalogue."""


@dataclass(frozen=True)
class Preset:
    """A named problem size, with any extra parameters the kernel takes."""

    size: int
    params: Mapping[str, Any] = field(default_factory=dict)
    note: str = ""


@dataclass(frozen=True)
class Verdict:
    """The outcome of a kernel's check: passed or not, an error figure, and why."""

    passed: bool
    error: float
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, "error": self.error, "detail": self.detail}


@dataclass(frozen=True)
class Work:
    """What one call does: floating-point (or integer) operations and bytes moved."""

    flops: float
    bytes: float

    @property
    def intensity(self) -> float:
        """Arithmetic intensity in flop per byte."""
        return self.flops / self.bytes if self.bytes else float("inf")


@dataclass(frozen=True)
class KernelSpec:
    """Everything the dispatcher needs to know about one kernel.

    ``implementations`` maps a backend name to the implementation module (a
    module of this kernel's package) that serves it; one module may serve two
    backends. The default is :data:`STANDARD_IMPLEMENTATIONS`; a kernel whose
    modules differ overrides only those entries. ``not_applicable`` maps a backend to
    the reason the pairing makes no sense, so that no gap is silent. ``dtype_aliases``
    lets a generic precision name stand for this kernel's own dtype (julia: ``float32``
    means ``complex64``).
    ``memory_bytes(size, dtype, **params)`` estimates the peak host memory of one run
    (inputs, output, the check and its reference), so that a size this machine cannot
    hold is refused before anything is allocated; None where there is no estimate.
    """

    name: str
    title: str
    description: str
    version: str
    presets: Mapping[str, Preset]
    dtypes: tuple[str, ...]
    make_inputs: Callable[..., Inputs]
    reference: Callable[[Inputs], Any]
    check: Callable[[Any, Inputs], Verdict]
    work: Callable[..., Work]
    implementations: Mapping[str, str] = field(
        default_factory=lambda: dict(STANDARD_IMPLEMENTATIONS)
    )
    not_applicable: Mapping[str, str] = field(default_factory=dict)
    package: str = ""
    dtype_aliases: Mapping[str, str] = field(default_factory=dict)
    memory_bytes: Callable[..., int] | None = None

    @property
    def default_dtype(self) -> str:
        return self.dtypes[0]

    def resolve_dtype(self, dtype: str) -> str:
        """The kernel's own dtype for ``dtype`` or its alias (unchecked: see ``dtypes``)."""
        return self.dtype_aliases.get(dtype, dtype)

    def implementation(self, backend: str) -> ModuleType:
        """Import and return the implementation module serving ``backend``."""
        if backend not in self.implementations:
            reason = self.not_applicable.get(backend, "no implementation")
            raise LookupError(f"kernel {self.name!r} has no {backend} implementation: {reason}")
        return importlib.import_module(f"{self.package}.{self.implementations[backend]}")

    def implementation_path(self, backend: str) -> str:
        """Filesystem path of the module serving ``backend``, found without importing it."""
        spec = importlib.util.find_spec(f"{self.package}.{self.implementations[backend]}")
        if spec is None or spec.origin is None:
            raise LookupError(f"implementation file for {self.name}/{backend} not found")
        return spec.origin

    def params_for(self, size: int, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Parameters for a run of ``size``: a preset's own where the size matches one."""
        merged: dict[str, Any] = {}
        for preset in self.presets.values():
            if preset.size == size:
                merged.update(preset.params)
                break
        merged.update(params or {})
        return merged


EXTRA_KERNELS_ENV = "ACCEL_EXTRA_KERNELS"


def extra_kernel_modules() -> dict[str, str]:
    """Kernels from outside the catalogue: ``ACCEL_EXTRA_KERNELS=pkg.mod,other.mod``.

    Each named module (importable by the worker too) exposes ``KERNEL``; the kernel is
    known by its last dotted part. This is how you bring your own kernel, and how the
    tests bring deliberately faulty ones.
    """
    names = os.environ.get(EXTRA_KERNELS_ENV, "")
    return {module.rsplit(".", 1)[-1]: module for module in filter(None, names.split(","))}


def kernel_names() -> list[str]:
    """Every kernel name: the catalogue's, then any extra ones."""
    return [*KERNEL_NAMES, *(n for n in extra_kernel_modules() if n not in KERNEL_NAMES)]


def get_kernel(name: str) -> KernelSpec:
    """Return the catalogue entry for ``name``; unknown names list the valid ones."""
    extras = extra_kernel_modules()
    if name in KERNEL_NAMES:
        module = importlib.import_module(f"{__name__}.{name}")
    elif name in extras:
        return _extra_kernel(extras[name])
    else:
        raise UnknownKernelError(
            f"unknown kernel {name!r}; choose one of: {', '.join(kernel_names())}"
        )
    return module.KERNEL


def _extra_kernel(module_name: str) -> KernelSpec:
    """The KERNEL of a module named in ACCEL_EXTRA_KERNELS; UnknownKernelError if there is none."""
    try:
        kernel = importlib.import_module(module_name).KERNEL
    except Exception as exc:  # the user's module: missing, broken, or not a kernel
        raise UnknownKernelError(
            f"{EXTRA_KERNELS_ENV} names {module_name!r}, which gives no kernel "
            f"({type(exc).__name__}: {exc}); fix or unset {EXTRA_KERNELS_ENV}"
        ) from None
    if not isinstance(kernel, KernelSpec):
        raise UnknownKernelError(
            f"{EXTRA_KERNELS_ENV} names {module_name!r}, whose KERNEL is not a KernelSpec; "
            f"fix or unset {EXTRA_KERNELS_ENV}"
        )
    return kernel


def all_kernels() -> list[KernelSpec]:
    """Every kernel in the catalogue (and any extra ones), in catalogue order."""
    return [get_kernel(name) for name in kernel_names()]

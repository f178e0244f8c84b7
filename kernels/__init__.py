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

import dataclasses
import functools
import importlib
import importlib.util
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from ._source import digest, files_digest

KERNEL_NAMES: tuple[str, ...] = ("julia", "diffusion", "norm", "pi", "primes", "matmul")

Inputs = dict[str, Any]

#: The catalogue's folder: source files are named relative to it in version digests.
_CATALOGUE_ROOT = os.path.dirname(os.path.abspath(__file__))


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
    means ``complex64``). ``variants`` maps a named variant (a module of the package
    with that name, such as diffusion's ``numpy_roll``) to the backend it runs on: the
    backend's loading, transfers and availability, with only the compute swapped
    (:meth:`with_variant`).
    ``memory_bytes(size, dtype, **params)`` estimates the peak host memory of one run
    (inputs, output, the check and its reference), so that a size this machine cannot
    hold is refused before anything is allocated; None where there is no estimate.
    """

    name: str
    title: str
    description: str
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
    #: What the size n is for this kernel, for axis labels: "an n x n grid", "n elements".
    size_means: str = ""
    #: Named variants: the module's name -> the backend whose data it takes.
    variants: Mapping[str, str] = field(default_factory=dict)

    @functools.cached_property
    def version(self) -> str:
        """A digest of the source that defines the kernel: the files of its package's
        ``__init__.py`` and of the modules holding ``make_inputs``, ``reference`` and
        ``check`` (inputs, reference, check), with what they import (see :mod:`._source`)."""
        files = set()
        for name in (self.package, *(getattr(f, "__module__", None) for f in self._spec_functions)):
            spec = importlib.util.find_spec(name) if name else None
            if spec is not None and spec.origin is not None and spec.origin.endswith(".py"):
                files.add(spec.origin)
        if not files:
            raise LookupError(f"kernel {self.name!r}: no source found for its version")
        return digest(*(files_digest(f, _CATALOGUE_ROOT) for f in sorted(files)))

    @property
    def _spec_functions(self) -> tuple[Callable[..., Any], ...]:
        return (self.make_inputs, self.reference, self.check)

    def version_for(self, backend: str) -> str:
        """The version of the kernel's code on ``backend``: its spec and, where it has
        one, the implementation's source. A stored run of another version is stale."""
        if backend not in self.implementations:
            return self.version
        return digest(
            self.version, files_digest(self.implementation_path(backend), _CATALOGUE_ROOT)
        )

    def with_variant(self, variant: str = "") -> KernelSpec:
        """This kernel with ``variant``'s module serving the variant's backend ('': itself).

        Everything else (inputs, check, the backend's loading and transfers) stays; the
        copy's :meth:`version_for` that backend is the variant's source. Unknown: LookupError.
        """
        if not variant:
            return self
        if variant not in self.variants:
            raise LookupError(f"kernel {self.name!r} has no variant {variant!r}")
        implementations = {**self.implementations, self.variants[variant]: variant}
        return dataclasses.replace(self, implementations=implementations)

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


ENTRY_POINT_GROUP = "accel.kernels"

#: Kernels defined in this process (``accel.Kernel(...)``), by name; the newest wins.
_defined: dict[str, KernelSpec] = {}


def define(kernel: KernelSpec) -> None:
    """Make ``kernel`` known by its name in this process (``accel.Kernel`` calls it).

    Defining a name again (a notebook cell run twice) replaces the old definition; a
    catalogue kernel's name is refused.
    """
    if kernel.name in KERNEL_NAMES:
        raise KernelDefinitionError(
            f"kernel name {kernel.name!r} is taken by the catalogue's {kernel.name} kernel; "
            "choose another name"
        )
    _defined[kernel.name] = kernel


class KernelDefinitionError(UnknownKernelError):
    """A kernel definition that cannot work; the message says what to change.

    An UnknownKernelError too: a kernel that cannot be used as defined is refused
    where an unknown one is (one ``accel: error:`` line, ``accel.UsageError``).
    """


def entry_point_kernels() -> dict[str, Any]:
    """Kernels that installed packages provide in the ``accel.kernels`` entry-point group.

    In a package's ``pyproject.toml``::

        [project.entry-points."accel.kernels"]
        # an accel.Kernel, a KernelSpec or a module with KERNEL:
        movavg = "mypackage.kernels:movavg"
    """
    from importlib.metadata import entry_points

    try:
        found = entry_points(group=ENTRY_POINT_GROUP)
    except Exception:  # a broken distribution in the environment
        return {}
    return {point.name: point for point in found}


def kernel_names() -> list[str]:
    """Every kernel name: the catalogue's, those defined here, installed and extra ones."""
    names = [*KERNEL_NAMES, *_defined, *entry_point_kernels(), *extra_kernel_modules()]
    return list(dict.fromkeys(names))


def get_kernel(name: str | KernelSpec) -> KernelSpec:
    """Return the kernel called ``name``; unknown names list the valid ones.

    Looked up in order: the catalogue, kernels defined in this process
    (``accel.Kernel``), the ``accel.kernels`` entry points of installed packages,
    and the modules named in ``ACCEL_EXTRA_KERNELS``. A kernel object (an
    ``accel.Kernel``) stands for itself: it is made known by its name here, and its
    definition is checked (KernelDefinitionError says what is wrong).
    """
    if isinstance(name, KernelSpec):
        kernel = name
        if _defined.get(kernel.name) is not kernel and kernel.name not in KERNEL_NAMES:
            define(kernel)
        elif kernel.name in KERNEL_NAMES and get_kernel(kernel.name) is not kernel:
            define(kernel)  # refused: a catalogue name
        return checked(kernel)
    if name in _defined:
        return _defined[name]
    if name in KERNEL_NAMES:
        return importlib.import_module(f"{__name__}.{name}").KERNEL
    points = entry_point_kernels()
    if name in points:
        return _entry_point_kernel(name, points[name])
    extras = extra_kernel_modules()
    if name in extras:
        return _extra_kernel(extras[name])
    raise UnknownKernelError(f"unknown kernel {name!r}; choose one of: {', '.join(kernel_names())}")


def checked(kernel: KernelSpec) -> KernelSpec:
    """``kernel``, its definition checked where it can be (an accel.Kernel's
    ``validate``: inputs that fit its functions); KernelDefinitionError if not."""
    validate = getattr(kernel, "validate", None)
    if validate is not None:
        validate()
    return kernel


def _entry_point_kernel(name: str, point: Any) -> KernelSpec:
    """The kernel an entry point names; UnknownKernelError that says which package is at fault."""
    where = f"the {ENTRY_POINT_GROUP} entry point {name!r} ({point.value})"
    try:
        loaded = point.load()
    except (Exception, SystemExit) as exc:  # the package's code: missing, broken, sys.exit()
        raise UnknownKernelError(
            f"{where} gives no kernel ({type(exc).__name__}: {exc}); fix or uninstall "
            f"{getattr(point.dist, 'name', 'its package')}"
        ) from None
    kernel = getattr(loaded, "KERNEL", loaded)
    if not isinstance(kernel, KernelSpec):
        raise UnknownKernelError(
            f"{where} is a {type(kernel).__name__}, not an accel.Kernel or KernelSpec"
        )
    if kernel.name != name:
        raise UnknownKernelError(
            f"{where} gives a kernel named {kernel.name!r}; the names must agree"
        )
    return kernel


def _extra_kernel(module_name: str) -> KernelSpec:
    """The KERNEL of a module named in ACCEL_EXTRA_KERNELS; UnknownKernelError if there is none."""
    try:
        kernel = importlib.import_module(module_name).KERNEL
    except (Exception, SystemExit) as exc:  # the user's module: missing, broken, sys.exit()
        why = f"{type(exc).__name__}: {exc}"
        if isinstance(exc, SystemExit):
            why = f"it calls sys.exit({exc.code!r}) on import"
        raise UnknownKernelError(
            f"{EXTRA_KERNELS_ENV} names {module_name!r}, which gives no kernel "
            f"({why}); fix or unset {EXTRA_KERNELS_ENV}"
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

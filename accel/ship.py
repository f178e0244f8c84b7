"""Getting a kernel defined in this process (a script, a notebook cell) to a worker process.

A worker is a fresh Python process: it knows the catalogue, installed packages' kernels
and ``ACCEL_EXTRA_KERNELS`` by name, but not a kernel defined in ``__main__`` or in a
notebook. Such a kernel travels in the run's spec, serialised with ``cloudpickle``
(the library Dask and Ray use for the same job): functions of importable modules go
by reference (module path and name, imported again in the worker, which gets this
process's ``sys.path``), those of ``__main__`` and notebooks by value. The PyPy
process gets the functions' source instead (:meth:`accel.kernels.own.Kernel.implementation_path`).

>>> payload = kernel_payload("movavg")          # doctest: +SKIP
>>> receive(payload)                            # in the worker: defines movavg there
"""

from __future__ import annotations

import base64
import sys
from typing import Any

from .kernels import KernelDefinitionError, KernelSpec, define, get_kernel
from .kernels.own import Kernel

#: Pickled kernels by (id, version): a comparison ships the same kernel many times.
_pickled: dict[tuple[int, str], str] = {}


def kernel_payload(name: str) -> dict[str, Any] | None:
    """What a worker needs to know kernel ``name``: None for kernels it finds by name."""
    kernel = get_kernel(name)
    if not isinstance(kernel, Kernel):
        return None
    return {"pickle": pickled(kernel), "sys_path": [p for p in sys.path if isinstance(p, str)]}


def pickled(kernel: Kernel) -> str:
    """``kernel`` serialised by cloudpickle (base64 text); KernelDefinitionError saying
    what to do where a part of it cannot be serialised."""
    key = (id(kernel), ",".join(kernel.version_for(b) for b in sorted(kernel.implementations)))
    if key not in _pickled:
        import cloudpickle

        try:
            data = cloudpickle.dumps(kernel)
        except Exception as exc:  # whatever the user's functions hold on to
            raise KernelDefinitionError(
                f"{kernel.name} cannot be sent to a worker process: {type(exc).__name__}: {exc}. "
                "A kernel's functions must not hold open files, locks, connections or "
                "generators (through default arguments, closures or globals); pass such "
                "things' data as inputs, or define the kernel in an importable module"
            ) from None
        _pickled[key] = base64.b64encode(data).decode("ascii")
    return _pickled[key]


def receive(payload: dict[str, Any] | None) -> None:
    """In the worker: define the kernel that ``payload`` carries (nothing for None)."""
    if not payload:
        return
    import cloudpickle

    for entry in reversed(payload.get("sys_path", [])):
        if entry not in sys.path:
            sys.path.insert(0, entry)
    kernel = cloudpickle.loads(base64.b64decode(payload["pickle"]))
    define(kernel)


def implementation_note(kernel: KernelSpec, backend: str) -> str:
    """What a record says about the code that ran on ``backend``: the module's name,
    or for an accel.Kernel the function, how it ran and whether it was derived."""
    if backend not in kernel.implementations:
        return ""
    if isinstance(kernel, Kernel):
        return kernel.derivation(backend)
    return str(kernel.implementations[backend])

"""accel: a GPU and JIT acceleration testbed for Python.

>>> import accel
>>> record = accel.run("julia", "numba_cpu", preset="S")   # doctest: +SKIP
>>> records = accel.compare("julia", preset="book")          # doctest: +SKIP

Importing ``accel`` is cheap: no NumPy, Numba, PyTorch or CuPy until they are used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .api import compare, fastest, run, sweep
    from .errors import AccelError, UsageError
    from .kernels.own import Kernel
    from .record import RunRecord

__all__ = [
    "AccelError",
    "Kernel",
    "RunRecord",
    "UsageError",
    "__version__",
    "compare",
    "fastest",
    "run",
    "sweep",
]

_LAZY = {
    "run": "api",
    "compare": "api",
    "sweep": "api",
    "fastest": "api",
    "RunRecord": "record",
    "AccelError": "errors",
    "UsageError": "errors",
    "Kernel": "kernels.own",
}


def __getattr__(name: str) -> Any:
    """Load public names on first use, keeping ``import accel`` light."""
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'accel' has no attribute {name!r}")

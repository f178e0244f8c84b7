"""NumPy: vectorised array expressions in the worker process."""

from __future__ import annotations

from .base import Backend


class NumpyBackend(Backend):
    name = "numpy"


BACKEND = NumpyBackend

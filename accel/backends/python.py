"""CPython running the kernel's pure-Python implementation on lists."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..kernels import Inputs
from .base import Backend


def to_python(value: Any) -> Any:
    """NumPy arrays become (nested) lists of Python numbers; scalars stay as they are."""
    return value.tolist() if isinstance(value, np.ndarray) else value


class PythonBackend(Backend):
    name = "python"
    libraries = ()

    def to_device(self, inputs: Inputs) -> Inputs:
        return {key: to_python(value) for key, value in inputs.items()}

    def from_device(self, output: Any) -> Any:
        return np.asarray(output) if isinstance(output, list) else output


BACKEND = PythonBackend

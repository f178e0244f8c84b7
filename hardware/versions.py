"""Versions of Python and the numerical libraries, without importing the heavy ones."""

from __future__ import annotations

import importlib.metadata
import platform

# Report name -> distribution names to try (cupy ships per-CUDA wheels).
LIBRARIES: dict[str, tuple[str, ...]] = {
    "numpy": ("numpy",),
    "numba": ("numba",),
    "llvmlite": ("llvmlite",),
    "torch": ("torch",),
    "cupy": ("cupy", "cupy-cuda13x", "cupy-cuda12x", "cupy-cuda11x"),
    "psutil": ("psutil",),
    "nvidia-ml-py": ("nvidia-ml-py",),
    "archspec": ("archspec",),
}


def distribution_version(names: tuple[str, ...]) -> str | None:
    """Installed version of the first of ``names`` that is installed, else None."""
    for name in names:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return None


def library_versions() -> dict[str, str | None]:
    """{"python": "3.11.7", "numpy": "2.4.0", ..., "cupy": None} (None = not installed)."""
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for label, names in LIBRARIES.items():
        versions[label] = distribution_version(names)
    return versions

"""A small on-disk cache for reference outputs that are slow to compute.

Reference answers are deterministic functions of a kernel's version and its
input parameters, so they are computed once per machine and reused. The cache
lives in ``$ACCEL_HOME/reference`` (default ``~/.cache/accel/reference``);
``ACCEL_NO_REFERENCE_CACHE=1`` turns it off.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ._home import accel_home


def _cache_dir() -> Path:
    return accel_home() / "reference"


def cached_array(key: str, compute: Callable[[], np.ndarray]) -> np.ndarray:
    """Return ``compute()``, read from the cache when an entry for ``key`` exists."""
    if os.environ.get("ACCEL_NO_REFERENCE_CACHE") == "1":
        return compute()
    path = _cache_dir() / (hashlib.sha256(key.encode()).hexdigest()[:24] + ".npy")
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        pass
    result = compute()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            np.save(handle, result, allow_pickle=False)
        os.replace(tmp, path)
    except OSError:
        pass  # an unwritable cache only costs time
    return result

"""Where accel keeps what it writes: ``$ACCEL_HOME``, else ``${XDG_CACHE_HOME:-~/.cache}/accel``.

The results store, the reference answers and the built C libraries all live below it.
It sits in the lowest layer (the kernels) so that both they and the dispatcher use it.
"""

from __future__ import annotations

import os
from pathlib import Path


def accel_home() -> Path:
    """The folder for accel's store and caches (read from the environment on each call)."""
    home = os.environ.get("ACCEL_HOME")
    if home:
        return Path(home)
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "accel"

"""Where accel keeps what it writes: ``$ACCEL_HOME``, else the user's cache folder for accel.

The user's cache folder is platformdirs' ``user_cache_path("accel")``: on Linux
``${XDG_CACHE_HOME:-~/.cache}/accel``, on macOS ``~/Library/Caches/accel``, on Windows
``%LOCALAPPDATA%\\accel\\Cache``. The results store, the reference answers and the built
C libraries all live below it. It sits in the lowest layer (the kernels) so that both
they and the dispatcher use it.
"""

from __future__ import annotations

import os
from pathlib import Path


def accel_home() -> Path:
    """The folder for accel's store and caches (read from the environment on each call)."""
    home = os.environ.get("ACCEL_HOME")
    if home:
        return Path(home)
    from platformdirs import user_cache_path  # only here: a PyPy worker never needs it

    return user_cache_path("accel", appauthor=False)

"""Byte counts as people read them, in binary units: ``48 KiB``, ``1.25 MiB``, ``23.5 GiB``.

The one byte rule of the project: the hardware report uses it here, and the dispatcher
through :mod:`accel.units` (``hardware/`` imports nothing from ``accel``, so the rule
lives at this level and the dispatcher borrows it).
"""

from __future__ import annotations

_UNITS = (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10))


def binary_size(value: float) -> str:
    """``value`` bytes with three significant figures and no exponent: 49152 -> "48 KiB".

    >>> binary_size(503316480), binary_size(1310720), binary_size(1000 * 1024), binary_size(64)
    ('480 MiB', '1.25 MiB', '1000 KiB', '64 B')
    """
    for unit, scale in _UNITS:
        if value >= scale:
            number = value / scale
            return f"{number:.0f} {unit}" if number >= 100 else f"{number:.3g} {unit}"
    return f"{value:.0f} B"

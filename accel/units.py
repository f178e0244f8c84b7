"""Figures as people read them: durations, counts, bytes, rates and ratios.

One formatter per kind of figure, used by the command line, the progress view, the
figures and the report alike, so that a time reads the same everywhere. ``None`` (a
figure that was not measured) prints as ``-``.

>>> seconds(0.00751), count(1_234_567), memory(155_189_248), rate(2400.0), factor(30.3)
('7.51 ms', '1.23M', '148 MiB', '2,400', '30.3×')
"""

from __future__ import annotations

from .hardware.sizes import binary_size


def seconds(value: float | None) -> str:
    """A duration with a unit that keeps three significant figures: 7.51 ms, 1.23 s."""
    if value is None:
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6), ("ns", 1e-9)):
        if abs(value) >= scale or unit == "ns":
            return f"{value / scale:.3g} {unit}"
    return f"{value:g} s"


def count(value: float | None) -> str:
    """A count with three significant figures and an SI suffix: 1.23M, 512k, 42."""
    if value is None:
        return "-"
    for suffix, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(value) >= scale:
            return f"{value / scale:.3g}{suffix}"
    return f"{value:.3g}"


def memory(value: float | None, signed: bool = False) -> str:
    """Bytes in binary units with three significant figures: 149 MiB, +4 KiB (``signed``)."""
    if value is None:
        return "-"
    if not signed:
        return binary_size(value)
    return ("+" if value >= 0 else "-") + binary_size(abs(value))


def rate(value: float) -> str:
    """A rate with three significant figures and no exponent above 100: 2,400 / 52 / 14.8."""
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def factor(value: float) -> str:
    """A ratio as people say it: ``30.3×``, ``1.09×``, ``153×``, ``4,130×``."""
    return f"{value:,.0f}×" if value >= 1000 else f"{value:.3g}×"

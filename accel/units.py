"""Figures as people read them: durations, counts, bytes, rates and ratios.

One formatter per kind of figure, used by the command line, the progress view, the
figures and the report alike, so that a time reads the same everywhere. ``None`` (a
figure that was not measured) prints as ``-``.

>>> seconds(0.00751), count(1_234_567), memory(155_189_248), rate(2400.0), factor(30.3)
('7.51 ms', '1.23M', '148 MiB', '2,400', '30.3×')
"""

from __future__ import annotations

from .hardware.sizes import binary_size


def significant(value: float) -> str:
    """Three significant figures and never an exponent: 0.0123, 14.8, 52, 2,400."""
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def _scaled(value: float, scales: tuple[tuple[str, float], ...]) -> str:
    """``value`` in the largest unit it reaches once rounded: 0.99996 s is 1 s, not 1e+03 ms."""
    rounded = float(f"{value:.3g}")
    unit, scale = next(((u, f) for u, f in scales if abs(rounded) >= f), scales[-1])
    return f"{significant(rounded / scale)}{unit}"


def seconds(value: float | None) -> str:
    """A duration with a unit that keeps three significant figures: 7.51 ms, 1.23 s."""
    if value is None:
        return "-"
    if value == 0:
        return "0 s"
    return _scaled(value, ((" s", 1.0), (" ms", 1e-3), (" us", 1e-6), (" ns", 1e-9)))


def count(value: float | None) -> str:
    """A count with three significant figures and an SI suffix: 1.23M, 512k, 42."""
    if value is None:
        return "-"
    return _scaled(value, (("G", 1e9), ("M", 1e6), ("k", 1e3), ("", 1.0)))


def memory(value: float | None, signed: bool = False) -> str:
    """Bytes in binary units with three significant figures: 149 MiB, +4 KiB (``signed``)."""
    if value is None:
        return "-"
    if not signed:
        return binary_size(value)
    return ("+" if value >= 0 else "-") + binary_size(abs(value))


def rate(value: float) -> str:
    """A rate with three significant figures and no exponent above 100: 2,400 / 52 / 14.8."""
    return significant(value)


def factor(value: float) -> str:
    """A ratio as people say it: ``30.3×``, ``1.09×``, ``153×``, ``4,130×``."""
    return f"{value:,.0f}×" if value >= 1000 else f"{value:.3g}×"

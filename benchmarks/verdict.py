"""Targets and verdicts: one measured figure against its limit, and by how much it misses.

A target is a ratio (or a small cost) with a limit and a direction: ``higher`` means
the figure must reach the limit, ``lower`` that it must stay under it. A missed
target carries a one-line explanation: how far it is from the limit, then why, from
figures measured in the same run.

>>> target = Target("numba_vs_c.julia", "numba_cpu within 1.15x of c_native", 1.15, "lower", "x")
>>> judge(target, 1.38, why="numba_cpu calls hypot() per iteration").explanation
'1.38x against at most 1.15x: 20% over the limit; numba_cpu calls hypot() per iteration'
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Better = Literal["higher", "lower"]
Status = Literal["pass", "fail", "not measurable", "skipped"]
STATUSES: tuple[str, ...] = ("pass", "fail", "not measurable", "skipped")


@dataclass(frozen=True)
class Target:
    """A claim about this machine's figures: ``value <= limit`` or ``value >= limit``.

    ``name`` is ``group.detail`` (``numba_vs_c.julia``); ``unit`` is how the figure
    and the limit are written (``x`` for a ratio, ``us``, ``ms``, ``GB/s``, or ``""``
    for a plain fraction).
    """

    name: str
    claim: str
    limit: float
    better: Better
    unit: str

    @property
    def group(self) -> str:
        return self.name.split(".", 1)[0]

    def met_by(self, value: float) -> bool:
        return value >= self.limit if self.better == "higher" else value <= self.limit


@dataclass
class Result:
    """A target's outcome: the figure, the verdict and, when it is not a pass, why."""

    name: str
    group: str
    claim: str
    limit: float
    better: Better
    unit: str
    status: Status
    value: float | None = None
    explanation: str = ""
    method: str = ""
    figures: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.status == "pass"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def quantity(value: float, unit: str) -> str:
    """A figure with its unit, three significant figures: ``1.38x``, ``0.72``, ``1.9 us``."""
    text = f"{value:.3g}"
    if unit == "x":
        return text + "x"
    return f"{text} {unit}" if unit else text


def shortfall(target: Target, value: float) -> str:
    """How far ``value`` is from the limit, as a share of the limit.

    >>> shortfall(Target("a.b", "", 0.85, "higher", ""), 0.68)
    '0.68 against at least 0.85: 20% short of the limit'
    """
    bound = "at least" if target.better == "higher" else "at most"
    stated = f"{quantity(value, target.unit)} against {bound} {quantity(target.limit, target.unit)}"
    if target.limit == 0:
        return f"{stated}: over the limit"
    if target.better == "higher":
        return f"{stated}: {1 - value / target.limit:.0%} short of the limit"
    return f"{stated}: {value / target.limit - 1:.0%} over the limit"


def judge(
    target: Target,
    value: float,
    *,
    why: str = "",
    method: str = "",
    figures: dict[str, Any] | None = None,
) -> Result:
    """The verdict on ``value``; a miss is explained by its shortfall and ``why``.

    Every target's figure is a time, a rate, a ratio of times or a count, none of which
    can be negative: a negative (or not finite) figure is a broken measurement, and the
    verdict is ``not measurable`` with the figure and the method, never a pass.

    >>> judge(Target("harness.import_time", "", 150.0, "lower", "ms"), -4.7).status
    'not measurable'
    """
    if not math.isfinite(value) or value < 0:
        reason = (
            f"the measurement gave {quantity(value, target.unit)}, which this figure cannot "
            "be: a broken measurement (noise larger than the effect, or a failed run)"
        )
        return not_measurable(target, reason, method=method, figures=figures)
    passed = target.met_by(value)
    explanation = "" if passed else "; ".join(filter(None, [shortfall(target, value), why]))
    return _result(target, "pass" if passed else "fail", value, explanation, method, figures)


def not_measurable(
    target: Target, reason: str, *, method: str = "", figures: dict[str, Any] | None = None
) -> Result:
    """A target this run could not measure (a run failed, a function is missing), and why."""
    return _result(target, "not measurable", None, reason, method, figures)


def skipped(target: Target, reason: str) -> Result:
    """A target that does not apply on this machine (no GPU), and why."""
    return _result(target, "skipped", None, reason, "", None)


def _result(
    target: Target,
    status: Status,
    value: float | None,
    explanation: str,
    method: str,
    figures: dict[str, Any] | None,
) -> Result:
    return Result(
        name=target.name,
        group=target.group,
        claim=target.claim,
        limit=target.limit,
        better=target.better,
        unit=target.unit,
        status=status,
        value=value,
        explanation=explanation,
        method=method,
        figures=dict(figures or {}),
    )

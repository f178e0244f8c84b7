"""How sure a median is: its confidence interval, and whether the samples can be trusted.

:func:`median_interval` gives the distribution-free interval of a median from order
statistics: with n samples sorted, the true median lies between the j-th smallest and
the j-th largest with probability 1 - 2 P(B <= j - 1), B ~ Binomial(n, 1/2), whatever
the distribution of times (skewed, as times are). The widest j reaching the wanted
confidence (95%) is chosen; with fewer than six samples no pair of order statistics
reaches 95%, and the interval is [min, max] with the confidence it does reach (five
samples: 93.75%), said in the interval itself.

:func:`untrusted` says why a set of samples is too spread to trust, as pyperf warns:
a standard deviation of 10% of the mean or more, or two clusters (the samples fall
on either side of a gap much wider than either side's own spread: a machine that
switched state between repetitions).

Written here rather than taken from SciPy (not a dependency of accel): the binomial
tail needs only ``math.comb``.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from .units import seconds

CONFIDENCE = 0.95
#: pyperf warns when the standard deviation reaches this share of the mean.
RELATIVE_SPREAD_LIMIT = 0.10
#: Two clusters: each holds at least this share of the samples (and 2 samples) ...
CLUSTER_SHARE = 0.2
#: ... the gap between them is at least this share of the median ...
CLUSTER_GAP = 0.15
#: ... and this many times the larger of the two clusters' own standard deviations.
CLUSTER_SEPARATION = 3.0


@dataclass(frozen=True)
class Interval:
    """A median with its confidence interval, in the samples' unit (seconds)."""

    median: float
    low: float
    high: float
    confidence: float

    @property
    def half_width(self) -> float:
        """The larger side: what ``median ± half_width`` shows, never narrower than the truth."""
        return max(self.median - self.low, self.high - self.median)

    def below(self, other: Interval) -> bool:
        """True where this interval lies wholly below ``other``: clearly faster."""
        return self.high < other.low

    def shifted(self, seconds: float) -> Interval:
        """The interval of the median plus a fixed time (one transfer each way)."""
        return Interval(self.median + seconds, self.low + seconds, self.high + seconds,
                        self.confidence)  # fmt: skip


def _binomial_cdf(k: int, n: int) -> float:
    """P(B <= k) for B ~ Binomial(n, 1/2)."""
    return sum(math.comb(n, i) for i in range(k + 1)) / 2**n


def median_interval(samples: Sequence[float], confidence: float = CONFIDENCE) -> Interval | None:
    """The median of ``samples`` and its distribution-free confidence interval.

    >>> i = median_interval([float(v) for v in range(1, 21)])   # 20 samples
    >>> i.median, i.low, i.high, round(i.confidence, 3)
    (10.5, 6.0, 15.0, 0.959)
    >>> median_interval([3.0, 1.0, 2.0, 5.0, 4.0]).confidence    # 5 samples: min..max
    0.9375
    """
    if not samples:
        return None
    ordered = sorted(samples)
    n = len(ordered)
    median = statistics.median(ordered)
    best = 1  # j = 1: [min, max]
    for j in range(2, n // 2 + 1):
        if 1 - 2 * _binomial_cdf(j - 1, n) >= confidence:
            best = j
        else:
            break
    reached = 1 - 2 * _binomial_cdf(best - 1, n) if n > 1 else 0.0
    return Interval(median, ordered[best - 1], ordered[n - best], reached)


def clusters(samples: Sequence[float]) -> tuple[list[float], list[float]] | None:
    """The two clusters the samples fall into, or None where they form one.

    >>> low, high = clusters([5.4, 5.5, 5.6, 5.5, 10.0, 10.1, 9.9, 5.5])
    >>> len(low), len(high)
    (5, 3)
    >>> clusters([5.4, 5.5, 5.6, 5.5, 5.7]) is None
    True
    """
    ordered = sorted(samples)
    n = len(ordered)
    smallest = max(2, math.ceil(CLUSTER_SHARE * n))
    if n < 2 * smallest:
        return None
    gaps = [(ordered[i + 1] - ordered[i], i) for i in range(smallest - 1, n - smallest)]
    gap, at = max(gaps)
    low, high = ordered[: at + 1], ordered[at + 1 :]
    inner = max(statistics.stdev(low), statistics.stdev(high))
    median = statistics.median(ordered)
    if gap >= CLUSTER_GAP * median and gap > CLUSTER_SEPARATION * inner:
        return low, high
    return None


def untrusted(samples: Sequence[float]) -> str | None:
    """Why these samples are too spread to trust (pyperf's warnings), or None.

    >>> untrusted([0.0054, 0.0055, 0.0056, 0.0055, 0.0100, 0.0101, 0.0099, 0.0055])
    'two clusters: 5 near 5.5 ms, 3 near 10 ms'
    >>> untrusted([1.0, 1.3, 1.1, 1.5, 1.2])
    'spread: stdev 16% of the mean'
    >>> untrusted([1.0, 1.01, 0.99, 1.0]) is None
    True
    """
    if len(samples) < 2:
        return None
    split = clusters(samples)
    if split is not None:
        low, high = split
        return (
            f"two clusters: {len(low)} near {seconds(statistics.median(low))}, "
            f"{len(high)} near {seconds(statistics.median(high))}"
        )
    mean = statistics.fmean(samples)
    spread = statistics.stdev(samples) / mean if mean > 0 else 0.0
    if spread >= RELATIVE_SPREAD_LIMIT:
        return f"spread: stdev {spread:.0%} of the mean"
    return None

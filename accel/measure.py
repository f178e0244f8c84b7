"""How many warm-ups and timed repetitions a run gets, pyperf-style.

The first call is timed on its own (it includes JIT compilation). One warm-up
follows unless a call is already long; then enough repetitions to fill
``min_time`` seconds, at least ``min_repeats`` (fewer only for calls so long that
``min_repeats`` of them would exceed ``max_time``) and at most ``max_repeats``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

LONG_CALL_S = 2.0


@dataclass(frozen=True)
class RepeatPolicy:
    """Bounds on the timed region of a run; ``repeats`` fixes the count outright."""

    min_time: float = 0.5
    min_repeats: int = 5
    max_repeats: int = 200
    max_time: float = 20.0
    repeats: int | None = None

    def warmups(self, first_call_s: float) -> int:
        """One warm-up call, none when a call is long (the first call served)."""
        return 0 if first_call_s >= LONG_CALL_S else 1

    def count(self, estimate_s: float) -> int:
        """Timed repetitions for calls that take about ``estimate_s`` each."""
        if self.repeats is not None:
            return self.repeats
        estimate_s = max(estimate_s, 1e-9)
        wanted = max(self.min_repeats, math.ceil(self.min_time / estimate_s))
        wanted = min(wanted, self.max_repeats)
        if wanted * estimate_s > self.max_time:
            wanted = max(3, math.floor(self.max_time / estimate_s))
        return max(1, min(wanted, self.max_repeats))

"""Confidence intervals for a rule's precision measured on gold.

A rule that made 3 spans of which 2 were right has a precision of 0.67, but so little evidence
that its true precision could be anywhere from about 0.2 to 0.94. The Wilson score interval says
how wide that uncertainty is; it behaves well at small counts and at precisions near 0 or 1,
where the textbook normal interval does not (Brown, Cai and DasGupta, 2001).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: the normal quantile of a two-sided 95% interval
Z_95 = 1.959963984540054


@dataclass(frozen=True)
class Interval:
    """A proportion ``successes / trials`` with its Wilson score interval ``[low, high]``."""

    successes: int
    trials: int
    low: float
    high: float

    @property
    def estimate(self) -> float:
        return self.successes / self.trials if self.trials else 0.0

    @property
    def width(self) -> float:
        return self.high - self.low


def wilson(successes: int, trials: int, z: float = Z_95) -> Interval:
    """The Wilson score interval of ``successes`` out of ``trials`` (``[0, 1]`` when there are none)."""
    if trials < 0 or not 0 <= successes <= trials:
        raise ValueError(f"need 0 <= successes <= trials, got {successes} of {trials}")
    if trials == 0:
        return Interval(0, 0, 0.0, 1.0)
    share = successes / trials
    z2 = z * z
    centre = (share + z2 / (2 * trials)) / (1 + z2 / trials)
    half = z / (1 + z2 / trials) * math.sqrt(share * (1 - share) / trials + z2 / (4 * trials * trials))
    # at 0 or all successes the bound is exactly 0 or 1; the formula lands a rounding error off
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == trials else min(1.0, centre + half)
    return Interval(successes, trials, low, high)

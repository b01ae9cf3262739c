"""Small statistics for rates shown to people: the Wilson score interval of a proportion (the
evaluation's verdicts, the dashboard's rates). Pure functions, no database."""

from __future__ import annotations

import math
from dataclasses import dataclass

Z95 = 1.959964  # the two-sided 95 % normal quantile


@dataclass(frozen=True)
class Interval:
    low: float
    high: float


def wilson(satisfied: int, base: int, *, z: float = Z95) -> Interval | None:
    """The Wilson score interval of satisfied/base (None without a base)."""
    if base <= 0:
        return None
    p = satisfied / base
    z2 = z * z
    centre = p + z2 / (2 * base)
    spread = z * math.sqrt(p * (1 - p) / base + z2 / (4 * base * base))
    denominator = 1 + z2 / base
    return Interval(
        max(0.0, (centre - spread) / denominator), min(1.0, (centre + spread) / denominator)
    )

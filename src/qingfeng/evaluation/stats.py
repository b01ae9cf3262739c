"""The numbers of a result: the satisfaction rate with its Wilson 95 % interval, the
four-state verdict, and the composite score. Pure functions, no database."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext_lazy as _

# The interval is the platform's (lib/stats.py), shared with the dashboard's rates.
from qingfeng.lib.stats import Z95 as Z95
from qingfeng.lib.stats import Interval as Interval
from qingfeng.lib.stats import wilson as wilson


class Verdict:
    TOO_FEW = "too_few"
    CONFIRMED_LOW = "confirmed_low"
    PASSED = "passed"
    UNDECIDED = "undecided"


VERDICT_LABELS = {
    Verdict.TOO_FEW: _("样本不足"),
    Verdict.CONFIRMED_LOW: _("确认低于%(t)d%%"),
    Verdict.PASSED: _("达标"),
    Verdict.UNDECIDED: _("待定"),
}


def verdict_label(verdict: str, threshold: int) -> str:
    label = str(VERDICT_LABELS[verdict])
    return label % {"t": threshold} if "%(t)" in label else label


def verdict(satisfied: int, base: int, *, min_sample: int, threshold: int) -> str:
    """样本不足 below the minimum; 确认低于 when the whole interval is under the threshold;
    达标 when the whole interval is at or above it; 待定 otherwise."""
    interval = wilson(satisfied, base)
    if interval is None or base < min_sample:
        return Verdict.TOO_FEW
    line = threshold / 100
    if interval.high < line:
        return Verdict.CONFIRMED_LOW
    if interval.low >= line:
        return Verdict.PASSED
    return Verdict.UNDECIDED


def triggers(
    satisfied: int, base: int, *, min_sample: int, threshold: int, confirmed_only: bool
) -> bool:
    """Whether the 85 % rule sends the unit back: by default the point rate under the line
    with at least the minimum sample (the speech's rule); or only a confirmed verdict."""
    if base < min_sample or base == 0:
        return False
    if confirmed_only:
        return verdict(satisfied, base, min_sample=min_sample, threshold=threshold) == (
            Verdict.CONFIRMED_LOW
        )
    return satisfied * 100 < threshold * base


def percent(value: float | Decimal | None) -> str:
    if value is None:
        return "—"
    return f"{Decimal(str(value * 100)).quantize(Decimal('0.1'), ROUND_HALF_UP)}%"


def composite(
    *,
    satisfaction: float | None,
    third_party: float | None,
    discipline: float | None,
    weights: tuple[int, int, int],
    veto: bool,
    cap: int,
) -> Decimal | None:
    """Σ weight × part / Σ weight over the parts that are there (each part on 0–100); a veto
    caps the result. None when no part is there."""
    parts = [
        (w, p)
        for w, p in zip(weights, (satisfaction, third_party, discipline), strict=True)
        if p is not None and w
    ]
    total = sum(w for w, _p in parts)
    if not total:
        return None
    score = sum(w * p for w, p in parts) / total
    if veto:
        score = min(score, cap)
    return Decimal(str(score)).quantize(Decimal("0.01"), ROUND_HALF_UP)

"""The quarterly score, pure: indicators computed from the quarter's figures (each 0–100, or
None when the unit has nothing to measure it by), weighted by its category's scheme.

    score = Σ(value × weight) ÷ Σ(weight of the indicators with data) − deduction
    一票否决: no score (0), ranked last in its category

The scheme is versioned and kept with each assessment, so a past quarter is read by the
scheme it was scored with.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

# 2: 接待和下基层 (issue 15 §1b), 学习出席率 and 督导发现问题 joined the indicators, and the
# weights were shared out again.
# 3: 回炉补课 (issue 13 §4: a re-evaluation still below the threshold escalates and marks the
# unit for the quarterly assessment): 0 with its weight for a unit escalated in the quarter,
# left out otherwise, so the other units' scores are as in 2; and two manual indicators
# (上级肯定推广, 特色做法), scored by the campaign office with a document or record as
# evidence, left out (no data) until scored.
# 4: the indicators issue 15 names: 三评综合得分 (the three-way evaluation's composite of the
# rounds closed in the quarter: ratings, third party and discipline inspection) in place of the
# ratings' satisfaction rate alone, and 学习规定动作落实率 (the study cadence kept, by learning's
# cadence calendar) in place of raw attendance, each with the weight of the one it replaces
# (organs, rated by no parent but assessed by the third party and discipline inspection, now
# with 10). An assessment keeps the scheme it was scored with (`scheme()` on the row), so
# a quarter scored with 3 keeps its indicators, weights and totals.
SCHEME_VERSION = 4


def _ratio(part: str, whole: str) -> Callable[[Mapping[str, int]], float | None]:
    def value(f: Mapping[str, int]) -> float | None:
        base = f.get(whole, 0)
        return 100 * f.get(part, 0) / base if base else None

    return value


def _overdue(f: Mapping[str, int]) -> float:
    return max(0.0, 100 - 20 * f.get("problems_overdue", 0))


ACTIVITIES_EXPECTED = 3  # a reception day, an open day or a cadre's visit a month


def _activities(f: Mapping[str, int]) -> float:
    return min(100.0, 100 * f.get("activities", 0) / ACTIVITIES_EXPECTED)


def _findings(f: Mapping[str, int]) -> float:
    left = f.get("visit_findings", 0) - f.get("visit_findings_fixed", 0)
    return max(0.0, 100 - 10 * left)


def _composite(f: Mapping[str, int]) -> float | None:
    """The mean composite (0–100) of the unit's results in the rounds closed in the quarter."""
    results = f.get("composite_results", 0)
    return f.get("composite_hundredths", 0) / 100 / results if results else None


def _remedial(f: Mapping[str, int]) -> float | None:
    return 0.0 if f.get("remedials_escalated", 0) else None


def _manual(f: Mapping[str, int]) -> float | None:
    return None  # not computed: scored by the campaign office with evidence


@dataclass(frozen=True)
class Indicator:
    key: str
    label: str
    formula: str
    value: Callable[[Mapping[str, int]], float | None]
    # Scored by hand (0–100) by the campaign office, each score with its evidence (a document
    # or a record, never a photo) and a note: what no figure of the system can show.
    manual: bool = False


INDICATORS = (
    Indicator(
        "closure", "按期销号率", "按期销号数 ÷ 销号数 × 100",
        _ratio("problems_closed_on_time", "problems_closed"),
    ),
    Indicator("overdue", "逾期问题", "100 − 20 × 季末逾期未改问题数（不低于 0）", _overdue),
    Indicator(
        "tickets", "工单满意率", "满意（4–5 分）工单数 ÷ 评价工单数 × 100",
        _ratio("tickets_satisfied", "tickets_rated"),
    ),
    Indicator(
        "composite", "三评综合得分",
        "季度内结束的评议轮次中本单位的三评综合得分（群众评议、第三方评估、纪委监察评鉴"
        "按轮次权重加权）的平均值",
        _composite,
    ),
    Indicator(
        "weekly", "周报及时率", "按时报送周报数 ÷ 应报周报数 × 100",
        _ratio("weekly_on_time", "weekly_due"),
    ),
    Indicator(
        "activities", "接待和下基层",
        "季度内举行的接待日、开放周和干部下基层活动次数 ÷ 3 × 100（不高于 100）",
        _activities,
    ),
    Indicator(
        "cadence", "学习规定动作落实率",
        "季度内各学习类型按规定频次已落实的期数 ÷ 应落实的期数 × 100（每月、每季度的学习，"
        "每月的第一议题）",
        _ratio("cadence_kept", "cadence_due"),
    ),
    Indicator(
        "oversight", "督导发现问题",
        "100 − 10 × 督导发现且未现场立行立改的问题数（不低于 0）",
        _findings,
    ),
    Indicator(
        "remedial", "回炉补课",
        "季度内群众评议回炉复评仍低于达标线、提级督办的记 0 分；没有的不计入",
        _remedial,
    ),
    Indicator(
        "commend", "上级肯定推广",
        "专项办评分（0–100）：经验做法被上级机关发文表扬、推广，以文件为佐证",
        _manual, manual=True,
    ),
    Indicator(
        "practice", "特色做法",
        "专项办评分（0–100）：形成并推行的特色做法、制度创新，以制度文件或工作记录为佐证",
        _manual, manual=True,
    ),
)  # fmt: skip
BY_KEY = {i.key: i for i in INDICATORS}

# Weights by unit category (分类考评): schools' composite weighs most (rated by parents).
WEIGHTS: dict[str, dict[str, int]] = {
    "school": {
        "closure": 25, "overdue": 10, "tickets": 15, "composite": 15, "weekly": 10,
        "activities": 10, "cadence": 10, "oversight": 5, "remedial": 10,
        "commend": 5, "practice": 5,
    },
    "organ": {
        "closure": 25, "overdue": 15, "tickets": 15, "composite": 10, "weekly": 20,
        "activities": 10, "cadence": 10, "oversight": 5, "remedial": 10,
        "commend": 5, "practice": 5,
    },
    "research": {
        "closure": 25, "overdue": 10, "tickets": 15, "composite": 10, "weekly": 15,
        "activities": 10, "cadence": 10, "oversight": 5, "remedial": 10,
        "commend": 5, "practice": 5,
    },
}  # fmt: skip


def scheme() -> dict[str, Any]:
    """The scheme as kept with an assessment."""
    return {
        "version": SCHEME_VERSION,
        "indicators": scheme_indicators(),
        "weights": WEIGHTS,
    }


def kept_indicators(scheme: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The indicators (key, label, formula) an assessment was scored with: a past quarter is
    shown and exported by its own scheme, not by today's."""
    return list(scheme.get("indicators") or scheme_indicators())


def scheme_indicators() -> list[dict[str, Any]]:
    return [
        {"key": i.key, "label": i.label, "formula": i.formula, "manual": i.manual}
        for i in INDICATORS
    ]


def manual_keys(scheme: Mapping[str, Any]) -> list[str]:
    """The indicators of an assessment's scheme that the office scores by hand."""
    return [i["key"] for i in kept_indicators(scheme) if i.get("manual")]


FORMULA = (
    "得分 = Σ（指标得分 × 权重）÷ Σ（有数据的指标的权重）− 扣分；"
    "没有数据的指标不计入，其权重按其余指标折算；手工评分指标由专项办凭佐证材料（文件或记录）"
    "评分，未评分的不计入；一票否决的单位记 0 分，排本类别末位。"
)

TWO = Decimal("0.01")


def values(figures: Mapping[str, int]) -> dict[str, float | None]:
    """The computed indicators' values (a manual one joins when the office scores it)."""
    return {i.key: i.value(figures) for i in INDICATORS if not i.manual}


def total(
    values_: Mapping[str, float | None],
    weights: Mapping[str, int],
    *,
    deduction: Decimal = Decimal(0),
    vetoed: bool = False,
) -> Decimal:
    if vetoed:
        return Decimal(0)
    used = {k: w for k, w in weights.items() if w and values_.get(k) is not None}
    if not used:
        return Decimal(0)
    weighted = sum((Decimal(str(values_[k])) * w for k, w in used.items()), Decimal(0))
    raw = weighted / sum(used.values())
    return max(Decimal(0), (raw - deduction).quantize(TWO, rounding=ROUND_HALF_UP))


def ranks(rows: list[tuple[int, Decimal, bool]]) -> dict[int, int]:
    """Competition ranks (1, 2, 2, 4) by total within one category; vetoed units last."""
    ordered = sorted(rows, key=lambda r: (r[2], -r[1]))
    result: dict[int, int] = {}
    previous: tuple[Decimal, bool] | None = None
    rank = 0
    for position, (pk, score, vetoed) in enumerate(ordered, start=1):
        if (score, vetoed) != previous:
            rank, previous = position, (score, vetoed)
        result[pk] = rank
    return result

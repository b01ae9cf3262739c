"""The third-party indicator scheme (评估指标体系) of a round: indicators in groups, each with
a weight and a maximum score (满分). It is part of what a round freezes when it opens, and it
is versioned like the questionnaire: the same scheme as the owner's last opened round keeps
that version, any change takes the next.

A unit's third-party score is the weighted total over the indicators it was scored on:
Σ weight × score / maximum ÷ Σ weight × 100, a number on 0–100 whatever the maxima are. A
round with no scheme keeps the free form: any indicator, 0–100 each, their mean.

Pure: no database, so the rules are testable for every input.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from qingfeng.lib.xlsx import fold

NAME_MAX = 40
GROUP_MAX = 20
INDICATORS_MAX = 30
_FULL = str.maketrans("０１２３４５６７８９．", "0123456789.")
_SEPARATORS = re.compile(r"\s*[|｜\t,，;；]\s*")
_NUMBER = re.compile(r"^(\d+(?:\.\d+)?)\s*分?$")
# A header like "规范收费（20分）", "规范收费(满分20分)" or "规范收费 20分": the name alone.
_MAX_SUFFIX = re.compile(r"(\((满分)?\d+(\.\d+)?分?\)|(满分)?\d+(\.\d+)?分)$")


@dataclass(frozen=True)
class Indicator:
    name: str
    weight: int
    max_score: Decimal
    group: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "name": self.name,
            "weight": self.weight,
            "max": str(self.max_score),
        }

    @classmethod
    def from_dict(cls, row: dict[str, Any]) -> Indicator:
        return cls(
            name=row["name"],
            weight=int(row["weight"]),
            max_score=Decimal(row["max"]),
            group=row.get("group", ""),
        )

    @property
    def header(self) -> str:
        """The column label of the assessor's template: the name and its maximum."""
        # Not translated: the workbook is a Chinese office form, read back by `key`.
        return f"{self.name}（{points(self.max_score)}分）"


def points(value: Decimal) -> str:
    """20.00 → 20, 7.50 → 7.5."""
    return format(value.normalize(), "f") if value == value.to_integral() else str(value)


def _number(text: str) -> Decimal | None:
    match = _NUMBER.match(text.translate(_FULL).strip())
    if match is None:
        return None
    try:
        return Decimal(match[1])
    except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
        return None


def parse_lines(text: str) -> tuple[list[Indicator], list[str]]:
    """The scheme as the office types or pastes it from a spreadsheet, one indicator a line:
    "组别｜指标｜权重｜满分" or "指标｜权重｜满分" (｜, |, tab, comma or semicolon between).
    Returns the indicators and the errors, each naming its line."""
    rows: list[Indicator] = []
    errors: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in _SEPARATORS.split(line.strip())]
        if len(parts) == 3:
            parts.insert(0, "")
        if len(parts) != 4:
            errors.append(
                _("第 %(n)d 行应为“组别｜指标｜权重｜满分”或“指标｜权重｜满分”") % {"n": number}
            )
            continue
        group, name, weight_text, max_text = parts
        weight, max_score = _number(weight_text), _number(max_text)
        if weight is None or weight != weight.to_integral():
            errors.append(_("第 %(n)d 行的权重须是整数") % {"n": number})
            continue
        if max_score is None:
            errors.append(_("第 %(n)d 行的满分须是数字（如 20 或 20分）") % {"n": number})
            continue
        rows.append(Indicator(name=name, weight=int(weight), max_score=max_score, group=group))
    return rows, errors


def check(indicators: Sequence[Indicator]) -> list[str]:
    """What is wrong with a scheme (empty: nothing). An empty scheme is allowed."""
    errors: list[str] = []
    if not indicators:
        return errors
    if len(indicators) > INDICATORS_MAX:
        errors.append(_("评估指标最多 %(n)d 项") % {"n": INDICATORS_MAX})
    seen: set[str] = set()
    for ind in indicators:
        if not ind.name:
            errors.append(_("评估指标须有名称"))
            continue
        if len(ind.name) > NAME_MAX or len(ind.group) > GROUP_MAX:
            errors.append(
                _("“%(i)s”：指标名称最多 %(n)d 个字，组别最多 %(g)d 个字")
                % {"i": ind.name, "n": NAME_MAX, "g": GROUP_MAX}
            )
        if key(ind.name) in seen:
            errors.append(_("评估指标“%(i)s”重复") % {"i": ind.name})
        seen.add(key(ind.name))
        if ind.weight <= 0:
            errors.append(_("“%(i)s”的权重须大于 0") % {"i": ind.name})
        if not Decimal(0) < ind.max_score <= Decimal(
            100
        ) or ind.max_score != ind.max_score.quantize(Decimal("0.1")):
            errors.append(_("“%(i)s”的满分须在 0 到 100 分之间（最多一位小数）") % {"i": ind.name})
    total = sum(ind.weight for ind in indicators)
    if total != 100:
        errors.append(_("各评估指标权重之和须为 100（现为 %(s)d）") % {"s": total})
    return errors


def load(rows: Iterable[dict[str, Any]]) -> list[Indicator]:
    return [Indicator.from_dict(r) for r in rows]


def key(label: str) -> str:
    """An indicator's name as compared: folded (full width, spaces, case), without the
    "（20分）" a header may carry."""
    folded = fold(label)
    stripped = _MAX_SUFFIX.sub("", folded)
    return stripped or folded


def find(indicators: Sequence[Indicator], label: str) -> Indicator | None:
    wanted = key(label)
    return next((ind for ind in indicators if key(ind.name) == wanted), None)


def over_max(ind: Indicator, score: Decimal) -> str | None:
    """The message when a score exceeds the indicator's maximum; None when it fits."""
    if score <= ind.max_score:
        return None
    return _("“%(i)s”满分 %(m)s 分，得分 %(s)s 超过满分") % {
        "i": ind.name,
        "m": points(ind.max_score),
        "s": points(score),
    }


def weighted_total(indicators: Sequence[Indicator], scores: dict[str, Decimal]) -> Decimal | None:
    """Σ weight × score / max over the scored indicators, ÷ their Σ weight, × 100 (0–100, two
    places); None when none of the scheme's indicators has a score."""
    parts = [(ind, scores[ind.name]) for ind in indicators if ind.name in scores]
    weight = sum(ind.weight for ind, _s in parts)
    if not weight:
        return None
    total = sum((Decimal(ind.weight) * s / ind.max_score for ind, s in parts), Decimal(0))
    total = total / weight * 100
    return total.quantize(Decimal("0.01"), ROUND_HALF_UP)


def as_lines(indicators: Sequence[Indicator]) -> str:
    """The scheme as the form's text (what `parse_lines` reads back)."""
    return "\n".join(
        "｜".join(
            [*([ind.group] if ind.group else []), ind.name, str(ind.weight), points(ind.max_score)]
        )
        for ind in indicators
    )


def groups(indicators: Sequence[Indicator]) -> list[tuple[str, list[Indicator]]]:
    """The indicators by group, in the scheme's order (a group may have no name)."""
    out: list[tuple[str, list[Indicator]]] = []
    for ind in indicators:
        if out and out[-1][0] == ind.group:
            out[-1][1].append(ind)
        else:
            out.append((ind.group, [ind]))
    return out


def context(rows: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """What `partials/scheme.html` prints: the scheme by group (nothing when there is none)."""
    indicators = load(rows)
    return {"scheme_groups": groups(indicators), "scheme_size": len(indicators)}

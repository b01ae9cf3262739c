"""The quarterly assessment for the performance system (绩效考核), in the office layout."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.utils import timezone

from qingfeng.lib.xlsx import Column
from qingfeng.lib.xlsx.writing import cell_value, chinese_date, new_workbook, office_sheet, save
from qingfeng.orgs.models import Unit
from qingfeng.reports import scoring
from qingfeng.reports.models import Assessment, ManualScore, Score

CATEGORY = dict(Unit.Category.choices)


def columns(indicators: list[dict[str, str]]) -> tuple[Column, ...]:
    """The workbook's columns for the scheme the assessment was scored with."""
    return (
        Column("unit", "单位", width=28),
        Column("category", "类别", width=10, center=True),
        *(
            Column(i["key"], i["label"], width=12, center=True, group="指标得分")
            for i in indicators
        ),
        Column("manual", "手工评分说明及佐证", width=36),
        Column("deduction", "扣分", width=8, center=True),
        Column("veto", "一票否决", width=18),
        Column("total", "得分", width=10, center=True),
        Column("rank", "类别内排名", width=10, center=True),
    )


def scores_workbook(
    assessment: Assessment,
    scores: Iterable[Score],
    manual: Mapping[int, Mapping[str, ManualScore]] | None = None,
) -> bytes:
    """One row per unit; a manual indicator's note and its evidence's file name beside the
    scores (the files stay in the system, where the score page links them)."""
    indicators = scoring.kept_indicators(assessment.scheme)
    labels = {i["key"]: i["label"] for i in indicators}
    manual = manual or {}
    workbook = new_workbook()
    ws = office_sheet(
        workbook,
        columns(indicators),
        name="季度考评",
        title=f"{assessment.issuer.name}{assessment.quarter}作风建设季度考评结果",
        left=f"考评机关：{assessment.issuer.name}",
        right=f"导出日期：{chinese_date(timezone.localdate())}",
        freeze="B5",
    )
    for score in scores:
        values = [
            score.unit.name,
            str(CATEGORY.get(score.category, score.category)),
            *(
                "" if score.values.get(i["key"]) is None else round(score.values[i["key"]], 2)
                for i in indicators
            ),
            "；".join(
                f"{labels.get(k, k)}：{m.note}（佐证：{m.original_name}）"
                for k, m in sorted(manual.get(score.pk, {}).items())
            ),
            float(score.deduction) or "",
            score.veto_reason,
            float(score.total),
            score.rank,
        ]
        ws.append([cell_value(ws, v) for v in values])
    ws.append([])
    ws.append([cell_value(ws, scoring.FORMULA)])
    for indicator in indicators:
        ws.append([cell_value(ws, f"{indicator['label']} = {indicator['formula']}")])
    return save(workbook)

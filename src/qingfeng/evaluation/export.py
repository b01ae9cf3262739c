"""The results as an office workbook (lib/xlsx), with the definition and weights printed
above the table, as on every result page. The discipline comment is never exported."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from qingfeng.evaluation import scheme
from qingfeng.evaluation.models import Round
from qingfeng.evaluation.selectors import UnitResult
from qingfeng.lib.xlsx import Column
from qingfeng.lib.xlsx.writing import cell_value, chinese_date, new_workbook, office_sheet, save


def definition_lines(round_: Round) -> list[str]:
    """How the numbers are made, in words: printed on every result page and export."""
    return [
        _("满意率 = %(d)s；“不了解”及存疑待核、已剔除的评价不计入基数。")
        % {"d": round_.get_rate_definition_display()},
        _(
            "95%% 置信区间按 Wilson 方法计算；有效样本少于 %(m)d 份为“样本不足”，不作结论；区间上限低于 %(t)d%% 为“确认低于%(t)d%%”，下限不低于 %(t)d%% 为“达标”，其余为“待定”。"
        )
        % {"m": round_.min_sample, "t": round_.threshold},
        _("回炉判定：%(r)s。") % {"r": round_.get_trigger_display()},
        _(
            "综合得分 = 满意率×%(a)d%% + 第三方评估×%(b)d%% + 纪委监察评鉴×%(c)d%%（缺项按其余权重折算；一票否决封顶 %(cap)d 分）。"
        )
        % {
            "a": round_.weight_satisfaction,
            "b": round_.weight_third_party,
            "c": round_.weight_discipline,
            "cap": round_.veto_cap,
        },
        _("纪委监察评鉴：优秀 95、良好 85、一般 70、较差 50。"),
        _(
            "第三方评估 = Σ（指标得分 ÷ 满分 × 权重）÷ 已评指标权重之和 × 100，按指标体系第 %(v)d 版（%(n)d 项指标，见指标体系表）。"
        )
        % {"v": round_.scheme_version, "n": len(round_.indicators)}
        if round_.indicators
        else _("第三方评估为各指标得分（0–100）的平均值（本轮未设指标体系）。"),
        _("问卷第 %(v)d 版；评议方式：%(m)s。")
        % {"v": round_.instrument_version, "m": round_.get_mode_display()},
    ]


COLUMNS = (
    Column("unit", "单位", width=28),
    Column("category", "类别", width=10, center=True),
    Column("base", "有效样本", width=10, center=True, group="群众满意度"),
    Column("rate", "满意率", width=10, center=True, group="群众满意度"),
    Column("interval", "95%置信区间", width=16, center=True, group="群众满意度"),
    Column("verdict", "结论", width=14, center=True, group="群众满意度"),
    Column("flagged", "存疑待核", width=10, center=True, group="评价数"),
    Column("excluded", "已剔除", width=10, center=True, group="评价数"),
    Column("unknown", "不了解", width=10, center=True, group="评价数"),
    Column("third_party", "第三方评估", width=12, center=True),
    Column("discipline", "纪委监察评鉴", width=12, center=True),
    Column("composite", "综合得分", width=10, center=True),
    Column("rank", "类别内排名", width=10, center=True),
)


def results_workbook(round_: Round, rows: Sequence[UnitResult]) -> bytes:
    workbook = new_workbook()
    ws = office_sheet(
        workbook,
        COLUMNS,
        name="评议结果",
        title=f"{round_.name}结果",
        left=f"组织单位：{round_.owner.name}",
        right=f"导出日期：{chinese_date(timezone.localdate())}",
        freeze="B5",
    )
    for row in rows:
        # Withheld (selectors.withhold): the served people's cells stay empty.
        served: list[Any] = (
            [""] * 7
            if row.withheld
            else [
                row.base,
                row.rate_text,
                row.interval_text,
                row.verdict_label,
                row.flagged,
                row.excluded,
                row.unknown,
            ]
        )
        values = [
            row.unit.name,
            row.unit.get_category_display(),
            *served,
            "" if row.third_party is None else round(row.third_party, 2),
            row.discipline + (_("（一票否决）") if row.veto else ""),
            "" if row.composite is None else float(row.composite),
            row.rank or "",
        ]
        ws.append([cell_value(ws, v) for v in values])
    ws.append([])
    if any(row.withheld for row in rows):
        ws.append([cell_value(ws, _("满意率等服务对象评议结果公布后可见"))])
    ws.append([cell_value(ws, _("口径说明"))])
    for line in definition_lines(round_):
        ws.append([cell_value(ws, line)])
    if round_.indicators:
        scheme_sheet(workbook, round_)
    return save(workbook)


SCHEME_COLUMNS = (
    Column("seq", "序号", width=6, center=True),
    Column("group", "指标组", width=16),
    Column("name", "评估指标", width=28),
    Column("weight", "权重", width=8, center=True),
    Column("max", "满分", width=8, center=True),
)


def scheme_sheet(workbook: Any, round_: Round) -> None:
    """The round's indicator scheme as its own sheet, in the office layout."""
    ws = office_sheet(
        workbook,
        SCHEME_COLUMNS,
        name="指标体系",
        title=_("%(r)s 第三方评估指标体系（第 %(v)d 版）")
        % {"r": round_.name, "v": round_.scheme_version},
        left=f"组织单位：{round_.owner.name}",
        right=_("权重合计 100"),
    )
    for i, ind in enumerate(scheme.load(round_.indicators), start=1):
        values = [i, ind.group, ind.name, ind.weight, float(ind.max_score)]
        ws.append([cell_value(ws, v) for v in values])

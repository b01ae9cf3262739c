"""整改报告: a round's rectification report, compiled from the ledger in the office layout
(GB/T 9704, lib/gbt9704) — the findings fed back, the ledger problems they became, each
one's status, deadline and closure, the self-checks fixed at once, and what is still open.

One report per unit when a unit is chosen (the unit reports to the organiser); otherwise
every unit the viewer may see, signed by the organiser. The caller passes the findings the
viewer may see (selectors.round_findings), so the report never shows more than the page.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.utils import timezone

from qingfeng.ledger.models import Problem
from qingfeng.lib.gbt9704 import Heading, OfficialDocument, Paragraph, Table
from qingfeng.lib.gbt9704.writer import chinese_date
from qingfeng.orgs.models import Unit
from qingfeng.oversight.models import Round, RoundFinding

NUMERALS = "一二三四五六七八九十"
DONE = {Problem.Status.CLOSED, Problem.Status.STAGE_COMPLETED}


def numeral(n: int) -> str:
    """1 → 一, 12 → 十二, 20 → 二十 (the （一） of a level-2 heading, up to 99)."""
    if n <= 10:
        return NUMERALS[n - 1]
    tens, ones = divmod(n, 10)
    head = "" if tens == 1 else NUMERALS[tens - 1]
    return head + "十" + (NUMERALS[ones - 1] if ones else "")


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


def _closed_on(problem: Problem | None) -> str:
    if problem is None or problem.closed_at is None:
        return ""
    return timezone.localdate(problem.closed_at).isoformat()


def _status(problem: Problem | None, today: date) -> str:
    if problem is None:
        return "待移交台账"
    label = str(problem.get_status_display())
    if problem.status not in DONE and problem.deadline and problem.deadline < today:
        return f"{label}（已逾期）"
    return label


def _finding_rows(findings: Sequence[RoundFinding], today: date) -> list[list[str]]:
    rows = []
    for i, f in enumerate(findings, start=1):
        p = f.problem
        rows.append(
            [
                str(i),
                f.text,
                p.number if p else "",
                f"{_status(p, today)} {p.progress}%" if p else _status(p, today),
                _day(p.deadline) if p else "",
                _closed_on(p),
            ]
        )
    return rows


def rectification_report(
    round_: Round, findings: Sequence[RoundFinding], *, unit: Unit | None
) -> OfficialDocument:
    """The report of `findings` (the round's, as the viewer may see them)."""
    today = timezone.localdate()
    by_unit: dict[int, list[RoundFinding]] = {}
    units: dict[int, Unit] = {}
    for f in findings:
        by_unit.setdefault(f.unit_id, []).append(f)
        units[f.unit_id] = f.unit
    fed_back = [f for f in findings if f.kind == RoundFinding.Kind.FINDING]
    self_checks = [f for f in findings if f.kind == RoundFinding.Kind.SELF_CHECK]
    done = [f for f in fed_back if f.problem and f.problem.status in DONE]
    late = [
        f
        for f in fed_back
        if f.problem
        and f.problem.status not in DONE
        and f.problem.deadline
        and f.problem.deadline < today
    ]
    author = unit.name if unit is not None else round_.owner.name
    period = f"{chinese_date(round_.starts_on)}至{chinese_date(round_.ends_on)}"
    named = "、".join(units[k].name for k in by_unit) or author
    handed = f"，{chinese_date(round_.handed_over_on)}移交" if round_.handed_over_on else ""
    body: list[Heading | Paragraph | Table] = [
        Paragraph(
            f"{period}，{round_.name}（{round_.number}{handed}）。根据巡察反馈意见，"
            f"{named}认真对照整改。现将反馈问题整改情况报告如下。"
        ),
        Heading(1, "一、总体情况"),
        Paragraph(
            f"巡察反馈问题{len(fed_back)}个，已完成整改（销号）{len(done)}个，"
            f"正在整改{len(fed_back) - len(done)}个，其中逾期{len(late)}个；"
            f"迎接巡察期间自查即知即改问题{len(self_checks)}个。"
            f"整改情况以整改台账为准，统计至{chinese_date(today)}。"
        ),
        Heading(1, "二、反馈问题整改情况"),
    ]
    if not fed_back:
        body.append(Paragraph("暂无巡察反馈问题。"))
    for n, (unit_id, rows) in enumerate(sorted(by_unit.items()), start=1):
        mine = [f for f in rows if f.kind == RoundFinding.Kind.FINDING]
        if not mine:
            continue
        if unit is None:
            body.append(Heading(2, f"（{numeral(n)}）{units[unit_id].name}"))
        body.append(
            Table(
                header=["序号", "反馈问题", "台账编号", "整改状态", "整改时限", "销号日期"],
                rows=_finding_rows(mine, today),
            )
        )
        for i, f in enumerate(mine, start=1):
            p = f.problem
            if p is None:
                continue
            body.append(
                Paragraph(
                    f"{i}. {f.text}（{f.get_audience_display() or '反馈'}）。"
                    f"整改责任人：{p.responsible_leader or '未指定'}；"
                    f"当前状态：{_status(p, today)}，整改进度{p.progress}%"
                    + (f"，{_closed_on(p)}销号。" if p.closed_at else "。")
                )
            )
    body.append(Heading(1, "三、即知即改情况"))
    if self_checks:
        body.append(
            Table(
                header=["序号", "单位", "自查问题", "即知即改情况", "台账编号"],
                rows=[
                    [str(i), f.unit.name, f.text, f.fix_note, f.problem.number if f.problem else ""]
                    for i, f in enumerate(self_checks, start=1)
                ],
            )
        )
    else:
        body.append(Paragraph("暂无自查即知即改问题。"))
    open_count = len(fed_back) - len(done)
    body += [
        Heading(1, "四、下一步工作"),
        Paragraph(
            f"对尚未完成整改的{open_count}个问题，继续按整改台账挂单督办、对账销号，"
            "逾期问题提级督办；已销号问题纳入“回头看”随机抽查，防止反弹回潮。"
            if open_count
            else "反馈问题已全部完成整改。下一步将巩固整改成果，建立长效机制，"
            "已销号问题纳入“回头看”随机抽查，防止反弹回潮。"
        ),
    ]
    return OfficialDocument(
        mark=f"{author}文件",
        number=f"{round_.number}号",
        title=f"关于{round_.name}反馈问题整改情况的报告",
        addressees=round_.owner.name if unit is not None else "各有关单位",
        body=body,
        signature=author,
        dated=today,
        printer=author,
        printed_on=today,
    )

"""Draw results, visit logs and findings as office workbooks (lib/xlsx). A sealed visit's
target is never in a workbook: the visit log has a unit only once the visit started."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from qingfeng.ledger.models import Problem
from qingfeng.lib import filetypes as ft
from qingfeng.lib.xlsx import Column
from qingfeng.lib.xlsx.writing import cell_value, chinese_date, new_workbook, office_sheet, save
from qingfeng.orgs.models import Unit, User
from qingfeng.oversight.models import CHECKLIST, Draw, Round, RoundFinding, Visit

DRAW_COLUMNS = (
    Column("order", "序号", width=6, center=True),
    Column("unit", "抽中单位", width=30),
    Column("code", "单位编码", width=12, center=True),
    Column("stratum", "分层", width=16, center=True),
    Column("weight", "风险权重", width=10, center=True),
    Column("inspectors", "抽中督导人员", width=30),
)
VISIT_COLUMNS = (
    Column("number", "督导编号", width=14, center=True),
    Column("group", "督导组", width=20),
    Column("unit", "督导对象", width=28),
    Column("status", "状态", width=10, center=True),
    Column("arrived", "到达时间", width=17, center=True),
    Column("left", "离开时间", width=17, center=True),
    Column("item", "检查项目", width=10, center=True),
    Column("finding", "发现问题", width=40),
    Column("fixed", "立行立改", width=10, center=True),
    Column("problem", "台账问题编号", width=22, center=True),
)


def response(data: bytes, filename: str) -> HttpResponse:
    result = HttpResponse(data, content_type=ft.XLSX.content_type)
    result["Content-Disposition"] = f'attachment; filename="{filename}"'
    return result


def draw_rows(draw: Draw) -> list[dict[str, Any]]:
    """The drawn targets with names, in pick order (what the draw page and workbook show): units,
    or for a round's 回头看 the problems drawn."""
    if not draw.result:
        return []
    targets = draw.result["targets"]
    ids = [t["unit"] for t in targets]
    if draw.purpose == Draw.Purpose.REVIEW:
        names = {p.pk: (p.title, p.number) for p in Problem.objects.filter(pk__in=ids)}
    else:
        names = {u.pk: (u.name, u.code) for u in Unit.objects.filter(pk__in=ids)}
    people = User.objects.select_related("person").in_bulk(
        [p for t in targets for p in t["inspectors"]]
    )
    weights = {u["id"]: u["weight"] for u in draw.pool["units"]}
    counties = {u.pk: u.name for u in Unit.objects.filter(kind=Unit.Kind.COUNTY)}
    rows = []
    for order, target in enumerate(targets, start=1):
        county, _sep, stage = target["stratum"].partition("|")
        label = str(_("不分层"))
        if target["stratum"] != "*":
            stage_label = Unit.Stage(stage).label if stage in Unit.Stage.values else stage
            place = counties.get(int(county), "—") if county.isdigit() else "—"
            label = f"{place} · {stage_label}"
        name, code = names.get(target["unit"], ("—", ""))
        rows.append(
            {
                "order": order,
                "name": name,
                "code": code,
                "stratum": label,
                "weight": weights.get(target["unit"], 1),
                "inspectors": [str(people[p]) for p in target["inspectors"]],
            }
        )
    return rows


def draw_workbook(draw: Draw) -> bytes:
    workbook = new_workbook()
    ws = office_sheet(
        workbook,
        DRAW_COLUMNS,
        name="抽取结果",
        title=f"{draw.name}抽取结果",
        left=f"编号：{draw.number}　承诺值：{draw.commitment[:16]}…",
        right=f"导出日期：{chinese_date(timezone.localdate())}",
        freeze="B5",
    )
    for row in draw_rows(draw):
        values = [
            row["order"],
            row["name"],
            row["code"],
            row["stratum"],
            row["weight"],
            "、".join(row["inspectors"]),
        ]
        ws.append([cell_value(ws, v) for v in values])
    return save(workbook)


def visits_workbook(visits: Iterable[Visit]) -> bytes:
    workbook = new_workbook()
    ws = office_sheet(
        workbook,
        VISIT_COLUMNS,
        name="督导记录",
        title=_("四不两直督导记录"),
        left="",
        right=f"导出日期：{chinese_date(timezone.localdate())}",
        freeze="B5",
    )

    def when(value: Any) -> str:
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""

    for visit in visits:
        head = [
            visit.number,
            visit.group.name,
            visit.unit.name if visit.unit else _("（密封）"),
            visit.get_status_display(),
            when(visit.started_at),
            when(visit.finished_at),
        ]
        findings = list(visit.findings.all()) if visit.unit else []
        if not findings:
            ws.append([cell_value(ws, v) for v in [*head, "", "", "", ""]])
        for finding in findings:
            tail = [
                str(CHECKLIST.get(finding.item, finding.item)),
                finding.text,
                _("是") if finding.fixed_on_spot else "",
                finding.problem.number if finding.problem else "",
            ]
            ws.append([cell_value(ws, v) for v in [*head, *tail]])
    return save(workbook)


ROUND_COLUMNS = (
    Column("unit", "单位", width=28),
    Column("kind", "类型", width=14, center=True),
    Column("audience", "反馈对象", width=16, center=True),
    Column("text", "问题", width=44),
    Column("fix", "即知即改情况", width=30),
    Column("problem", "台账问题编号", width=22, center=True),
    Column("status", "整改状态", width=12, center=True),
)


def round_findings_workbook(round_: Round, findings: Iterable[RoundFinding]) -> bytes:
    """A round's findings and self-checks as the viewer may see them."""
    workbook = new_workbook()
    ws = office_sheet(
        workbook,
        ROUND_COLUMNS,
        name="巡察问题",
        title=f"{round_.name}问题清单",
        left=f"编号：{round_.number}",
        right=f"导出日期：{chinese_date(timezone.localdate())}",
        freeze="B5",
    )
    for finding in findings:
        values = [
            finding.unit.name,
            finding.get_kind_display(),
            finding.get_audience_display() if finding.audience else "",
            finding.text,
            finding.fix_note,
            finding.problem.number if finding.problem else "",
            finding.problem.get_status_display() if finding.problem else "",
        ]
        ws.append([cell_value(ws, v) for v in values])
    return save(workbook)

"""Files offices file upward: the unit's study archive (学习档案) as a workbook in the office
layout (lib/xlsx), and a compiled 《警示录》 of selected cases as a .docx."""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from django.db.models import Count, Q
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from qingfeng.learning import selectors
from qingfeng.learning.models import Attendance, Case, Makeup, Session
from qingfeng.lib.xlsx import Column
from qingfeng.lib.xlsx.writing import cell_value, chinese_date, new_workbook, office_sheet, save
from qingfeng.orgs.models import Unit

A = Attendance.Status
COLUMNS = (
    Column("day", "日期", width=12, center=True),
    Column("type", "学习类型", width=16),
    Column("topic", "主题", width=30),
    Column("first_item", "第一议题", width=24),
    Column("chair", "主持人", width=10, center=True),
    Column("place", "地点", width=14),
    Column("expected", "应到", width=7, center=True, group="出勤（人）"),
    Column("present", "出席", width=7, center=True, group="出勤（人）"),
    Column("late", "迟到", width=7, center=True, group="出勤（人）"),
    Column("leave", "请假", width=7, center=True, group="出勤（人）"),
    Column("absent", "缺席", width=7, center=True, group="出勤（人）"),
    Column("absentees", "缺席、请假人员及原因", width=30),
    Column("makeups", "补课完成", width=10, center=True),
    Column("minutes", "内容和主要观点", width=40),
)
SHEET_COLUMNS = (
    Column("n", "序号", width=6, center=True),
    Column("name", "姓名", width=12, center=True),
    Column("post", "岗位类型", width=12, center=True),
    Column("status", "出勤", width=8, center=True),
    Column("at", "签到时间", width=10, center=True),
    Column("via", "签到方式", width=12, center=True),
    Column("reason", "请假、缺席原因", width=34),
    Column("makeup", "补课", width=10, center=True),
)
MINUTES_COLUMNS = (
    Column("item", "项目", width=16, center=True),
    Column("text", "内容", width=80),
)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def study_archive(unit: Unit, *, today: date) -> HttpResponse:
    since = selectors.default_since(today)
    sessions = list(
        Session.objects.filter(unit=unit, status=Session.Status.HELD, starts_at__date__gte=since)
        .select_related("type")
        .annotate(
            n_expected=Count("attendance"),
            n_present=Count("attendance", filter=Q(attendance__status=A.PRESENT)),
            n_late=Count("attendance", filter=Q(attendance__status=A.LATE)),
            n_leave=Count("attendance", filter=Q(attendance__status=A.LEAVE)),
            n_absent=Count("attendance", filter=Q(attendance__status=A.ABSENT)),
        )
        .order_by("starts_at")
    )
    missing: dict[int, list[str]] = defaultdict(list)
    done: dict[int, int] = defaultdict(int)
    for row in (
        Attendance.objects.filter(session__in=sessions, status__in=[A.LEAVE, A.ABSENT])
        .select_related("person", "makeup")
        .order_by("person_id")
    ):
        missing[row.session_id].append(f"{row.person.name}（{missed_reason(row)}）")
        makeup = getattr(row, "makeup", None)
        if makeup is not None and makeup.status == Makeup.Status.DONE:
            done[row.session_id] += 1
    workbook = new_workbook()
    ws = office_sheet(
        workbook,
        COLUMNS,
        name="学习档案",
        title=f"{unit.name}学习档案",
        left=f"时间：{chinese_date(since)}起",
        right=f"导出日期：{chinese_date(today)}",
        freeze="C5",
    )
    for s in sessions:
        values = [
            chinese_date(timezone.localdate(s.starts_at)),
            s.type.name,
            s.topic,
            s.first_item,
            s.chair,
            s.place,
            s.n_expected,
            s.n_present,
            s.n_late,
            s.n_leave,
            s.n_absent,
            "、".join(missing[s.pk]),
            f"{done[s.pk]}/{s.n_leave + s.n_absent}",
            s.minutes,
        ]
        ws.append([cell_value(ws, v) for v in values])
    response = HttpResponse(save(workbook), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="study-{unit.code}.xlsx"'
    return response


def missed_reason(row: Attendance) -> str:
    """请假：事由 / 缺席：原因, as the minutes and the sheets write an absentee's reason."""
    if row.status == A.LEAVE:
        return _("请假：%(r)s") % {"r": row.leave_reason or _("未填写事由")}
    return _("缺席：%(r)s") % {"r": row.absence_reason or _("未填写原因")}


def session_sheet(session: Session) -> HttpResponse:
    """One session's minutes (会议记录: time, place, chair, participants, absentees with their
    reasons, content and main points) and its attendance sheet (签到表), as offices file them."""
    rows = list(session.attendance.select_related("person", "makeup").order_by("person_id"))
    day = timezone.localtime(session.starts_at)
    workbook = new_workbook()
    counts = {s: sum(r.status == s for r in rows) for s in A.values}
    missed = [r for r in rows if r.status in (A.LEAVE, A.ABSENT)]
    attended = [r.person.name for r in rows if r.status in (A.PRESENT, A.LATE)]
    minutes = office_sheet(
        workbook,
        MINUTES_COLUMNS,
        name="会议记录",
        title=f"{session.unit.name}{session.type.name}记录",
        left=f"主题：{session.topic}",
        right=f"状态：{session.get_status_display()}",
    )
    for label, text in (
        ("时间", f"{chinese_date(day.date())} {day:%H:%M}"),
        ("地点", session.place),
        ("主持人", session.chair),
        ("第一议题", session.first_item),
        ("学习材料", session.materials),
        (
            "参加人员",
            f"应到 {len(rows)} 人，出席 {counts[A.PRESENT]} 人，迟到 {counts[A.LATE]} 人，"
            f"请假 {counts[A.LEAVE]} 人，缺席 {counts[A.ABSENT]} 人：" + "、".join(attended),
        ),
        (
            "缺席、请假人员及原因",
            "；".join(f"{r.person.name}（{missed_reason(r)}）" for r in missed),
        ),
        ("内容和主要观点", session.minutes),
    ):
        minutes.append([cell_value(minutes, label), cell_value(minutes, text)])
    sheet = office_sheet(
        workbook,
        SHEET_COLUMNS,
        name="签到表",
        title=f"{session.unit.name}{session.type.name}签到表",
        left=f"主题：{session.topic}",
        right=f"时间：{chinese_date(day.date())} {day:%H:%M}",
    )
    for n, r in enumerate(rows, start=1):
        makeup = getattr(r, "makeup", None)
        values = [
            n,
            r.person.name,
            r.person.get_post_type_display(),
            r.get_status_display(),
            timezone.localtime(r.marked_at).strftime("%H:%M") if r.marked_at else "",
            r.get_via_display() if r.via else "",
            missed_reason(r) if r.status in (A.LEAVE, A.ABSENT) else "",
            makeup.get_status_display() if makeup is not None else "",
        ]
        sheet.append([cell_value(sheet, v) for v in values])
    response = HttpResponse(save(workbook), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="session-{session.pk}.xlsx"'
    return response


def casebook(cases: Sequence[Case]) -> HttpResponse:
    """《警示录》: a title page line, then each case under its heading (黑体 headings, 仿宋 body,
    as official documents are set)."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt

    document = Document()
    normal = document.styles["Normal"]
    normal.font.name, normal.font.size = "仿宋_GB2312", Pt(16)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "仿宋_GB2312")

    def heading(text: str, size: int, *, center: bool = False) -> None:
        paragraph = document.add_paragraph()
        run = paragraph.add_run(text)
        run.font.size, run.font.bold, run.font.name = Pt(size), True, "黑体"
        run.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "黑体")
        if center:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER

    heading(_("教育系统作风建设警示录"), 22, center=True)
    document.add_paragraph(
        _("（共 %(n)d 个典型案例，%(d)s 编印）")
        % {"n": len(cases), "d": chinese_date(timezone.localdate())}
    ).alignment = WD_ALIGN_PARAGRAPH.CENTER
    for i, case in enumerate(cases, start=1):
        heading(f"{i}. {case.title}", 16)
        meta = f"{case.get_category_display()} · {case.get_level_display()}"
        if case.occurred_on:
            meta += f" · {case.occurred_on.year}年{case.occurred_on.month}月"
        document.add_paragraph(meta)
        for label, text in (
            (_("基本案情"), case.facts),
            (_("违反规定"), case.rules),
            (_("处理结果"), case.outcome),
            (_("警示意义"), case.lessons),
        ):
            if text:
                paragraph = document.add_paragraph()
                paragraph.add_run(f"{label}：").bold = True
                paragraph.add_run(text)
    buffer = io.BytesIO()
    document.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=DOCX)
    response["Content-Disposition"] = 'attachment; filename="casebook.docx"'
    return response

"""The staff queue as an Excel workbook (工单台账): what the viewer may see, filtered as on the
page, in urgency order. The reporter's identity is masked exactly as on the page — the
name, the phone, and wherever either was written into a title or content — whoever exports;
an intake role's audited reveal stays a page action. Each export is audited."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from qingfeng.core.audit import record_audit
from qingfeng.intake.actions.handling import masked_text
from qingfeng.intake.models import Ticket
from qingfeng.intake.permissions import inside_reported_unit
from qingfeng.lib.masking import mask_name, mask_phone
from qingfeng.lib.xlsx import Style, cell_value, new_workbook, save
from qingfeng.orgs.models import User

EXPORT_LIMIT = 50_000
CHUNK = 2000
LIGHT_FILLS = {"red": "F8D7DA", "yellow": "FFF3CD", "green": "D1E7DD"}


def _columns() -> list[tuple[str, int]]:
    """(header, width) in the order the office reads them."""
    return [
        (_("序号"), 6),
        (_("工单编号"), 18),
        (_("提交时间"), 17),
        (_("渠道"), 11),
        (_("类型"), 9),
        (_("类别"), 16),
        (_("反映对象单位"), 22),
        (_("承办单位"), 22),
        (_("标题"), 28),
        (_("反映内容"), 50),
        (_("反映人"), 10),
        (_("联系电话"), 14),
        (_("状态"), 10),
        (_("预警"), 7),
        (_("受理期限"), 11),
        (_("办结期限"), 11),
        (_("办结时间"), 17),
        (_("满意度"), 7),
        (_("发回重办"), 8),
    ]


def _local(moment: datetime | None) -> Any:
    return timezone.localtime(moment).replace(tzinfo=None) if moment else None


WRAP = Alignment(wrap_text=True, vertical="top")


def _cell(ws: Worksheet, value: Any, *, fill: str = "", wrap: bool = False) -> Any:
    """A cell as lib.xlsx writes them: a reporter's "=HYPERLINK(…)" stays text."""
    number_format = None
    if isinstance(value, datetime):
        number_format = "yyyy-mm-dd hh:mm"
    elif isinstance(value, date):
        number_format = "yyyy-mm-dd"
    return Style(
        fill=PatternFill("solid", fgColor=fill) if fill else None,
        alignment=WRAP if wrap else None,
        number_format=number_format,
    ).cell(ws, value)


def export_tickets(
    tickets: QuerySet[Ticket], *, title: str, actor: User, scope_label: str
) -> bytes:
    """The tickets (already scoped and filtered by the caller) as one sheet, audited."""
    light_words = {"red": _("红灯"), "yellow": _("黄灯"), "green": _("绿灯")}
    workbook = new_workbook()
    ws = workbook.create_sheet(_("工单台账"))
    columns = _columns()
    for index, (_header, width) in enumerate(columns):
        ws.column_dimensions[chr(ord("A") + index)].width = width
    ws.freeze_panes = "C3"
    heading = Style(font=Font(bold=True, size=14)).cell(ws, title)
    ws.append([heading, None, cell_value(ws, f"{scope_label} · {timezone.localdate():%Y-%m-%d}")])
    header = Style(font=Font(bold=True), fill=PatternFill("solid", fgColor="E9ECEF"))
    ws.append([header.cell(ws, name) for name, _width in columns])
    rows = tickets.select_related("category", "unit", "handling_unit").order_by(
        "urgency", "due_key", "id"
    )
    count = 0
    for t in rows.iterator(chunk_size=CHUNK):
        count += 1
        named = not t.anonymous
        # The unit reported on exports no trace of the reporter, not even a masked name.
        hidden = inside_reported_unit(actor, t)
        reporter_cell = (
            _("反映人信息已隐去") if hidden else mask_name(t.reporter_name) if named else _("匿名")
        )
        show_phone = named and not hidden and bool(t.reporter_phone)
        ws.append(
            [
                _cell(ws, count),
                _cell(ws, t.number),
                _cell(ws, _local(t.created_at)),
                _cell(ws, t.get_channel_display()),
                _cell(ws, t.get_kind_display()),
                _cell(ws, t.category.name),
                _cell(ws, t.unit.name if t.unit else ""),
                _cell(ws, t.handling_unit.name if t.handling_unit else ""),
                _cell(ws, masked_text(t, t.title, viewer=actor), wrap=True),
                _cell(ws, masked_text(t, t.content, viewer=actor), wrap=True),
                _cell(ws, reporter_cell),
                _cell(ws, mask_phone(t.reporter_phone) if show_phone else ""),
                _cell(ws, t.get_status_display()),
                _cell(ws, light_words.get(t.light, ""), fill=LIGHT_FILLS.get(t.light, "")),
                _cell(ws, t.accept_due),
                _cell(ws, t.reply_due),
                _cell(ws, _local(t.replied_at)),
                _cell(ws, t.rating),
                _cell(ws, t.redo_count or None),
            ]
        )
    record_audit(
        actor=actor,
        action="intake.ticket.export",
        object_repr=title[:200],
        after={"rows": count, "scope": scope_label},
    )
    return save(workbook)

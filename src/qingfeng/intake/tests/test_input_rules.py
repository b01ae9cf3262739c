"""The input rules (lib.inputs) at intake's boundaries: the public form, the hotline entry and
the API store control characters removed and text composed, refuse a NUL, a body nested past
reason and a number no database holds, each with a 4xx that says why in Chinese; and what was
stored exports."""

from __future__ import annotations

import io
import json
from typing import Any

import openpyxl
from django.core.cache import cache
from django.test import override_settings

from qingfeng.core.publicform import work
from qingfeng.intake.models import Ticket
from qingfeng.intake.publicform import captcha
from qingfeng.intake.tests import test_public_pages as pages
from qingfeng.intake.tests.handling_base import IntakeTestCase

HOSTILE_TITLE = '=HYPERLINK("http://x","王老师\x01收费\x0b")\u202egpj.exe'
HOSTILE_CONTENT = "我是孩子妈妈，\x1b[31m班主任\x07要求购买教辅\r\n每套三百元，Cafe\u0301"
IN_MEMORY = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


class PublicFormInputTestCase(pages.PublicBase):
    def test_control_characters_are_removed_and_the_text_composed(self) -> None:
        response = self.file_report(title=HOSTILE_TITLE[:90], content=HOSTILE_CONTENT)
        self.assertContains(response, 'data-testid="receipt-code"')
        ticket = Ticket.objects.get()
        self.assertEqual(ticket.title, '=HYPERLINK("http://x","王老师收费")gpj.exe')
        self.assertEqual(ticket.content, "我是孩子妈妈，[31m班主任要求购买教辅\n每套三百元，Café")

    def test_a_nul_is_refused_with_the_reason_and_nothing_stored(self) -> None:
        response = self.file_report(content="我是孩子妈妈，班主任要求购买教辅\x00每套三百元")
        self.assertContains(response, "空字符", status_code=400)
        self.assertFalse(Ticket.objects.exists())
        search = self.client.get("/report/units/", {"unit_q": "东城\x00"})
        self.assertContains(search, "空字符", status_code=400)


@override_settings(STORAGES=IN_MEMORY)
class ApiAndHotlineInputTestCase(IntakeTestCase):
    def setUp(self) -> None:
        cache.clear()

    def report(self, **overrides: Any) -> dict[str, Any]:
        return {
            "kind": "complaint",
            "category_id": self.category.pk,
            "unit_id": self.school.pk,
            "title": "强制购买教辅",
            "content": pages.CONTENT,
            "anonymous": True,
            **overrides,
        }

    def answered(self, data: dict[str, Any]) -> dict[str, Any]:
        question = self.client.get("/api/intake/captcha").json()
        answer = str(captcha.answer_for_tests(question["token"]))
        return {
            **data,
            "captcha_token": question["token"],
            "captcha_answer": answer,
            "work_solution": work.solve(question["work"]),
        }

    def post(self, body: str | bytes) -> Any:
        with self.captureOnCommitCallbacks(execute=True):
            return self.client.post("/api/intake/reports", body, content_type="application/json")

    def test_the_api_stores_text_cleaned(self) -> None:
        report = self.answered(self.report(title="食堂\x01收费\u202e", content=HOSTILE_CONTENT))
        response = self.post(json.dumps(report))
        self.assertEqual(response.status_code, 201, response.content)
        ticket = Ticket.objects.get()
        self.assertEqual(ticket.title, "食堂收费")
        self.assertIn("要求购买教辅\n每套三百元，Café", ticket.content)

    def test_the_api_refuses_what_no_rule_takes_with_a_chinese_reason(self) -> None:
        refusals: dict[str | bytes, str] = {
            json.dumps(self.report(content="班主任要求购买教辅\x00每套三百元")): "空字符",
            '{"title": ' + "[" * 50_000 + "]" * 50_000 + "}": "嵌套",
            json.dumps(self.report(category_id=10**30)): "范围",
            b'{"title": "\xff"}': "JSON",
            '{"title": "食堂': "JSON",
        }
        for body, reason in refusals.items():
            with self.subTest(body=body[:40]):
                response = self.post(body)
                self.assertEqual(response.status_code, 400, response.content)
                self.assertIn(reason, response.json()["detail"])
        self.assertFalse(Ticket.objects.exists())

    def test_a_multipart_report_is_cleaned_and_a_nul_refused_too(self) -> None:
        with self.captureOnCommitCallbacks(execute=True):
            refused = self.client.post(
                "/api/intake/reports", self.answered(self.report(title="食堂\x00收费"))
            )
        self.assertEqual(refused.status_code, 400)
        self.assertIn("空字符", refused.json()["detail"])
        with self.captureOnCommitCallbacks(execute=True):
            filed = self.client.post(
                "/api/intake/reports", self.answered(self.report(title="食堂\x01收费"))
            )
        self.assertEqual(filed.status_code, 201, filed.content)
        self.assertEqual(Ticket.objects.get().title, "食堂收费")

    def test_a_list_offset_no_database_takes_is_a_422(self) -> None:
        self.login(self.bureau_admin)
        response = self.client.get("/api/orgs/units", {"offset": 10**30})
        self.assertEqual(response.status_code, 422)
        self.assertIn("offset", response.json()["detail"])

    def test_the_hotline_entry_stores_text_cleaned(self) -> None:
        self.login(self.hotline)
        response = self.client.post(
            "/intake/hotline/",
            {
                "channel": Ticket.Channel.PHONE,
                "kind": Ticket.Kind.COMPLAINT,
                "category": str(self.category.pk),
                "unit": str(self.school2.pk),
                "title": "来电\x01反映\x0b收费",
                "content": HOSTILE_CONTENT,
                "reporter_name": "欧阳\x1b女士",
                "reporter_phone": "138\x0c0001\x7f2345",
            },
        )
        self.assertTemplateUsed(
            response,
            "intake/hotline_done.html",
            str(response.context["form"].errors)
            if response.context and "form" in response.context
            else "",
        )
        ticket = Ticket.objects.get()
        self.assertEqual(ticket.title, "来电反映收费")
        self.assertEqual(ticket.reporter_name, "欧阳女士")
        self.login(self.bureau_admin)

        # The staff export opens, the formula-like title is text, nothing invisible is left.
        export = self.client.get("/intake/export/")
        self.assertEqual(export.status_code, 200)
        sheet = openpyxl.load_workbook(io.BytesIO(export.content)).active
        assert sheet is not None
        values = [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
        self.assertIn("来电反映收费", values)

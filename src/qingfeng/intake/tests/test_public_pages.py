"""The public pages: file a report, keep the code, follow up, rate; privacy and limits."""

from __future__ import annotations

import html
import json
import logging
import re
from typing import Any

from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client, override_settings

from qingfeng.core.publicform import work
from qingfeng.intake import public_views
from qingfeng.intake.models import Ticket, TicketMessage
from qingfeng.intake.publicform import captcha
from qingfeng.intake.tests.test_submit_actions import PNG, SubmitBase

CONTENT = "班主任要求每位家长购买指定的教辅资料，每套三百元，不买就在班里点名批评。"


def field(response: Any, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', response.content.decode())
    assert match, f"no {name} in the page"
    return match.group(1)


def work_solution(response: Any) -> str:
    """Solve the page's proof of work, as its script does in the browser."""
    match = re.search(r'data-challenge="([^"]*)"', response.content.decode())
    assert match, "no proof of work in the page"
    return work.solve(json.loads(html.unescape(match.group(1))))


def receipt_code(response: Any) -> str:
    match = re.search(r'data-testid="receipt-code">(.*?)</div>', response.content.decode(), re.S)
    assert match, "no receipt code on the page"
    return re.sub(r"\D", "", match.group(1))


class PublicBase(SubmitBase):
    def setUp(self) -> None:
        cache.clear()

    def form_data(self, **overrides: Any) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": "complaint",
            "category": str(self.category.pk),
            "unit": str(self.school.pk),
            "title": "强制购买教辅",
            "content": CONTENT,
            "occurred": "2026年11月",
            "identity": "anonymous",
        }
        data.update(overrides)
        return data

    def file_report(self, client: Client | None = None, **overrides: Any) -> Any:
        """Open the form, answer the sum it shows and post it, as a browser would."""
        client = client or self.client
        extra = overrides.pop("extra", {})
        page = client.get("/report/new/", **extra)
        token = field(page, "captcha_token")
        data = self.form_data(
            captcha_token=token,
            captcha_answer=str(captcha.answer_for_tests(token)),
            work_solution=work_solution(page),
            idempotency_key=field(page, "idempotency_key"),
        )
        data.update(overrides)
        with self.captureOnCommitCallbacks(execute=True):
            return client.post("/report/new/", data, **extra)

    def track(self, code: str) -> Any:
        return self.client.post("/report/track/", {"op": "lookup", "code": code})


class ReportFlowTestCase(PublicBase):
    def test_the_landing_page_says_what_and_how(self) -> None:
        response = self.client.get("/report/")
        self.assertContains(response, "乱收费乱办班乱订资料")
        self.assertContains(response, "意见建议")
        self.assertContains(response, "1 个工作日内受理")
        self.assertContains(response, "15 个工作日内办结")
        self.assertContains(response, "匿名")
        self.assertNotContains(response, "style=")

    def test_an_anonymous_reporter_files_follows_up_and_rates(self) -> None:
        response = self.file_report()
        self.assertEqual(response.status_code, 200)  # the receipt is the answer, no redirect
        self.assertIn("no-store", response["Cache-Control"])
        code = receipt_code(response)
        self.assertGreaterEqual(len(code), 16)
        ticket = Ticket.objects.get()
        self.assertContains(response, ticket.number)
        self.assertContains(response, "只显示这一次")
        self.assertEqual((ticket.reporter_name, ticket.reporter_phone), ("", ""))

        page = self.track(" ".join(code[i : i + 4] for i in range(0, len(code), 4)))
        self.assertContains(page, ticket.number)
        self.assertContains(page, "提交反映")
        self.assertIn("no-store", page["Cache-Control"])
        self.assertNotContains(page, code)  # the page's forms carry a token, not the code
        token = field(page, "token")

        with self.captureOnCommitCallbacks(execute=True):
            page = self.client.post(
                "/report/track/",
                {
                    "op": "message",
                    "token": token,
                    "body": "补充：周一早上在班级群里通知的。",
                    "attachments": SimpleUploadedFile("群通知.png", PNG),
                },
            )
        self.assertContains(page, "留言已提交")
        self.assertContains(page, "群通知.png")

        self.reply(ticket)
        page = self.track(code)
        self.assertContains(page, "经核查，已责令学校退还资料费。")
        self.assertNotContains(page, "内部：")
        self.assertNotContains(page, "赵建国")  # no staff names
        self.assertNotContains(page, "bureau_admin")
        self.assertContains(page, 'data-testid="rating-form"')

        page = self.client.post(
            "/report/track/",
            {"op": "rate", "token": field(page, "token"), "rating": "2", "comment": ""},
        )
        self.assertContains(page, "请说明不满意的原因")
        with self.captureOnCommitCallbacks(execute=True):
            page = self.client.post(
                "/report/track/",
                {"op": "rate", "token": field(page, "token"), "rating": "2", "comment": "没退钱"},
            )
        self.assertContains(page, "感谢您的评价")
        self.assertContains(page, "发回重办")
        ticket.refresh_from_db()
        self.assertEqual((ticket.status, ticket.redo_count), (Ticket.Status.HANDLING, 1))

        self.reply(ticket, "已再次核查并退费。")
        page = self.track(code)
        with self.captureOnCommitCallbacks(execute=True):
            page = self.client.post(
                "/report/track/",
                {"op": "rate", "token": field(page, "token"), "rating": "1", "comment": "仍未退"},
            )
        self.assertContains(page, "提级办理")
        self.assertContains(page, "您的评价")
        self.assertContains(page, self.county.name)
        ticket.refresh_from_db()
        self.assertEqual(ticket.status, Ticket.Status.ASSIGNED)
        self.assertEqual(ticket.handling_unit, self.county)

    def test_a_named_report_is_encrypted(self) -> None:
        response = self.file_report(
            identity="named", reporter_name="王小明", reporter_phone="139 0000 1111"
        )
        self.assertContains(response, 'data-testid="receipt-code"')
        ticket = Ticket.objects.get()
        self.assertEqual((ticket.reporter_name, ticket.reporter_phone), ("王小明", "13900001111"))
        with connection.cursor() as cursor:
            cursor.execute("SELECT reporter_name, reporter_phone FROM intake_ticket")
            name, phone = cursor.fetchone()
        self.assertTrue(name.startswith("v1:") and phone.startswith("v1:"))
        self.assertNotIn("王小明", name)

    def test_only_the_hash_of_the_code_is_stored(self) -> None:
        code = receipt_code(self.file_report())
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM intake_ticket")
            row = " ".join(str(v) for v in cursor.fetchone())
        self.assertNotIn(code, row)
        self.assertNotIn(code, database_text())

    def test_a_preset_unit_is_chosen(self) -> None:
        response = self.client.get(f"/report/new/?unit={self.school.pk}")
        self.assertContains(response, self.school.name)
        self.assertContains(response, f'value="{self.school.pk}" checked')
        self.assertNotContains(self.client.get("/report/new/?unit=x"), 'name="unit"')

    def test_the_unit_search_finds_names_short_names_and_aliases(self) -> None:
        for q in ("实验小学", "东城实小", "东实小"):
            with self.subTest(q=q):
                response = self.client.get("/report/units/", {"unit_q": q})
                self.assertContains(response, self.school.name)
                self.assertNotContains(response, self.other_school.name)
        self.assertNotContains(
            self.client.get("/report/units/", {"unit_q": "没有这个学校"}), "radio"
        )
        self.other_school.is_active = False
        self.other_school.save(update_fields=["is_active"])
        response = self.client.get("/report/units/", {"unit_q": "西山县第一"})
        self.assertNotContains(response, "radio")

    def test_a_typed_unit_name_is_enough(self) -> None:
        response = self.file_report(unit="", unit_q="东城区实验小学")
        self.assertContains(response, 'data-testid="receipt-code"')
        self.assertEqual(Ticket.objects.get().unit, self.school)

    def test_an_idempotent_retry_makes_one_ticket(self) -> None:
        first = self.file_report(idempotency_key="web-retry-000001")
        second = self.file_report(idempotency_key="web-retry-000001")
        self.assertEqual(Ticket.objects.count(), 1)
        self.assertContains(first, 'data-testid="receipt-code"')
        self.assertContains(second, 'data-testid="already-filed"')
        self.assertNotContains(second, 'data-testid="receipt-code"')

    def test_a_used_key_with_another_report_tells_nothing_of_the_first(self) -> None:
        first = self.file_report(idempotency_key="web-retry-000002")
        number = Ticket.objects.get().number
        self.assertContains(first, 'data-testid="receipt-code"')
        # Someone else's key (or the back button, then an edit): another report.
        other = self.file_report(
            idempotency_key="web-retry-000002",
            title="食堂饭菜分量不足",
            content="我是孩子妈妈，食堂每份饭菜明显不足，孩子反映吃不饱。",
        )
        self.assertEqual(other.status_code, 409)
        self.assertNotContains(other, number, status_code=409)
        self.assertNotContains(other, 'data-testid="already-filed"', status_code=409)
        self.assertContains(other, "这份表单已提交过", status_code=409)
        self.assertEqual(Ticket.objects.count(), 1)
        # The form it gives back carries a fresh key: sent again, the new report is filed.
        fresh = field(other, "idempotency_key")
        self.assertNotEqual(fresh, "web-retry-000002")
        again = self.file_report(
            idempotency_key=fresh,
            title="食堂饭菜分量不足",
            content="我是孩子妈妈，食堂每份饭菜明显不足，孩子反映吃不饱。",
        )
        self.assertContains(again, 'data-testid="receipt-code"')
        self.assertEqual(Ticket.objects.count(), 2)

    def test_csrf_is_checked(self) -> None:
        client = Client(enforce_csrf_checks=True)
        response = client.post("/report/new/", self.form_data())
        self.assertEqual(response.status_code, 403)
        self.assertEqual(Ticket.objects.count(), 0)


class BadInputTestCase(PublicBase):
    def test_errors_store_nothing_and_issue_no_receipt(self) -> None:
        response = self.file_report(
            title="", content="短", identity="named", reporter_phone="1234", unit=""
        )
        self.assertEqual(response.status_code, 200)
        self.assertNotContains(response, 'data-testid="receipt-code"')
        for message in ("请填写标题", "至少 10 个字", "实名反映请填写姓名", "请选择所反映的单位"):
            self.assertContains(response, message)
        self.assertEqual(Ticket.objects.count(), 0)
        self.assertIn('name="captcha_token"', response.content.decode())  # a new question

    def test_a_wrong_sum_is_refused(self) -> None:
        page = self.client.get("/report/new/")
        token = field(page, "captcha_token")
        answer = captcha.answer_for_tests(token)
        response = self.client.post(
            "/report/new/",
            self.form_data(captcha_token=token, captcha_answer=str(answer + 1)),
        )
        self.assertContains(response, "验证答案不正确")
        # The right answer to a spent question is refused too.
        response = self.client.post(
            "/report/new/", self.form_data(captcha_token=token, captcha_answer=str(answer))
        )
        self.assertContains(response, "验证答案不正确")
        response = self.client.post("/report/new/", self.form_data())
        self.assertContains(response, "验证答案不正确")
        self.assertEqual(Ticket.objects.count(), 0)

    def test_a_wrong_sum_and_other_errors_are_reported_together(self) -> None:
        page = self.client.get("/report/new/")
        token = field(page, "captcha_token")
        answer = captcha.answer_for_tests(token) + 1
        response = self.client.post(
            "/report/new/",
            self.form_data(captcha_token=token, captcha_answer=str(answer), content="太短了"),
        )
        self.assertContains(response, "验证答案不正确")
        self.assertContains(response, "至少 10 个字")

    def test_without_the_proof_of_work_nothing_is_filed(self) -> None:
        page = self.client.get("/report/new/")
        token = field(page, "captcha_token")
        data = self.form_data(
            captcha_token=token, captcha_answer=str(captcha.answer_for_tests(token))
        )
        for solution in ("", "e30=", work_solution(self.client.get("/report/new/")) + "x"):
            with self.subTest(solution=solution):
                response = self.client.post("/report/new/", {**data, "work_solution": solution})
                self.assertContains(response, "安全校验未完成或已过期")
                self.assertContains(response, 'data-qf-work="pending"')  # a new challenge
        self.assertEqual(Ticket.objects.count(), 0)

    def test_the_work_grows_with_an_addresses_submissions(self) -> None:
        def maxnumber() -> int:
            page = self.client.get("/report/new/").content.decode()
            match = re.search(r'data-challenge="([^"]*)"', page)
            assert match
            return int(json.loads(html.unescape(match.group(1)))["maxnumber"])

        base = maxnumber()
        sizes = []
        for _i in range(5):
            self.assertContains(self.file_report(), 'data-testid="receipt-code"')
            sizes.append(maxnumber())
        # An address's first four of the hour at the base work, then doubling.
        self.assertEqual(sizes, [base, base, base, base * 2, base * 4])
        other = Client(REMOTE_ADDR="198.51.100.20")
        self.assertIn(f"&amp;max={base}&", other.get("/report/new/").content.decode())

    def test_with_the_sum_off_the_proof_of_work_stays(self) -> None:
        with override_settings(QF_INTAKE_SUM_CHECK=False):
            page = self.client.get("/report/new/")
            self.assertNotContains(page, "captcha_token")
            self.assertContains(page, 'data-qf-work="pending"')
            response = self.client.post("/report/new/", self.form_data())
            self.assertContains(response, "安全校验未完成或已过期")
            response = self.client.post(
                "/report/new/", self.form_data(work_solution=work_solution(page))
            )
        self.assertContains(response, 'data-testid="receipt-code"')

    def test_the_human_check_can_be_switched_off(self) -> None:
        with override_settings(QF_INTAKE_HUMAN_CHECK=False):
            self.assertNotContains(self.client.get("/report/new/"), "captcha_token")
            response = self.client.post("/report/new/", self.form_data())
        self.assertContains(response, 'data-testid="receipt-code"')

    def test_the_sum_is_drawn_not_written(self) -> None:
        token = captcha.new_token()
        response = self.client.get(f"/report/check/{token}.svg")
        self.assertEqual(response["Content-Type"], "image/svg+xml")
        svg = response.content.decode()
        self.assertIn("<polyline", svg)
        self.assertNotIn("<text", svg)
        self.assertNotIn(str(captcha.answer_for_tests(token)) + "<", svg)
        self.assertEqual(self.client.get("/report/check/forged.svg").status_code, 404)
        fresh = self.client.get("/report/check/new/")
        self.assertContains(fresh, 'name="captcha_token"')

    def test_a_file_whose_bytes_do_not_match_is_refused(self) -> None:
        response = self.file_report(
            attachments=SimpleUploadedFile("录音.mp3", b"%PDF-1.4 not audio")
        )
        self.assertContains(response, "内容与扩展名不符")
        self.assertEqual(Ticket.objects.count(), 0)

    def test_an_oversize_request_is_refused_before_its_body_is_read(self) -> None:
        response = self.client.post(
            "/report/new/", self.form_data(), CONTENT_LENGTH=str(60 * 1024 * 1024)
        )
        self.assertEqual(response.status_code, 413)
        self.assertContains(response, "10 MB", status_code=413)
        self.assertEqual(Ticket.objects.count(), 0)
        response = self.client.post(
            "/report/track/", {"op": "lookup"}, CONTENT_LENGTH=str(60 * 1024 * 1024)
        )
        self.assertEqual(response.status_code, 413)


def _without_tokens(html: str) -> str:
    return re.sub(r"[A-Za-z0-9]{64}", "", html)  # the masked CSRF token differs every time


class LookupTestCase(PublicBase):
    def test_a_wrong_code_and_a_missing_ticket_look_the_same(self) -> None:
        code = receipt_code(self.file_report())
        wrong = str((int(code) + 1) % 10**20).zfill(20)
        answers = [self.track(c) for c in (wrong, "1234", "abc", "9" * 20)]
        self.assertEqual({r.status_code for r in answers}, {200})
        bodies = {_without_tokens(r.content.decode()) for r in answers}
        self.assertEqual(len(bodies), 1)
        self.assertContains(answers[0], "回执码不正确，或没有对应的反映")

    @override_settings(QF_INTAKE_LOOKUP_FAILURES=3)
    def test_failed_lookups_are_limited_per_address(self) -> None:
        code = receipt_code(self.file_report())
        for _i in range(3):
            self.track("1" * 20)
        response = self.track(code)
        self.assertEqual(response.status_code, 429)
        self.assertNotContains(response, Ticket.objects.get().number, status_code=429)
        other = self.client.post(
            "/report/track/", {"op": "lookup", "code": code}, REMOTE_ADDR="198.51.100.9"
        )
        self.assertContains(other, Ticket.objects.get().number)

    def test_an_expired_or_forged_token_asks_for_the_code_again(self) -> None:
        response = self.client.post("/report/track/", {"op": "message", "token": "x", "body": "hi"})
        self.assertContains(response, "页面已过期")
        self.assertEqual(TicketMessage.objects.count(), 0)

    def test_a_closed_ticket_takes_no_more_messages(self) -> None:
        code = receipt_code(self.file_report())
        Ticket.objects.update(status=Ticket.Status.CLOSED)
        page = self.track(code)
        self.assertNotContains(page, 'data-testid="message-form"')
        token = public_views._token_for(Ticket.objects.get())
        response = self.client.post(
            "/report/track/", {"op": "message", "token": token, "body": "再补充"}
        )
        self.assertContains(response, "不能再补充留言")
        self.assertEqual(TicketMessage.objects.count(), 0)


class SubmitLimitTestCase(PublicBase):
    @override_settings(QF_INTAKE_SUBMITS_PER_HOUR=2, QF_INTAKE_HUMAN_CHECK=False)
    def test_submissions_are_limited_per_address(self) -> None:
        for _i in range(2):
            self.client.post("/report/new/", self.form_data())
        response = self.client.post("/report/new/", self.form_data())
        self.assertEqual(response.status_code, 429)
        self.assertEqual(Ticket.objects.count(), 2)
        other = self.client.post("/report/new/", self.form_data(), REMOTE_ADDR="198.51.100.9")
        self.assertContains(other, 'data-testid="receipt-code"')

    @override_settings(QF_INTAKE_SUBMITS_PER_HOUR=0, QF_INTAKE_HUMAN_CHECK=False)
    def test_a_limit_of_zero_is_no_limit(self) -> None:
        for _i in range(3):
            response = self.client.post("/report/new/", self.form_data())
            self.assertContains(response, 'data-testid="receipt-code"')
        self.assertEqual(Ticket.objects.count(), 3)


def database_text() -> str:
    """Every row of every table, as text."""
    chunks: list[str] = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                chunks.append(" ".join(str(v) for v in row))
    return "\n".join(chunks)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.getMessage()} {record.__dict__}")


class NoMetadataTestCase(PublicBase):
    ADDRESS = "203.0.113.77"
    AGENT = "QingfengProbe/9.9"

    def test_an_anonymous_submission_leaves_no_address_or_agent(self) -> None:
        handler = _Collect()
        root = logging.getLogger()
        old_level = root.level
        root.addHandler(handler)
        root.setLevel(logging.DEBUG)
        try:
            extra: dict[str, Any] = {"REMOTE_ADDR": self.ADDRESS, "HTTP_USER_AGENT": self.AGENT}
            response = self.file_report(extra=extra)
            code = receipt_code(response)
            page = self.client.post("/report/track/", {"op": "lookup", "code": code}, **extra)
            self.client.post(
                "/report/track/",
                {"op": "message", "token": field(page, "token"), "body": "补充一点情况。"},
                **extra,
            )
            self.client.post("/report/track/", {"op": "lookup", "code": "1" * 20}, **extra)
        finally:
            root.removeHandler(handler)
            root.setLevel(old_level)
        self.assertEqual(Ticket.objects.count(), 1)
        text = database_text()
        self.assertIn(Ticket.objects.get().number, text)  # the dump does see the tables
        for needle in (self.ADDRESS, self.AGENT):
            self.assertNotIn(needle, text)
            self.assertNotIn(needle, "\n".join(handler.lines))
        keys = " ".join(str(k) for k in getattr(cache, "_cache", {}))
        self.assertNotIn(self.ADDRESS, keys)

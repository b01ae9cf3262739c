"""/api/intake/: filing and following a report without an account, and the staff queue and
actions through the pages' selectors, policy and actions."""

from __future__ import annotations

import json
from typing import Any

from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import override_settings
from django.test.client import Client
from django.test.utils import CaptureQueriesContext

from qingfeng.core.models import AuditEvent
from qingfeng.core.publicform import work
from qingfeng.intake.actions import handling
from qingfeng.intake.models import Ticket, TicketAttachment, TicketMessage
from qingfeng.intake.publicform import captcha
from qingfeng.intake.tests.handling_base import REPORTER_NAME, REPORTER_PHONE, IntakeTestCase
from qingfeng.intake.tests.test_submit_actions import PNG
from qingfeng.orgs import actions
from qingfeng.orgs.models import User

BASE = "/api/intake"
S = Ticket.Status
CONTENT = "班主任要求每位家长购买指定的教辅资料，每套三百元，不买就在班里点名批评。"
IN_MEMORY = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


@override_settings(STORAGES=IN_MEMORY)
class IntakeApiTestCase(IntakeTestCase):
    def setUp(self) -> None:
        cache.clear()  # the rate-limit counters and spent human checks

    def report(self, **overrides: Any) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": "complaint",
            "category_id": self.category.pk,
            "unit_id": self.school.pk,
            "title": "强制购买教辅",
            "content": CONTENT,
            "occurred": "2026年11月",
            "anonymous": True,
        }
        data.update(overrides)
        return data

    def answered(self, data: dict[str, Any]) -> dict[str, Any]:
        """The report with a fresh human check answered, as a client app would send it."""
        question = self.client.get(f"{BASE}/captcha").json()
        self.assertTrue(question["required"])
        answer = str(captcha.answer_for_tests(question["token"]))
        return {
            **data,
            "captcha_token": question["token"],
            "captcha_answer": answer,
            "work_solution": work.solve(question["work"]),
        }

    def submit(
        self, data: dict[str, Any], *, key: str | None = None, client: Client | None = None
    ) -> Any:
        headers = {"Idempotency-Key": key} if key else {}
        with self.captureOnCommitCallbacks(execute=True):
            return (client or self.client).post(
                f"{BASE}/reports", data, content_type="application/json", headers=headers
            )

    def track(self, code: str, url: str = "/track", **extra: Any) -> Any:
        return self.client.post(
            BASE + url, {"code": code, **extra}, content_type="application/json"
        )

    def as_user(self, user: User) -> Client:
        return self.login(user, Client())

    def get(self, user: User, url: str) -> Any:
        return self.as_user(user).get(BASE + url)

    def post(self, user: User, url: str, data: dict[str, Any] | None = None) -> Any:
        with self.captureOnCommitCallbacks(execute=True):
            return self.as_user(user).post(BASE + url, data or {}, content_type="application/json")


class SchemaTestCase(IntakeApiTestCase):
    PUBLIC = (
        ("/categories", "get"),
        ("/units", "get"),
        ("/captcha", "get"),
        ("/reports", "post"),
        ("/track", "post"),
        ("/track/messages", "post"),
        ("/track/rating", "post"),
    )
    STAFF = (
        ("/tickets", "get"),
        ("/tickets/{ticket_id}", "get"),
        *(
            (f"/tickets/{{ticket_id}}/{action}", "post")
            for action in (
                "accept",
                "decline",
                "assign",
                "start",
                "return",
                "reply",
                "close",
                "merge",
                "notes",
            )
        ),
    )

    def test_every_endpoint_is_in_the_schema(self) -> None:
        paths = self.client.get("/api/openapi.json").json()["paths"]
        for path, method in self.PUBLIC + self.STAFF:
            with self.subTest(path=path, method=method):
                operation = paths[BASE + path][method]
                self.assertRegex(operation["summary"], r"[\u4e00-\u9fff]")
                self.assertEqual(bool(operation.get("security")), (path, method) in self.STAFF)
        submit = paths[f"{BASE}/reports"]["post"]
        self.assertEqual(
            set(submit["requestBody"]["content"]), {"application/json", "multipart/form-data"}
        )
        self.assertIn("Idempotency-Key", [p["name"] for p in submit["parameters"]])

    def test_staff_endpoints_need_authentication(self) -> None:
        self.assertEqual(self.client.get(f"{BASE}/tickets").status_code, 401)
        ticket = self.make_ticket()
        self.assertEqual(self.client.post(f"{BASE}/tickets/{ticket.pk}/accept").status_code, 401)

    @override_settings(QF_INTAKE_HUMAN_CHECK=False)
    def test_a_client_app_needs_no_cookie_or_csrf_token(self) -> None:
        app = Client(enforce_csrf_checks=True)
        filed = self.submit(self.report(), client=app)
        self.assertEqual(filed.status_code, 201, filed.content)
        code = filed.json()["receipt_code"]
        followed = app.post(f"{BASE}/track", {"code": code}, content_type="application/json")
        self.assertEqual(followed.status_code, 200)
        self.assertNotIn("sessionid", followed.cookies)

    def test_the_public_lists_for_the_form(self) -> None:
        categories = self.client.get(f"{BASE}/categories").json()
        self.assertIn("乱收费乱办班乱订资料", [c["name"] for c in categories])
        found = self.client.get(f"{BASE}/units", {"q": "实验小学"}).json()
        self.assertEqual(
            [(u["id"], u["parent_name"]) for u in found], [(self.school.pk, "东城区教育局")]
        )


class SubmitTestCase(IntakeApiTestCase):
    def test_it_files_a_report_and_gives_the_code_once(self) -> None:
        response = self.submit(self.answered(self.report()), key="3f1c-retry-key-0001")
        self.assertEqual(response.status_code, 201, response.content)
        self.assertEqual(response["Cache-Control"], "no-store")
        body = response.json()
        self.assertRegex(body["receipt_code"], r"^\d{20}$")
        self.assertFalse(body["replayed"])
        ticket = Ticket.objects.get()
        self.assertEqual((ticket.number, ticket.channel), (body["number"], Ticket.Channel.WEB))
        self.assertEqual((ticket.reporter_name, ticket.reporter_phone), ("", ""))
        # Nothing of the client is kept: no address on the audit row of a public action.
        audit = AuditEvent.objects.get(action="intake.ticket.submit")
        self.assertEqual((audit.actor_id, audit.source_ip), (None, ""))
        # The code follows the ticket.
        self.assertEqual(self.track(body["receipt_code"]).json()["number"], ticket.number)

    def test_a_retry_with_the_same_key_makes_one_ticket(self) -> None:
        data = self.report()
        first = self.submit(self.answered(data), key="3f1c-retry-key-0002")
        self.assertEqual(first.status_code, 201, first.content)
        # The client lost the answer and sends the same request again (its question is spent).
        again = self.submit(self.answered(data), key="3f1c-retry-key-0002")
        self.assertEqual(again.status_code, 200, again.content)
        self.assertEqual(again.json()["number"], first.json()["number"])
        self.assertIsNone(again.json()["receipt_code"])
        self.assertTrue(again.json()["replayed"])
        self.assertIn(first.json()["number"], again.json()["message"])
        self.assertEqual(Ticket.objects.count(), 1)
        # The same key for another report is refused, and still makes nothing.
        other = self.submit(self.answered(self.report(title="另一件事")), key="3f1c-retry-key-0002")
        self.assertEqual(other.status_code, 409)
        self.assertIn("幂等键已用于另一份反映", other.json()["detail"])
        self.assertNotIn(first.json()["number"], other.content.decode())
        self.assertEqual(Ticket.objects.count(), 1)

    def test_invalid_fields_are_422_in_chinese_and_nothing_is_stored(self) -> None:
        data = self.answered(
            self.report(
                category_id=999999,
                unit_id=None,
                content="太短",
                anonymous=False,
                reporter_name="",
                reporter_phone="12345",
            )
        )
        response = self.submit(data, key="bad key!")
        self.assertEqual(response.status_code, 422, response.content)
        errors = {e["field"]: e["message"] for e in response.json()["errors"]}
        self.assertEqual(
            errors,
            {
                "unit_id": "请选择所反映的单位",
                "category_id": "请选择反映类别",
                "content": "请具体写明反映的问题（至少 10 个字）",
                "reporter_name": "实名反映请填写姓名",
                "reporter_phone": "请填写正确的手机号码（11 位）或固定电话（区号-号码）",
                "idempotency_key": "幂等键格式不正确",
            },
        )
        self.assertTrue(response.json()["detail"].startswith("请求参数不正确："))
        self.assertFalse(Ticket.objects.exists())
        # A field the schema cannot parse is answered the same way, in Chinese.
        response = self.submit({k: v for k, v in self.report().items() if k != "title"})
        self.assertEqual(response.status_code, 422)
        self.assertEqual(response.json()["errors"][0]["message"], "title：必填")
        # The rules are checked before the human check, so the question is not spent.
        fixed = {**data, "category_id": self.category.pk, "unit_id": self.school.pk}
        fixed.update(content=CONTENT, anonymous=True)
        self.assertEqual(self.submit(fixed).status_code, 201)

    def test_a_wrong_answer_to_the_human_check_files_nothing(self) -> None:
        data = self.answered(self.report())
        data["captcha_answer"] = str(int(data["captcha_answer"]) + 1)
        response = self.submit(data)
        self.assertEqual(response.status_code, 422)
        self.assertEqual(response.json()["errors"][0]["field"], "captcha_answer")
        self.assertIn("验证答案不正确", response.json()["detail"])
        self.assertFalse(Ticket.objects.exists())
        without = self.submit(self.report())
        self.assertEqual(without.status_code, 422)
        self.assertFalse(Ticket.objects.exists())

    @override_settings(QF_INTAKE_HUMAN_CHECK=False)
    def test_without_the_human_check_no_question_is_needed(self) -> None:
        self.assertEqual(self.client.get(f"{BASE}/captcha").json()["required"], False)
        self.assertEqual(self.submit(self.report()).status_code, 201)

    @override_settings(QF_INTAKE_API_SUBMIT=False)
    def test_submission_through_the_api_can_be_switched_off(self) -> None:
        response = self.submit(self.answered(self.report()))
        self.assertEqual(response.status_code, 403)
        self.assertIn("网页表单", response.json()["detail"])
        self.assertFalse(Ticket.objects.exists())

    @override_settings(QF_INTAKE_SUBMITS_PER_HOUR=2, QF_INTAKE_HUMAN_CHECK=False)
    def test_submissions_from_one_network_are_limited(self) -> None:
        for title in ("第一件", "第二件"):
            self.assertEqual(self.submit(self.report(title=title)).status_code, 201)
        response = self.submit(self.report(title="第三件"))
        self.assertEqual(response.status_code, 429)
        self.assertIn("一小时后再试", response.json()["detail"])
        self.assertEqual(Ticket.objects.count(), 2)

    @override_settings(QF_INTAKE_HUMAN_CHECK=False)
    def test_attachments_come_as_multipart(self) -> None:
        data = self.report(anonymous="false", reporter_name="王芳", reporter_phone="13911112222")
        data["unit_id"] = str(self.school.pk)
        data["files"] = [SimpleUploadedFile("收费通知.png", PNG, content_type="image/png")]
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(f"{BASE}/reports", data)
        self.assertEqual(response.status_code, 201, response.content)
        ticket = Ticket.objects.get()
        self.assertFalse(ticket.anonymous)
        self.assertEqual(ticket.reporter_phone, "13911112222")
        self.assertEqual(
            list(ticket.attachments.values_list("original_name", flat=True)), ["收费通知.png"]
        )
        bad = {**data, "files": [SimpleUploadedFile("a.exe", b"MZ" + b"\x00" * 30)]}
        bad["title"] = "另一件"
        response = self.client.post(f"{BASE}/reports", bad)
        self.assertEqual(response.status_code, 422)
        self.assertEqual(response.json()["errors"][0]["field"], "files")
        self.assertEqual(Ticket.objects.count(), 1)

    @override_settings(QF_INTAKE_MAX_REQUEST_BYTES=1000, QF_INTAKE_HUMAN_CHECK=False)
    def test_an_oversize_request_is_refused_before_it_is_read(self) -> None:
        response = self.submit(self.report(content="很" * 800))
        self.assertEqual(response.status_code, 413)
        self.assertFalse(Ticket.objects.exists())


class TrackTestCase(IntakeApiTestCase):
    def filed(self, **overrides: Any) -> tuple[Ticket, str]:
        with override_settings(QF_INTAKE_HUMAN_CHECK=False):
            body = self.submit(self.report(**overrides)).json()
        return Ticket.objects.get(number=body["number"]), body["receipt_code"]

    def test_it_follows_a_ticket_without_staff_names_or_notes(self) -> None:
        ticket, code = self.filed()
        handling.do_accept(ticket, actor=self.bureau_admin)
        handling.check_add_note(ticket, actor=self.bureau_admin, body="内部：先核实收费依据")
        handling.check_assign(ticket, actor=self.bureau_admin, unit=self.school)
        handling.do_start(ticket, actor=self.school_admin)
        handling.check_reply(ticket, actor=self.school_admin, body="已责令退还费用。")
        response = self.track(" ".join(code[i : i + 4] for i in range(0, 20, 4)))
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(response["Cache-Control"], "no-store")
        body = response.json()
        self.assertEqual((body["status"], body["status_label"]), ("replied", "已办结"))
        self.assertTrue(body["can_rate"])
        self.assertEqual(
            [e["label"] for e in body["timeline"]],
            ["提交反映", "受理", "转办", "开始办理", "办结答复"],
        )
        self.assertEqual(body["timeline"][2]["unit"], self.school.name)
        self.assertEqual(
            [(m["author"], m["body"]) for m in body["messages"]], [("staff", "已责令退还费用。")]
        )
        text = response.content.decode()
        for hidden in ("赵建国", "孙立平", "先核实收费依据"):
            self.assertNotIn(hidden, text)

    def test_a_wrong_code_and_a_code_of_no_ticket_get_one_answer(self) -> None:
        self.filed()
        answers = [self.track(code) for code in ("1" * 20, "12345", "0000 0000 0000 0000 0000")]
        self.assertEqual({a.status_code for a in answers}, {404})
        self.assertEqual({a.content for a in answers}, {answers[0].content})
        self.assertEqual(answers[0].json()["detail"], "回执码不正确，或没有对应的反映")
        # No code at all is a malformed request, not a look-up.
        self.assertEqual(self.track("").status_code, 422)

    @override_settings(QF_INTAKE_LOOKUP_FAILURES=3)
    def test_failed_look_ups_are_limited(self) -> None:
        _ticket, code = self.filed()
        for _i in range(3):
            self.assertEqual(self.track("9" * 20).status_code, 404)
        limited = self.track(code)  # even the right code, for the rest of the window
        self.assertEqual(limited.status_code, 429)
        self.assertIn("查询失败次数过多", limited.json()["detail"])
        self.assertEqual(self.track(code, "/track/rating", rating=5).status_code, 429)
        cache.clear()
        self.assertEqual(self.track(code).status_code, 200)

    def test_the_reporter_adds_a_message_and_rates_the_reply(self) -> None:
        ticket, code = self.filed()
        early = self.track(code, "/track/rating", rating=5)
        self.assertEqual(early.status_code, 409)
        self.assertIn("不能执行", early.json()["detail"])
        added = self.track(code, "/track/messages", body="补充：收费没有开收据。")
        self.assertEqual(added.status_code, 200, added.content)
        self.assertEqual(added.json()["messages"][-1]["author"], "reporter")
        empty = self.track(code, "/track/messages", body="  ")
        self.assertEqual(empty.status_code, 422)
        self.assertEqual(empty.json()["errors"][0]["message"], "请填写留言内容或上传附件")
        handling.do_accept(ticket, actor=self.bureau_admin)
        handling.check_assign(ticket, actor=self.bureau_admin, unit=self.school)
        handling.check_reply(ticket, actor=self.bureau_admin, body="已退还。")
        no_reason = self.track(code, "/track/rating", rating=1)
        self.assertEqual(no_reason.status_code, 422)
        self.assertEqual(no_reason.json()["errors"][0]["field"], "comment")
        self.assertEqual(self.fresh(ticket).status, S.REPLIED)
        with self.captureOnCommitCallbacks(execute=True):
            rated = self.track(code, "/track/rating", rating=1, comment="钱没有退")
        self.assertEqual(rated.status_code, 200, rated.content)
        self.assertEqual(rated.json()["status"], "handling")  # sent back for redo
        self.assertEqual(self.fresh(ticket).rating, 1)

    def test_no_message_once_the_ticket_is_closed(self) -> None:
        ticket, code = self.filed()
        handling.check_decline(ticket, actor=self.bureau_admin, reason="不属于受理范围")
        response = self.track(code, "/track/messages", body="为什么不受理？")
        self.assertEqual(response.status_code, 400)
        self.assertIn("不能再补充留言", response.json()["detail"])
        self.assertFalse(TicketMessage.objects.exists())


class StaffTestCase(IntakeApiTestCase):
    def test_the_queue_is_scoped_filtered_and_paged(self) -> None:
        tickets = [self.make_ticket(title=f"第{i}件") for i in range(3)]
        other = self.make_ticket(unit=self.other_school, title="西山的事")
        handling.do_accept(tickets[0], actor=self.bureau_admin)
        numbers, cursor = [], ""
        while True:
            page = self.get(self.bureau_admin, f"/tickets?limit=2&cursor={cursor}").json()
            numbers += [t["number"] for t in page["items"]]
            if not page["next_cursor"]:
                break
            cursor = page["next_cursor"]
        self.assertCountEqual(numbers, [t.number for t in [*tickets, other]])
        accepted = self.get(self.bureau_admin, "/tickets?status=accepted").json()["items"]
        self.assertEqual([t["number"] for t in accepted], [tickets[0].number])
        in_county = self.get(self.bureau_admin, f"/tickets?unit={self.other_county.pk}").json()
        self.assertEqual([t["number"] for t in in_county["items"]], [other.number])
        # A school's admin sees nothing not assigned to the school; a teacher has no queue.
        self.assertEqual(self.get(self.school_admin, "/tickets").json()["items"], [])
        refused = self.get(self.teacher, "/tickets")
        self.assertEqual(
            (refused.status_code, refused.json()["detail"]), (403, "无权执行“查看工单”")
        )
        self.assertEqual(self.get(self.bureau_admin, "/tickets?cursor=x").status_code, 400)
        self.assertEqual(self.get(self.bureau_admin, "/tickets?status=nope").status_code, 422)

    def test_the_queue_and_a_ticket_cost_the_same_however_many_rows(self) -> None:
        def cost(url: str) -> int:
            client = self.as_user(self.bureau_admin)
            with CaptureQueriesContext(connection) as queries:
                self.assertEqual(client.get(BASE + url).status_code, 200)
            return len(queries)

        ticket = self.accepted()
        handling.check_add_note(ticket, actor=self.bureau_admin, body="第一条备注")
        small = (cost("/tickets"), cost(f"/tickets/{ticket.pk}"))
        for i in range(4):
            self.make_ticket(unit=self.school2 if i % 2 else self.other_school)
            handling.check_add_note(ticket, actor=self.bureau_admin, body=f"备注{i}")
        self.assertEqual((cost("/tickets"), cost(f"/tickets/{ticket.pk}")), small)

    def test_a_ticket_outside_the_scope_is_404(self) -> None:
        # A teacher of the school it is about, not its handler (another school's admin: the
        # URL-policy test, for every route with a ticket's id).
        ticket = self.assigned()
        response = self.get(self.teacher, f"/tickets/{ticket.pk}")
        self.assertEqual((response.status_code, response.json()["detail"]), (404, "工单不存在"))
        self.assertEqual(self.post(self.teacher, f"/tickets/{ticket.pk}/start").status_code, 404)
        self.assertEqual(self.get(self.bureau_admin, "/tickets/999999").status_code, 404)
        self.assertEqual(self.fresh(ticket).status, S.ASSIGNED)

    def test_the_life_cycle_through_the_api(self) -> None:
        ticket = self.make_ticket()
        url = f"/tickets/{ticket.pk}"
        # The school does not see a ticket before it is assigned to it.
        self.assertEqual(self.post(self.school_admin, f"{url}/accept").status_code, 404)
        accepted = self.post(self.bureau_admin, f"{url}/accept")
        self.assertEqual(accepted.status_code, 200, accepted.content)
        self.assertEqual(accepted.json()["status"], "accepted")
        self.assertIn("assign", accepted.json()["allowed_actions"])
        again = self.post(self.bureau_admin, f"{url}/accept")
        self.assertEqual(again.status_code, 409)
        self.assertEqual(again.json()["detail"], "工单当前状态为“已受理”，不能执行“受理”")
        refused = self.post(
            self.bureau_admin,
            f"{url}/assign",
            {"unit_id": self.school.pk, "handler_id": self.teacher.pk},
        )
        self.assertEqual(refused.status_code, 400)
        self.assertEqual(refused.json()["detail"], "被反映单位的人员不能作为本工单的承办人")
        assigned = self.post(
            self.bureau_admin, f"{url}/assign", {"unit_id": self.school.pk, "note": "三日内核实"}
        )
        self.assertEqual(assigned.json()["handling_unit_name"], self.school.name)
        # The school may handle, not decide on intake.
        self.assertEqual(
            self.post(self.school_admin, f"{url}/close", {"note": "x"}).status_code, 403
        )
        self.assertEqual(self.post(self.school_admin, f"{url}/start").json()["status"], "handling")
        self.assertEqual(
            self.post(self.school_admin, f"{url}/reply", {"body": " "}).status_code, 400
        )
        replied = self.post(self.school_admin, f"{url}/reply", {"body": "已退还全部费用。"})
        self.assertEqual(replied.json()["status"], "replied")
        noted = self.post(self.school_admin, f"{url}/notes", {"body": "已电话回访家长"})
        self.assertEqual(noted.json()["messages"][-1]["internal"], True)
        closed = self.post(self.bureau_admin, f"{url}/close", {"note": "反映人表示满意"})
        self.assertEqual(closed.json()["status"], "closed")
        self.assertEqual(
            [e["action"] for e in closed.json()["timeline"]],
            ["submit", "accept", "assign", "start", "reply", "close"],
        )

    def test_decline_merge_and_return(self) -> None:
        master = self.accepted()
        duplicate = self.make_ticket(title="同一件事")
        url = f"/tickets/{duplicate.pk}"
        no_reason = self.post(self.bureau_admin, f"{url}/decline", {"reason": ""})
        self.assertEqual(
            (no_reason.status_code, no_reason.json()["detail"]),
            (400, "不予受理须填写理由（将告知反映人）"),
        )
        missing = self.post(self.bureau_admin, f"{url}/merge", {"master_number": "ZT0"})
        self.assertEqual(
            (missing.status_code, missing.json()["detail"]), (400, "找不到编号为 ZT0 的工单")
        )
        merged = self.post(self.bureau_admin, f"{url}/merge", {"master_number": master.number})
        self.assertEqual(
            (merged.json()["status"], merged.json()["master_number"]), ("merged", master.number)
        )
        handling.check_assign(master, actor=self.bureau_admin, unit=self.school)
        returned = self.post(
            self.school_admin, f"/tickets/{master.pk}/return", {"reason": "不归本校管"}
        )
        self.assertEqual(returned.status_code, 204)  # no longer the school's to see
        self.assertEqual(self.fresh(master).status, S.ACCEPTED)

    def test_a_bearer_token_works(self) -> None:
        ticket = self.make_ticket()
        token = actions.do_create_api_token(self.bureau_admin, name="对接")
        headers = {"authorization": f"Bearer {token}"}
        listed = self.client.get(f"{BASE}/tickets", headers=headers)
        self.assertEqual([t["number"] for t in listed.json()["items"]], [ticket.number])
        response = self.client.post(f"{BASE}/tickets/{ticket.pk}/accept", headers=headers)
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(response.json()["timeline"][-1]["actor_name"], "赵建国")


class ReporterProtectionTestCase(IntakeApiTestCase):
    def test_the_reported_schools_admin_never_sees_the_reporter(self) -> None:
        # Named, with the name and phone also written into the text and a later message.
        ticket = self.make_ticket(title=f"{REPORTER_NAME}反映教辅收费")
        handling.check_add_note(ticket, actor=self.bureau_admin, body=f"来电人{REPORTER_NAME}")
        TicketMessage.objects.create(
            ticket=ticket,
            author_kind=TicketMessage.Author.REPORTER,
            body=f"我是{REPORTER_NAME}，有事请打{REPORTER_PHONE}",
        )
        handling.do_accept(ticket, actor=self.bureau_admin)
        handling.check_assign(ticket, actor=self.bureau_admin, unit=self.school)
        url = f"/tickets/{ticket.pk}"
        answers = [
            self.get(self.school_admin, "/tickets"),
            self.get(self.school_admin, url),
            self.post(self.school_admin, f"{url}/start"),
            self.post(self.school_admin, f"{url}/notes", {"body": "已核实"}),
            self.post(self.school_admin, f"{url}/reply", {"body": "已退还。"}),
        ]
        for response in answers:
            with self.subTest(url=response.request["PATH_INFO"]):
                self.assertEqual(response.status_code, 200, response.content)
                text = json.dumps(response.json(), ensure_ascii=False)
                self.assertIn(ticket.number, text)
                for secret in (REPORTER_NAME, "小明", REPORTER_PHONE, REPORTER_PHONE[3:7]):
                    self.assertNotIn(secret, text)
        detail = answers[1].json()
        # Not even masked: the unit reported on gets no field of the reporter at all.
        self.assertEqual((detail["reporter_name"], detail["reporter_phone"]), (None, None))
        self.assertNotIn("reveal", detail["allowed_actions"])
        # The bureau's intake office gets the same masked view: the reveal is a page action.
        bureau = json.dumps(self.get(self.bureau_admin, url).json(), ensure_ascii=False)
        self.assertNotIn(REPORTER_PHONE, bureau)
        self.assertNotIn(REPORTER_NAME, bureau)
        self.assertFalse(TicketAttachment.objects.exists())

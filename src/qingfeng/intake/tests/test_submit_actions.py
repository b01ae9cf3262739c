"""check_submit_ticket, check_add_reporter_message and check_rate, called directly."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from qingfeng.core.fields import blind_index
from qingfeng.core.models import AuditEvent, Job, Notification
from qingfeng.intake import actions, receipts, workflow
from qingfeng.intake.models import (
    Ticket,
    TicketAttachment,
    TicketCategory,
    TicketEvent,
    TicketMessage,
)
from qingfeng.orgs.models import Role, User
from qingfeng.test import BaseTestCase, make_user

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
CONTENT = "学校要求每个学生交三百元资料费，没有开收据。"


class SubmitBase(BaseTestCase):
    category: TicketCategory
    operator: User

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.category = TicketCategory.objects.get(name="乱收费乱办班乱订资料")
        cls.operator = make_user(
            "operator", unit=cls.bureau, role=Role.HOTLINE_OPERATOR, name="陈接线"
        )

    def submit(self, **overrides: object) -> tuple[Ticket, str]:
        fields: dict[str, object] = {
            "kind": Ticket.Kind.COMPLAINT,
            "category": self.category,
            "unit": self.school,
            "title": "乱收资料费",
            "content": CONTENT,
            "anonymous": True,
        }
        fields.update(overrides)
        with self.captureOnCommitCallbacks(execute=True):
            return actions.check_submit_ticket(**fields)  # type: ignore[arg-type]

    def reply(self, ticket: Ticket, text: str = "经核查，已责令学校退还资料费。") -> None:
        """What the staff side does, written directly: a reply message and the transition."""
        ticket.refresh_from_db()
        TicketMessage.objects.create(
            ticket=ticket,
            author_kind=TicketMessage.Author.STAFF,
            author=self.bureau_admin,
            body=text,
            is_reply=True,
        )
        TicketMessage.objects.create(
            ticket=ticket,
            author_kind=TicketMessage.Author.STAFF,
            author=self.bureau_admin,
            body="内部：校长是局长亲戚",
            internal=True,
        )
        for action in ("accept", "assign", "start", "reply"):
            if ticket.status not in {"received", "accepted", "assigned", "handling"}:
                break
            if action == "accept" and ticket.status != "received":
                continue
            if action == "assign" and ticket.status != "accepted":
                continue
            if action == "start" and ticket.status != "assigned":
                continue
            before = ticket.status
            ticket.status = workflow.target_of(ticket, action)
            if action == "assign" and ticket.handling_unit is None:
                ticket.handling_unit = self.school
            ticket.save()
            TicketEvent.objects.create(
                ticket=ticket,
                action=action,
                from_status=before,
                to_status=ticket.status,
                actor=self.bureau_admin,
            )


class SubmitTestCase(SubmitBase):
    def test_it_stores_an_anonymous_ticket_with_a_hashed_code(self) -> None:
        ticket, code = self.submit()
        self.assertGreaterEqual(len(code), 16)
        self.assertTrue(code.isdigit())
        self.assertEqual(ticket.status, Ticket.Status.RECEIVED)
        self.assertRegex(ticket.number, r"^ZT\d{8}-\d{5}$")
        self.assertEqual(ticket.receipt_hash, receipts.receipt_hash(code))
        self.assertEqual(receipts.find_by_code(code), ticket)
        self.assertEqual((ticket.reporter_name, ticket.reporter_phone), ("", ""))
        self.assertEqual(ticket.reporter_phone_index, "")
        self.assertIsNotNone(ticket.accept_due)
        assert ticket.accept_due is not None and ticket.reply_due is not None
        self.assertLessEqual(ticket.accept_due, ticket.reply_due)
        self.assertEqual(list(ticket.events.values_list("action", flat=True)), ["submit"])
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM intake_ticket WHERE id = %s", [ticket.pk])
            row = " ".join(str(v) for v in cursor.fetchone())
        self.assertNotIn(code, row)

    def test_a_submission_sends_a_pinned_number_of_statements(self) -> None:
        self.submit()  # the calendar cached, as on a running server
        with CaptureQueriesContext(connection) as queries:
            actions.check_submit_ticket(
                kind=Ticket.Kind.COMPLAINT,
                category=self.category,
                unit=self.school,
                title="乱收资料费",
                content=CONTENT,
                anonymous=True,
            )
        statements = [q["sql"] for q in queries.captured_queries]
        # The calendar's version is read once (deadlines and the light share it), before the
        # transaction; inside it (here a savepoint) only the number, the ticket, its event,
        # the audit row and the job.
        self.assertEqual(sum("core_calendarday" in sql for sql in statements), 1, statements)
        self.assertIn("core_calendarday", statements[0])
        self.assertIn("SAVEPOINT", statements[1])
        if connection.vendor == "sqlite":  # PostgreSQL adds its advisory locks
            self.assertEqual(len(statements), 9, statements)

    def test_the_next_number_follows_the_days_last_serial_whatever_follows_it(self) -> None:
        first, _code = self.submit()
        prefix = first.number[: -len("00001")]
        # A number carrying a suffix of its own (a copy's "-3") still counts by its serial.
        Ticket.objects.filter(pk=first.pk).update(number=f"{prefix}00109-3")
        second, _code = self.submit()
        self.assertEqual(second.number, f"{prefix}00110")
        third, _code = self.submit()
        self.assertEqual(third.number, f"{prefix}00111")

    def test_it_drops_name_and_phone_of_an_anonymous_ticket(self) -> None:
        ticket, _code = self.submit(reporter_name="张三", reporter_phone="13812345678")
        ticket.refresh_from_db()
        self.assertEqual((ticket.reporter_name, ticket.reporter_phone), ("", ""))

    def test_it_encrypts_a_named_reporter(self) -> None:
        ticket, _code = self.submit(
            anonymous=False, reporter_name="张三", reporter_phone="+86 138 1234 5678"
        )
        ticket.refresh_from_db()
        self.assertEqual(ticket.reporter_name, "张三")
        self.assertEqual(ticket.reporter_phone, "13812345678")
        self.assertEqual(ticket.reporter_phone_index, blind_index("13812345678"))
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reporter_name, reporter_phone FROM intake_ticket WHERE id = %s",
                [ticket.pk],
            )
            name, phone = cursor.fetchone()
        self.assertTrue(name.startswith("v1:"))
        self.assertTrue(phone.startswith("v1:"))
        self.assertNotIn("1381234", phone)

    def test_it_accepts_a_landline(self) -> None:
        ticket, _code = self.submit(
            anonymous=False, reporter_name="李四", reporter_phone="0551-62345678"
        )
        self.assertEqual(ticket.reporter_phone, "0551-62345678")

    def test_it_rejects_bad_input_and_stores_nothing(self) -> None:
        jobs = Job.objects.count()
        with self.assertRaises(ValidationError) as caught:
            self.submit(
                kind="rumour",
                title="",
                content="太短",
                anonymous=False,
                reporter_name="",
                reporter_phone="12345",
                files=[SimpleUploadedFile("a.exe", b"MZ")],
            )
        errors = caught.exception.message_dict
        for field in ("kind", "title", "content", "reporter_name", "reporter_phone", "files"):
            self.assertIn(field, errors)
        self.assertIn("请填写标题", errors["title"])
        self.assertEqual(Ticket.objects.count(), 0)
        self.assertEqual(Job.objects.count(), jobs)
        self.assertFalse(AuditEvent.objects.filter(action="intake.ticket.submit").exists())

    def test_it_checks_files_by_their_bytes(self) -> None:
        with self.assertRaises(ValidationError) as caught:
            self.submit(files=[SimpleUploadedFile("photo.jpg", PNG)])
        self.assertIn("内容与扩展名不符", caught.exception.message_dict["files"][0])
        big = SimpleUploadedFile("big.png", PNG + b"\x00" * (10 * 1024 * 1024))
        with self.assertRaises(ValidationError):
            self.submit(files=[big])
        with self.assertRaises(ValidationError):
            self.submit(files=[SimpleUploadedFile(f"p{i}.png", PNG) for i in range(6)])
        self.assertEqual(Ticket.objects.count(), 0)

    def test_it_stores_files_under_generated_names(self) -> None:
        files = [
            SimpleUploadedFile("收据 照片.png", PNG),
            SimpleUploadedFile("rec.m4a", b"\x00\x00\x00\x20ftypM4A " + b"\x00" * 40),
            SimpleUploadedFile("rec.amr", b"#!AMR\n" + b"\x00" * 40),
            SimpleUploadedFile("rec.wav", b"RIFF\x00\x00\x00\x00WAVEfmt " + b"\x00" * 40),
            SimpleUploadedFile("rec.mp3", b"ID3\x03" + b"\x00" * 40),
        ]
        ticket, _code = self.submit(files=files)
        stored = list(TicketAttachment.objects.filter(ticket=ticket).order_by("id"))
        self.assertEqual(len(stored), 5)
        self.assertEqual(stored[0].original_name, "收据 照片.png")
        self.assertEqual(stored[0].content_type, "image/png")
        self.assertNotIn("收据", stored[0].file.name)
        self.assertEqual(
            [a.content_type for a in stored[1:]],
            ["audio/mp4", "audio/amr", "audio/wav", "audio/mpeg"],
        )

    def test_an_idempotency_key_makes_one_ticket(self) -> None:
        first, code = self.submit(idempotency_key="retry-key-0001")
        again, second_code = self.submit(idempotency_key="retry-key-0001")
        self.assertEqual(first.pk, again.pk)
        self.assertTrue(code)
        self.assertEqual(second_code, "")
        self.assertEqual(Ticket.objects.count(), 1)

    def test_a_used_key_with_another_report_is_a_conflict(self) -> None:
        first, _code = self.submit(idempotency_key="retry-key-0002")
        for changed in (
            {"title": "另一件事"},
            {"content": CONTENT + "另有补充。"},
            {"kind": Ticket.Kind.REPORT},
            {"unit": self.other_school},
        ):
            with self.subTest(**{k: str(v) for k, v in changed.items()}):
                with self.assertRaises(actions.IdempotencyConflict) as caught:
                    self.submit(idempotency_key="retry-key-0002", **changed)
                self.assertEqual(caught.exception.ticket, first)
        # Spaces around the texts are not another report.
        again, code = self.submit(idempotency_key="retry-key-0002", title=" 乱收资料费 ")
        self.assertEqual((again, code), (first, ""))
        self.assertEqual(Ticket.objects.count(), 1)

    def test_the_human_check_comes_after_the_rules_and_not_on_a_retry(self) -> None:
        asked: list[str] = []

        def human_check() -> None:
            asked.append("asked")
            raise ValidationError({"captcha_answer": "wrong"})

        with self.assertRaises(ValidationError) as caught:
            self.submit(content="太短", human_check=human_check)
        self.assertNotIn("captcha_answer", caught.exception.message_dict)
        self.assertEqual(asked, [])
        with self.assertRaises(ValidationError) as caught:
            self.submit(human_check=human_check)
        self.assertEqual(list(caught.exception.message_dict), ["captcha_answer"])
        self.assertEqual((asked, Ticket.objects.count()), (["asked"], 0))
        first, _code = self.submit(idempotency_key="retry-key-0003")
        again, _code = self.submit(idempotency_key="retry-key-0003", human_check=human_check)
        self.assertEqual((again, asked), (first, ["asked"]))

    def test_the_callers_errors_come_first_and_with_the_rules(self) -> None:
        with self.assertRaises(ValidationError) as caught:
            self.submit(unit=None, category=None, input_errors={"unit": ["请选择所反映的单位"]})
        self.assertEqual(
            caught.exception.message_dict,
            {"unit": ["请选择所反映的单位"], "category": ["请选择反映类别"]},
        )
        self.assertEqual(list(caught.exception.message_dict), ["unit", "category"])

    def test_it_audits_without_an_address_and_notifies_intake_roles(self) -> None:
        ticket, _code = self.submit()
        event = AuditEvent.objects.get(action="intake.ticket.submit")
        self.assertEqual(event.source_ip, "")
        self.assertIsNone(event.actor)
        job = Job.objects.get(kind="intake.after_submit")
        self.assertEqual(job.status, Job.Status.DONE)
        recipients = set(
            Notification.objects.filter(title__contains=ticket.number).values_list(
                "recipient__username", flat=True
            )
        )
        self.assertEqual(recipients, {"bureau_admin", "operator"})
        note = Notification.objects.filter(title__contains=ticket.number).first()
        assert note is not None
        self.assertNotIn("资料费", note.title + note.body)
        # Running the job again notifies nobody twice.
        actions.after_submit({"ticket_id": ticket.pk})
        self.assertEqual(Notification.objects.filter(title__contains=ticket.number).count(), 2)

    def test_a_hotline_operator_enters_a_call(self) -> None:
        ticket, code = self.submit(
            channel=Ticket.Channel.PHONE,
            entered_by=self.operator,
            anonymous=False,
            reporter_name="王五",
            reporter_phone="13900001111",
        )
        self.assertTrue(code)
        self.assertEqual(ticket.entered_by, self.operator)
        self.assertEqual(ticket.events.get().actor, self.operator)
        self.assertEqual(AuditEvent.objects.get(action="intake.ticket.submit").actor, self.operator)


class FollowUpTestCase(SubmitBase):
    def test_the_reporter_adds_a_message_until_closed(self) -> None:
        ticket, _code = self.submit()
        message = actions.check_add_reporter_message(
            ticket, body="补充：收费时间是周一早上。", files=[SimpleUploadedFile("r.png", PNG)]
        )
        self.assertEqual(message.author_kind, TicketMessage.Author.REPORTER)
        self.assertEqual(message.attachments.count(), 1)
        with self.assertRaises(ValidationError):
            actions.check_add_reporter_message(ticket, body="   ")
        Ticket.objects.filter(pk=ticket.pk).update(status=Ticket.Status.CLOSED)
        with self.assertRaises(ValidationError):
            actions.check_add_reporter_message(ticket, body="还有一件事")

    def test_dissatisfied_twice_redoes_then_escalates(self) -> None:
        ticket, _code = self.submit()
        with self.assertRaises(ValidationError):  # nothing to rate before the reply
            actions.check_rate(ticket, rating=5, comment="")
        self.reply(ticket)
        with self.assertRaises(ValidationError) as caught:
            actions.check_rate(ticket, rating=1, comment="")
        self.assertIn("comment", caught.exception.message_dict)
        with self.assertRaises(ValidationError):
            actions.check_rate(ticket, rating=7, comment="好")
        with self.captureOnCommitCallbacks(execute=True):
            actions.check_rate(ticket, rating=2, comment="资料费没有退")
        ticket.refresh_from_db()
        self.assertEqual(ticket.status, Ticket.Status.HANDLING)
        self.assertEqual(ticket.redo_count, 1)
        self.assertEqual(ticket.rating, 2)
        self.assertEqual((ticket.light, ticket.due_key), ("green", ticket.reply_due))
        self.reply(ticket)
        with self.captureOnCommitCallbacks(execute=True):
            actions.check_rate(ticket, rating=1, comment="还是没退")
        ticket.refresh_from_db()
        self.assertEqual(ticket.status, Ticket.Status.ASSIGNED)
        self.assertEqual(ticket.handling_unit, self.county)
        actions_done = list(ticket.events.values_list("action", flat=True))
        self.assertEqual(actions_done[-1], "escalate")
        self.assertIn("redo", actions_done)
        self.assertTrue(AuditEvent.objects.filter(action="intake.ticket.escalate").exists())
        self.assertTrue(Notification.objects.filter(title__contains="提级").exists())

    def test_satisfied_closes(self) -> None:
        ticket, _code = self.submit()
        self.reply(ticket)
        actions.check_rate(ticket, rating=4, comment="")
        ticket.refresh_from_db()
        self.assertEqual(ticket.status, Ticket.Status.CLOSED)
        self.assertEqual(ticket.light, "")
        self.assertEqual(ticket.events.last().action, "close")  # type: ignore[union-attr]

    def test_recipients_are_above_the_reported_unit(self) -> None:
        county_office = make_user(
            "county_office", unit=self.county, role=Role.CAMPAIGN_OFFICE, name="刘专项"
        )
        names = {u.username for u in actions.intake_recipients(self.school)}
        self.assertEqual(names, {"bureau_admin", "operator", county_office.username})
        # A report about the county bureau itself does not go to the county's own office.
        names = {u.username for u in actions.intake_recipients(self.county)}
        self.assertEqual(names, {"bureau_admin", "operator"})
        self.assertEqual(
            {u.username for u in actions.intake_recipients(None)}, {"bureau_admin", "operator"}
        )

"""SMS and e-mail after commit: nothing for a rolled-back change, once per message, retried
with back-off while the gateway fails, and nothing of a report beyond its number."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, ClassVar

import time_machine
from django.core import mail
from django.db import transaction
from django.test import SimpleTestCase, override_settings
from django.utils import timezone

from qingfeng.core import jobs
from qingfeng.core.actions import notify
from qingfeng.core.models import Job, Notification, NotificationDelivery
from qingfeng.core.notify import DELIVER, LocmemBackend, deliver, queue_message
from qingfeng.core.tests.test_settings import settings_in_subprocess
from qingfeng.intake.actions import handling
from qingfeng.intake.models import Ticket
from qingfeng.intake.tests.handling_base import REPORTER_PHONE, IntakeTestCase, submit_ticket

D = NotificationDelivery.Status
SMS_ON = {"QF_NOTIFY_CHANNELS": ["sms"], "QF_SMS_BACKEND": "locmem"}
SCHOOL_ADMIN_PHONE = "13800001234"


class Gateway(BaseHTTPRequestHandler):
    """An SMS gateway on a local port: answers each POST with the next status in `answers`
    (then 200) and keeps what it was sent."""

    answers: ClassVar[list[int]] = []
    received: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Gateway.received.append(
            {"json": json.loads(body), "auth": self.headers.get("Authorization", "")}
        )
        status = Gateway.answers.pop(0) if Gateway.answers else 200
        self.send_response(status)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: Any) -> None:
        pass


class NotifyTestCase(IntakeTestCase):
    def setUp(self) -> None:
        LocmemBackend.outbox.clear()

    def sms_to(self, phone: str) -> list[str]:
        return [m.text for m in LocmemBackend.outbox if m.address == phone]


class DeliveryTestCase(NotifyTestCase):
    def test_in_app_only_by_default(self) -> None:
        with self.captureOnCommitCallbacks(execute=True):
            notify(recipient=self.school_admin, title="新交办问题：WT-1")
        self.assertEqual(Notification.objects.filter(recipient=self.school_admin).count(), 1)
        self.assertFalse(NotificationDelivery.objects.exists())
        self.assertFalse(Job.objects.filter(kind=DELIVER).exists())

    @override_settings(**SMS_ON)
    def test_nothing_is_sent_for_a_rolled_back_change(self) -> None:
        with self.captureOnCommitCallbacks(execute=True):
            try:
                with transaction.atomic():
                    notify(recipient=self.school_admin, title="新交办问题：WT-2")
                    raise RuntimeError("the action failed after notifying")
            except RuntimeError:
                pass
        self.assertEqual(LocmemBackend.outbox, [])
        self.assertFalse(NotificationDelivery.objects.exists())
        self.assertFalse(Job.objects.filter(kind=DELIVER).exists())

    @override_settings(**SMS_ON)
    def test_it_is_sent_after_commit_by_the_job_and_once(self) -> None:
        with self.captureOnCommitCallbacks(execute=True):
            notify(recipient=self.school_admin, title="新交办问题：WT-3")
            self.assertEqual(LocmemBackend.outbox, [])  # not before commit
        self.assertEqual(self.sms_to(SCHOOL_ADMIN_PHONE), ["新交办问题：WT-3"])
        delivery = NotificationDelivery.objects.get()
        self.assertEqual((delivery.status, delivery.attempts, delivery.channel), (D.SENT, 1, "sms"))
        self.assertIsNotNone(delivery.sent_at)
        self.assertEqual(delivery.address, "")  # not kept once sent
        job = Job.objects.get(kind=DELIVER)
        self.assertEqual(job.status, Job.Status.DONE)
        # Run again (a worker re-running it, the sweeper): still one message.
        Job.objects.filter(pk=job.pk).update(status=Job.Status.PENDING)
        self.assertTrue(jobs.run_job(job.pk))
        deliver({"delivery_id": delivery.pk, "attempt": 0})
        self.assertEqual(len(LocmemBackend.outbox), 1)

    @override_settings(QF_NOTIFY_CHANNELS=["sms", "email"], QF_SMS_BACKEND="locmem")
    def test_email_and_sms_go_to_the_accounts_addresses(self) -> None:
        self.county_admin.email = "county@example.org"
        self.county_admin.save(update_fields=["email"])
        with self.captureOnCommitCallbacks(execute=True):
            notify(recipient=self.county_admin, title="工单 ZT1 被承办单位退回")  # no phone
            notify(recipient=self.school_admin, title="工单 ZT2 收到反映人补充留言")  # no e-mail
        self.assertEqual([m.to for m in mail.outbox], [["county@example.org"]])
        self.assertEqual(mail.outbox[0].subject, "工单 ZT1 被承办单位退回")
        self.assertEqual(self.sms_to(SCHOOL_ADMIN_PHONE), ["工单 ZT2 收到反映人补充留言"])
        self.assertEqual(len(LocmemBackend.outbox), 1)
        self.assertEqual(NotificationDelivery.objects.filter(status=D.SENT).count(), 2)

    @override_settings(**SMS_ON)
    def test_the_same_key_is_one_message_and_landlines_get_none(self) -> None:
        with self.captureOnCommitCallbacks(execute=True):
            first = queue_message(channel="sms", address="138 0000 9999", text="a", key="k1")
            again = queue_message(channel="sms", address="13800009999", text="b", key="k1")
            landline = queue_message(channel="sms", address="010-12345678", text="c", key="k2")
            mail_off = queue_message(channel="email", address="x@example.org", text="d", key="k3")
        self.assertIsNotNone(first)
        self.assertEqual(again, first)
        self.assertIsNone(landline)
        self.assertIsNone(mail_off)  # e-mail is not switched on
        self.assertEqual(
            [(m.address, m.text) for m in LocmemBackend.outbox], [("13800009999", "a")]
        )


class ReporterSmsTestCase(NotifyTestCase):
    @override_settings(**SMS_ON)
    def test_a_named_reporter_gets_the_number_and_nothing_else(self) -> None:
        ticket, code = submit_ticket(
            kind=Ticket.Kind.COMPLAINT,
            category=self.category,
            unit=self.school,
            title="老师要求购买指定教辅",
            content="三年级周小燕老师要求每人购买120元教辅资料。",
            anonymous=False,
            reporter_name="张小明",
            reporter_phone=REPORTER_PHONE,
        )
        with self.captureOnCommitCallbacks(execute=True):
            handling.do_accept(ticket, actor=self.bureau_admin)
            handling.check_assign(ticket, actor=self.bureau_admin, unit=self.school)
            handling.do_start(ticket, actor=self.school_admin)
        self.assertEqual(self.sms_to(REPORTER_PHONE), [])  # nothing before the answer
        with self.captureOnCommitCallbacks(execute=True):
            handling.check_reply(ticket, actor=self.school_admin, body="已责令退还费用。")
        (text,) = self.sms_to(REPORTER_PHONE)
        self.assertEqual(text, f"您反映的事项（编号 {ticket.number}）已有答复，请凭回执码查询。")
        for secret in ("教辅", "周小燕", "张小明", self.school.name, "实验小学", code, code[:8]):
            self.assertNotIn(secret, text)
        # The staff got theirs too, carrying the number only.
        self.assertTrue(self.sms_to(SCHOOL_ADMIN_PHONE))
        for staff_text in self.sms_to(SCHOOL_ADMIN_PHONE):
            self.assertIn(ticket.number, staff_text)
            self.assertNotIn("教辅", staff_text)

    @override_settings(**SMS_ON)
    def test_an_anonymous_reporter_gets_nothing(self) -> None:
        with self.captureOnCommitCallbacks(execute=True):
            ticket = self.replied(anonymous=True, reporter_name="", reporter_phone="")
        self.assertEqual(self.fresh(ticket).status, Ticket.Status.REPLIED)
        self.assertEqual([m for m in LocmemBackend.outbox if "已有答复" in m.text], [])


class GatewayTestCase(NotifyTestCase):
    server: ClassVar[HTTPServer]

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.server = HTTPServer(("127.0.0.1", 0), Gateway)
        threading.Thread(target=cls.server.serve_forever, daemon=True).start()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.server.shutdown()
        cls.server.server_close()
        super().tearDownClass()

    def setUp(self) -> None:
        super().setUp()
        Gateway.answers.clear()
        Gateway.received.clear()
        port = self.server.server_address[1]
        self.enterContext(
            override_settings(
                QF_NOTIFY_CHANNELS=["sms"],
                QF_SMS_BACKEND="http",
                QF_SMS_GATEWAY_URL=f"http://127.0.0.1:{port}/send",
                QF_SMS_GATEWAY_TOKEN="gateway-token",
                QF_SMS_GATEWAY_TIMEOUT=5,
            )
        )

    def test_a_failing_gateway_is_retried_with_back_off_without_duplicates(self) -> None:
        Gateway.answers[:] = [503]
        start = timezone.now()
        with self.captureOnCommitCallbacks(execute=True):
            notify(recipient=self.school_admin, title="新交办问题：WT-9")
        delivery = NotificationDelivery.objects.get()
        self.assertEqual((delivery.status, delivery.attempts), (D.PENDING, 1))
        self.assertIn("503", delivery.last_error)
        retry = Job.objects.get(kind=DELIVER, status=Job.Status.PENDING)
        self.assertGreaterEqual(retry.not_before, start + timedelta(minutes=2))
        # Not yet due; and the first attempt's job run again does not send.
        self.assertEqual(jobs.sweep_jobs(), 0)
        deliver({"delivery_id": delivery.pk, "attempt": 0})
        self.assertEqual(len(Gateway.received), 1)
        with time_machine.travel(start + timedelta(minutes=3)):
            self.assertEqual(jobs.sweep_jobs(), 1)
            self.assertEqual(jobs.sweep_jobs(), 0)
        delivery.refresh_from_db()
        self.assertEqual((delivery.status, delivery.attempts, delivery.last_error), (D.SENT, 2, ""))
        self.assertEqual(len(Gateway.received), 2)
        sent = Gateway.received[-1]
        self.assertEqual(sent["auth"], "Bearer gateway-token")
        self.assertEqual(
            sent["json"],
            {"to": SCHOOL_ADMIN_PHONE, "text": "新交办问题：WT-9", "id": f"qf-{delivery.pk}"},
        )

    def test_it_gives_up_after_the_last_attempt(self) -> None:
        Gateway.answers[:] = [500] * jobs.MAX_ATTEMPTS
        start = timezone.now()
        with self.captureOnCommitCallbacks(execute=True):
            notify(recipient=self.school_admin, title="新交办问题：WT-10")
        for minutes in (3, 8, 17, 40):
            with time_machine.travel(start + timedelta(minutes=minutes)):
                jobs.sweep_jobs()
        delivery = NotificationDelivery.objects.get()
        self.assertEqual((delivery.status, delivery.attempts), (D.FAILED, jobs.MAX_ATTEMPTS))
        self.assertIn("500", delivery.last_error)
        self.assertEqual(delivery.address, "")
        self.assertEqual(len(Gateway.received), jobs.MAX_ATTEMPTS)
        self.assertFalse(Job.objects.filter(kind=DELIVER, status=Job.Status.PENDING).exists())


class NotifySettingsTestCase(SimpleTestCase):
    def test_unknown_channels_and_a_gateway_without_url_are_refused(self) -> None:
        base = {"QF_TESTING": "1"}
        fax = settings_in_subprocess({**base, "QF_NOTIFY_CHANNELS": "sms,fax"}, "1")
        self.assertIn("QF_NOTIFY_CHANNELS may name sms and email", str(fax))
        http = settings_in_subprocess({**base, "QF_SMS_BACKEND": "http"}, "1")
        self.assertIn("QF_SMS_BACKEND=http needs QF_SMS_GATEWAY_URL", str(http))
        smtp = settings_in_subprocess(
            {**base, "QF_NOTIFY_CHANNELS": " sms , email ", "QF_EMAIL_BACKEND": "smtp"},
            "[s.QF_NOTIFY_CHANNELS, s.EMAIL_BACKEND]",
        )
        self.assertEqual(smtp, [["sms", "email"], "django.core.mail.backends.smtp.EmailBackend"])

"""A principal's reception day: announced with a public notice (when, where, who receives,
how to come; printable, with an A4 poster whose code opens the school's notices), called off
with the reason shown, and what people raised there filed as tickets of the channel (source
接待日), each with a receipt code that the public follow-up accepts."""

from __future__ import annotations

import io
from datetime import date, time

import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from pypdf import PdfReader

from qingfeng.campaigns import registers
from qingfeng.campaigns.models import Activity
from qingfeng.campaigns.tests.base import CampaignCase
from qingfeng.core.models import AuditEvent
from qingfeng.intake import receipts
from qingfeng.intake.models import Ticket, TicketCategory
from qingfeng.intake.tests.test_posters import needs_font, pdf_text
from qingfeng.orgs.models import Unit, User


def at(day: str) -> time_machine.travel:
    return time_machine.travel(f"{day} 10:00 +0800", tick=False)


class ReceptionDayTestCase(CampaignCase):
    def announce(self, **fields: object) -> Activity:
        values: dict[str, object] = {
            "actor": self.school_admin,
            "unit": self.school,
            "kind": Activity.Kind.RECEPTION,
            "held_on": date(2026, 11, 12),
            "starts_at": time(14, 30),
            "ends_at": time(17),
            "place": "行政楼一楼接待室",
            "cadre": "校长 孙立平",
            "how_to_come": "无需预约，到校门口登记后由值班老师引导",
            "contact": "０１０-６２３４５６７８",
        }
        values.update(fields)
        return registers.check_plan_activity(**values)  # type: ignore[arg-type]

    def test_an_announced_reception_day_is_a_public_notice(self) -> None:
        with at("2026-11-05"):
            day = self.announce()
            visit = registers.check_plan_activity(
                actor=self.school_admin, unit=self.school, kind=Activity.Kind.HOME_VISIT,
                held_on=date(2026, 11, 13), place="学生家", cadre="班主任 李雪",
            )  # fmt: skip
            other = self.announce(
                actor=self.other_school_admin, unit=self.other_school, place="南城小学会议室"
            )
            anonymous = self.client
            index = anonymous.get(reverse("reception:index"))
            unit_page = anonymous.get(reverse("reception:unit", args=[self.school.pk]))
            notice = anonymous.get(reverse("reception:notice", args=[day.pk]))
            poster = anonymous.get(reverse("reception:poster", args=[day.pk]))
        self.assertContains(index, "行政楼一楼接待室")
        self.assertContains(index, "南城小学会议室")
        self.assertContains(unit_page, "行政楼一楼接待室")
        self.assertNotContains(unit_page, "南城小学会议室")  # another school's day
        self.assertNotContains(unit_page, "学生家")  # a cadre's home visit is no notice
        for text in (
            "2026年11月12日",
            "14:30–17:00",
            "校长 孙立平",
            "无需预约",
            "０１０-６２３４５６７８",
        ):
            self.assertContains(notice, text)
        self.assertContains(notice, reverse("reception:poster", args=[day.pk]))
        self.assertEqual(poster["Content-Type"], "application/pdf")
        self.assertTrue(poster.content.startswith(b"%PDF"))
        self.assertEqual(
            anonymous.get(reverse("reception:notice", args=[visit.pk])).status_code, 404
        )
        # Called off: the notice says so, with the reason, so that nobody comes in vain.
        with at("2026-11-06"):
            registers.check_cancel_activity(other, actor=self.other_school_admin, reason="场地维修")
            cancelled = anonymous.get(reverse("reception:notice", args=[other.pk]))
            listed = anonymous.get(reverse("reception:index"))
        self.assertContains(cancelled, "本次活动已取消：场地维修")
        self.assertContains(listed, "已取消")
        # Over: gone from the lists, its address still answers.
        with at("2026-11-13"):
            self.assertNotContains(anonymous.get(reverse("reception:index")), "行政楼一楼接待室")
            self.assertEqual(
                anonymous.get(reverse("reception:notice", args=[day.pk])).status_code, 200
            )

    def test_an_announcement_must_say_when_where_and_how(self) -> None:
        with at("2026-11-05"), self.assertRaises(ValidationError) as refused:
            self.announce(
                held_on=date(2026, 11, 4), starts_at=None, how_to_come="  ", place="", cadre="x"
            )
        self.assertEqual(
            set(refused.exception.message_dict), {"held_on", "starts_at", "how_to_come", "place"}
        )
        with at("2026-11-05"), self.assertRaises(ValidationError):  # not the school's admin
            self.announce(actor=self.county_admin)
        with at("2026-11-05"), self.assertRaises(ValidationError) as refused:
            self.announce(
                kind=Activity.Kind.OPEN_WEEK, held_on=date(2026, 11, 16),
                ends_on=date(2026, 11, 12),
            )  # fmt: skip
        self.assertIn("ends_on", refused.exception.message_dict)
        with at("2026-11-05"), self.assertRaises(ValidationError) as refused:
            self.announce(
                how_to_come="请提前一天电话预约。" * 13
            )  # 130: more than the poster holds
        self.assertEqual(refused.exception.message_dict["how_to_come"], ["参加方式不能超过 120 字"])
        self.assertFalse(Activity.objects.exists())

    def test_what_was_raised_becomes_tickets_with_receipt_codes(self) -> None:
        category = TicketCategory.objects.filter(is_active=True).first()
        assert category is not None
        with at("2026-11-05"):
            day = self.announce()
            with self.assertRaises(ValidationError):  # not held yet
                registers.check_file_matter(
                    day, actor=self.school_admin, category_id=category.pk,
                    title="课后服务收费", text="家长反映课后服务收费标准不公开",
                )  # fmt: skip
        with at("2026-11-12"):
            page = self.login(self.school_admin).post(
                reverse("campaigns:activity_matter", args=[day.pk]),
                {
                    "kind": "complaint",
                    "category": category.pk,
                    "title": "课后服务收费不透明",
                    "text": "三年级家长反映课后服务收费标准没有公示。",
                },
            )
            filed = page.context["filed"]
            registers.check_file_matter(
                day, actor=self.school_admin, category_id=category.pk, kind="suggestion",
                title="延长图书馆开放时间", text="希望周末开放图书馆。",
            )  # fmt: skip
            registers.check_hold_activity(day, actor=self.school_admin, found="接待家长 6 人次")
        ticket = Ticket.objects.get(number=filed.matter.ticket)
        self.assertEqual(
            (ticket.channel, ticket.kind, ticket.unit, ticket.anonymous, ticket.entered_by),
            ("reception", "complaint", self.school, True, self.school_admin),
        )
        # The code handed over on the spot finds the ticket on the public follow-up.
        self.assertEqual(receipts.find_by_code(filed.receipt), ticket)
        self.assertContains(page, filed.receipt_grouped)
        day.refresh_from_db()
        self.assertEqual((day.status, day.raised), ("held", 2))
        self.assertEqual(
            set(Ticket.objects.filter(channel="reception").values_list("kind", flat=True)),
            {"complaint", "suggestion"},
        )
        # The activity's page lists each matter with its ticket's state; the code is not shown
        # again.
        again = self.login(self.school_admin).get(reverse("campaigns:activity", args=[day.pk]))
        self.assertContains(again, ticket.number)
        self.assertContains(again, "已提交")
        self.assertNotContains(again, filed.receipt_grouped)
        self.assertEqual(AuditEvent.objects.filter(action="campaigns.activity.matter").count(), 2)
        # Bad input: nothing filed, the reason in Chinese.
        with at("2026-11-12"):
            refused = self.login(self.school_admin).post(
                reverse("campaigns:activity_matter", args=[day.pk]),
                {"kind": "complaint", "category": category.pk, "title": "", "text": ""},
            )
        self.assertEqual(refused.status_code, 400)
        self.assertEqual(Ticket.objects.filter(channel="reception").count(), 2)
        # Another school's admin reaches neither the page nor the form.
        self.assertEqual(
            self.login(self.other_school_admin)
            .post(reverse("campaigns:activity_matter", args=[day.pk]), {})
            .status_code,
            404,
        )

    def test_a_called_off_day_takes_no_matters_and_cannot_be_called_off_after_it(self) -> None:
        category = TicketCategory.objects.filter(is_active=True).first()
        assert category is not None
        with at("2026-11-05"):
            day = self.announce()
            later = self.announce(held_on=date(2026, 11, 19))
            registers.check_cancel_activity(day, actor=self.school_admin, reason="上级检查")
            with self.assertRaises(ValidationError):
                registers.check_cancel_activity(day, actor=self.school_admin, reason="again")
        with at("2026-11-20"):
            with self.assertRaises(ValidationError):
                registers.check_file_matter(
                    day, actor=self.school_admin, category_id=category.pk,
                    title="x", text="y",
                )  # fmt: skip
            with self.assertRaises(ValidationError):  # its day has passed
                registers.check_cancel_activity(later, actor=self.school_admin, reason="补登")
        self.assertFalse(Ticket.objects.filter(channel="reception").exists())


class ReceptionOnTheChannelPosterTestCase(CampaignCase):
    """The channel's own poster of a school (/intake/posters/) prints its coming reception
    days under the code, with the address of its notices; the poster page lists them."""

    def announce(self, unit: Unit, admin: User, held_on: date, place: str) -> Activity:
        return registers.check_plan_activity(
            actor=admin, unit=unit, kind=Activity.Kind.RECEPTION, held_on=held_on,
            starts_at=time(14, 30), ends_at=time(17), place=place, cadre="校长 孙立平",
            how_to_come="无需预约，到校门口登记后由值班老师引导",
        )  # fmt: skip

    @needs_font
    def test_the_schools_poster_prints_its_coming_reception_days(self) -> None:
        with at("2026-11-05"):
            self.announce(self.school, self.school_admin, date(2026, 11, 12), "行政楼一楼接待室")
            self.announce(self.school, self.school_admin, date(2026, 12, 10), "图书馆二楼")
            self.announce(self.school, self.school_admin, date(2027, 1, 7), "第三次的地点")
            called_off = self.announce(
                self.school, self.school_admin, date(2026, 11, 19), "已取消的地点"
            )
            registers.check_cancel_activity(called_off, actor=self.school_admin, reason="考试")
            self.announce(
                self.other_school, self.other_school_admin, date(2026, 11, 12), "南城小学会议室"
            )
            self.login(self.school_admin)
            response = self.client.get(f"/intake/posters/{self.school.pk}/poster.pdf")
            page = self.client.get("/intake/posters/")
        text = "".join(pdf_text(PdfReader(io.BytesIO(response.content))).split())
        self.assertIn("近期接待安排", text)
        self.assertIn("校长接待日2026-11-1214:30–17:00·行政楼一楼接待室", text)
        self.assertIn("图书馆二楼", text)
        self.assertNotIn("第三次的地点", text)  # the soonest two; the page has the rest
        self.assertNotIn("已取消的地点", text)
        self.assertNotIn("南城小学会议室", text)
        self.assertIn(f"/notice/reception/u/{self.school.pk}/", text)
        self.assertIn("作风建设直通车", text)  # still the channel's poster
        self.assertContains(page, "行政楼一楼接待室")
        self.assertContains(page, f'href="/notice/reception/u/{self.school.pk}/"')

    @needs_font
    def test_a_school_without_a_coming_day_gets_the_plain_poster(self) -> None:
        with at("2026-11-05"):
            self.announce(self.school, self.school_admin, date(2026, 11, 12), "行政楼一楼接待室")
        with at("2026-11-13"):  # the day is over
            self.login(self.school_admin)
            response = self.client.get(f"/intake/posters/{self.school.pk}/poster.pdf")
        text = pdf_text(PdfReader(io.BytesIO(response.content)))
        self.assertNotIn("近期接待安排", text)
        self.assertIn("东城区实验小学", text)

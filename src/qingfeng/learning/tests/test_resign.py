"""The anniversary re-sign of a pledge: each signature falls due again after the pledge's
re-sign period; the person is reminded through the gap notifications (working days before
the day, and once more when it has passed), may sign again from the reminder on, and the unit
sees who has not re-signed."""

from __future__ import annotations

from datetime import date

import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from qingfeng.core.calendar import get_calendar
from qingfeng.core.models import AuditEvent, Notification
from qingfeng.learning import actions, gaps, selectors
from qingfeng.learning.models import GapNotice, Pledge, Signature
from qingfeng.learning.tests.base import LearningCase, at
from qingfeng.orgs.models import User


class ResignTestCase(LearningCase):
    def issue(self, *, year: int = 2025, months: int = 12) -> Pledge:
        return actions.check_issue_pledge(
            actor=self.office_user,
            issuer=self.bureau,
            group=Pledge.Group.ALL,
            title=f"{year}年廉洁从教承诺书",
            text="严守中央八项规定精神，不收受学生及家长礼品礼金，不组织参与有偿补课。",
            year=year,
            resign_months=months,
        )

    def sign(self, pledge: Pledge, user: User, when: str) -> Signature:
        with time_machine.travel(at(when), tick=False):
            return actions.check_sign_pledge(pledge, person=user.person, actor=user)

    def resign_titles(self, user: User) -> list[str]:
        return [
            t
            for t in Notification.objects.filter(recipient=user)
            .order_by("id")
            .values_list("title", flat=True)
            if "承诺重签" in t
        ]

    def test_the_anniversary_re_sign_over_the_national_day_holiday(self) -> None:
        pledge = self.issue()
        mine = self.sign(pledge, self.teacher, "2025-10-20 10:00")
        self.sign(pledge, self.party_teacher, "2026-01-05 10:00")
        self.assertEqual(mine.renew_on, date(2026, 10, 20))
        # Ten working days before 20 October 2026, counted over the National Day holiday
        # (1–7 October off, Saturday 10 October worked): 30 September.
        opens = actions.resign_opens_on(mine, get_calendar())
        self.assertEqual(opens, date(2026, 9, 30))
        with (
            time_machine.travel(at("2026-09-29 09:00"), tick=False),
            self.assertRaisesMessage(ValidationError, "2026-09-30 起可重新签署"),
        ):
            actions.check_sign_pledge(pledge, person=self.teacher.person, actor=self.teacher)
        gaps.notify_gaps(date(2026, 9, 29))
        self.assertEqual(self.resign_titles(self.teacher), [])
        gaps.notify_gaps(date(2026, 9, 30))
        self.assertEqual(
            self.resign_titles(self.teacher),
            ["【承诺重签】请在 2026-10-20 前重新签署承诺书：2025年廉洁从教承诺书"],
        )
        gaps.notify_gaps(date(2026, 10, 8))
        self.assertEqual(len(self.resign_titles(self.teacher)), 1)
        self.assertEqual(self.resign_titles(self.party_teacher), [])
        # The day passes: one more notice, and the school sees who has not re-signed.
        gaps.notify_gaps(date(2026, 10, 21))
        self.assertEqual(
            self.resign_titles(self.teacher)[-1],
            "【承诺重签】承诺书已于 2026-10-20 到期，请重新签署：2025年廉洁从教承诺书",
        )
        self.assertEqual(
            [
                s.person.name
                for s in selectors.not_resigned(pledge, self.school, today=date(2026, 10, 21))
            ],
            ["周小燕"],
        )
        again = self.sign(pledge, self.teacher, "2026-10-22 08:30")
        self.assertEqual((again.cycle, again.renew_on), (2, date(2027, 10, 22)))
        self.assertEqual(
            list(selectors.not_resigned(pledge, self.school, today=date(2026, 10, 22))), []
        )
        self.assertEqual(selectors.signature_of(pledge, self.teacher.person), again)
        event = AuditEvent.objects.get(action="learning.pledge.resign")
        self.assertEqual((event.after or {}).get("cycle"), 2)
        gaps.notify_gaps(date(2026, 10, 23))
        self.assertEqual(len(self.resign_titles(self.teacher)), 2)
        self.assertEqual(GapNotice.objects.filter(kind=GapNotice.Kind.RESIGN).count(), 2)

    def test_my_study_page_says_when_a_pledge_is_due_to_be_signed_again(self) -> None:
        pledge = self.issue()
        self.sign(pledge, self.teacher, "2025-10-20 10:00")
        self.login(self.teacher)

        def state_on(when: str) -> str:
            with time_machine.travel(at(when), tick=False):
                page = self.client.get(reverse("learning:mine")).content.decode()
            row = page.split('data-testid="my-pledge"', 1)[1].split("</a>", 1)[0]
            return row.rsplit("<span", 1)[1].split(">", 1)[1].split("</span", 1)[0]

        self.assertEqual(state_on("2026-10-19 09:00"), "已签署")
        self.assertEqual(state_on("2026-10-21 09:00"), "待重签（2026-10-20 到期）")
        self.sign(pledge, self.teacher, "2026-10-22 08:30")
        self.assertEqual(state_on("2026-10-22 09:00"), "已签署")

    def test_the_issuers_period_and_the_month_end(self) -> None:
        pledge = self.issue(year=2026, months=6)
        mine = self.sign(pledge, self.teacher, "2026-03-31 16:00")
        self.assertEqual(mine.renew_on, date(2026, 9, 30))
        with self.assertRaisesMessage(ValidationError, "重签周期须在 1 到 36 个月之间"):
            self.issue(year=2027, months=0)
        self.assertFalse(Pledge.objects.filter(year=2027).exists())

    def test_a_quarterly_report_is_asked_once_of_a_re_signed_person(self) -> None:
        pledge = self.issue(year=2026, months=3)
        self.sign(pledge, self.teacher, "2026-06-01 10:00")
        self.sign(pledge, self.teacher, "2026-09-01 10:00")
        self.assertEqual(Signature.objects.filter(person=self.teacher.person).count(), 2)
        gaps.notify_gaps(date(2026, 9, 28))
        asked = [
            t
            for t in Notification.objects.filter(recipient=self.teacher).values_list(
                "title", flat=True
            )
            if "践诺" in t
        ]
        self.assertEqual(len(asked), 1)
        latest = selectors.signature_of(pledge, self.teacher.person)
        assert latest is not None
        with time_machine.travel(at("2026-09-28 10:00"), tick=False):
            actions.check_report_fulfilment(
                latest, actor=self.teacher, text="本季度拒收家长礼品一次"
            )
            first = Signature.objects.get(person=self.teacher.person, cycle=1)
            with self.assertRaisesMessage(ValidationError, "2026Q3 的践诺情况已填报"):
                actions.check_report_fulfilment(first, actor=self.teacher, text="重复填报")

    def test_the_pages_offer_the_re_sign_and_list_who_has_not(self) -> None:
        pledge = self.issue()
        self.sign(pledge, self.teacher, "2025-10-20 10:00")
        with time_machine.travel(at("2026-10-21 09:00"), tick=False):
            self.login(self.teacher)
            page = self.client.get(reverse("learning:pledge", args=[pledge.pk]))
            self.assertContains(page, "本次签署 2026-10-20 到期")
            self.assertContains(page, 'data-testid="resign"')
            response = self.client.post(
                reverse("learning:pledge_sign", args=[pledge.pk]), follow=True
            )
            self.assertContains(response, "已重新签署承诺书")
            self.assertContains(response, "第 2 次签署")
            self.assertNotContains(response, 'data-testid="resign"')
        self.sign(pledge, self.party_teacher, "2025-10-09 10:00")
        with time_machine.travel(at("2026-10-21 09:30"), tick=False):
            self.login(self.school_admin)
            page = self.client.get(reverse("learning:pledge", args=[pledge.pk]))
            self.assertContains(page, "东城区实验小学到期未重签（1 人）")
            self.assertContains(page, "钟秀英")
            self.assertNotContains(page, "周小燕<span")

"""The registers: a dispatch meeting's agreed items tracked to done and carried to the next
meeting's agenda; the rules register with the rule's text; open-door activities counted in
the weekly figures. Each scoped (another school's 404) and audited."""

from __future__ import annotations

from datetime import date, time

import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from qingfeng.campaigns import registers, selectors
from qingfeng.campaigns.models import Activity, MeetingItem, Rule
from qingfeng.campaigns.tests.base import MONDAY, CampaignCase
from qingfeng.core.models import AuditEvent
from qingfeng.ledger import actions as ledger_actions
from qingfeng.ledger.models import Category, Problem
from qingfeng.orgs.models import Unit, User


def at(day: str) -> time_machine.travel:
    return time_machine.travel(f"{day} 10:00 +0800", tick=False)


class RegistersTestCase(CampaignCase):
    def test_agreed_items_are_tracked_and_open_the_next_meeting(self) -> None:
        with at("2026-11-03"):
            first = registers.check_hold_meeting(
                self.campaign,
                actor=self.county_admin,
                unit=self.county,
                held_on=date(2026, 11, 3),
                title="东城区第一次周调度会",
                attendees="区教育局班子成员、各校校长",
                items=[
                    ("整改教辅征订问题", self.school, date(2026, 11, 10)),
                    ("开放校长接待日", self.school2, date(2026, 11, 17)),
                ],
            )
        with self.assertRaises(ValidationError):  # not below the county
            registers.check_hold_meeting(
                self.campaign, actor=self.county_admin, unit=self.county,
                held_on=date(2026, 11, 3), title="x", attendees="y",
                items=[("越级交办", self.other_school, date(2026, 11, 10))],
            )  # fmt: skip
        done, still = first.items.order_by("id")
        with self.assertRaises(ValidationError):  # another school cannot report it
            registers.check_close_item(done, actor=self.other_school_admin, note="已完成")
        with at("2026-11-06"):
            registers.check_close_item(done, actor=self.school_admin, note="已退回全部费用")
        with at("2026-11-10"):
            second = registers.check_hold_meeting(
                self.campaign, actor=self.county_admin, unit=self.county,
                held_on=date(2026, 11, 10), title="东城区第二次周调度会", attendees="同上",
            )  # fmt: skip
        carried = list(selectors.carried_items(second))
        self.assertEqual(
            [(i.pk, i.status) for i in carried], [(done.pk, "done"), (still.pk, "open")]
        )
        page = self.login(self.county_admin).get(reverse("campaigns:meeting", args=[second.pk]))
        self.assertContains(page, "上次议定事项落实情况")
        self.assertContains(page, "已退回全部费用")
        # The school sees the county's meeting that gave it an item; another county's not.
        self.assertContains(
            self.login(self.school_admin).get(reverse("campaigns:meetings")), "东城区第一次周调度会"
        )
        self.assertEqual(
            self.login(self.other_school_admin)
            .get(reverse("campaigns:meeting", args=[first.pk]))
            .status_code,
            404,
        )
        # The school reports its item done from the page.
        self.login(self.school2_admin()).post(
            reverse("campaigns:item_done", args=[still.pk]), {"note": "每周三接待"}
        )
        self.assertEqual(MeetingItem.objects.get(pk=still.pk).status, "done")
        self.assertEqual(
            AuditEvent.objects.filter(action__startswith="campaigns.meeting.").count(), 4
        )

    def school2_admin(self) -> User:
        from qingfeng.orgs.models import Role
        from qingfeng.test import make_user

        return make_user("school2_admin", unit=self.school2, role=Role.UNIT_ADMIN, name="周敏")

    def test_the_rules_register_keeps_the_rule_and_its_text(self) -> None:
        pdf = SimpleUploadedFile("收费公示制度.pdf", b"%PDF-1.4\n%%EOF\n")
        with at("2026-11-05"):
            rule = registers.check_adopt_rule(
                actor=self.school_admin, unit=self.school, title="收费公示制度",
                kind=Rule.Kind.NEW, adopted_on=date(2026, 11, 5),
                answers="教辅材料违规征订", upload=pdf,
            )  # fmt: skip
        self.assertEqual(rule.files.get().kind, "rule")
        page = self.login(self.county_admin).get(reverse("campaigns:rules"))
        self.assertContains(page, "收费公示制度.pdf")
        self.assertNotContains(
            self.login(self.other_school_admin).get(reverse("campaigns:rules")), "收费公示制度"
        )
        with self.assertRaises(ValidationError):
            registers.check_adopt_rule(
                actor=self.county_admin, unit=self.school, title="代登记",
                kind=Rule.Kind.NEW, adopted_on=date(2026, 11, 5),
            )  # fmt: skip
        self.assertTrue(AuditEvent.objects.filter(action="campaigns.rule.adopt").exists())

    def problem(self, unit: Unit, actor: User) -> Problem:
        return ledger_actions.check_create_problem(
            actor=actor,
            unit=unit,
            measures=["公示收费标准"],
            list_kind=Problem.ListKind.DEPARTMENT_RISK,
            source=Problem.Source.SELF_CHECK,
            category=Category.objects.get(name="教辅材料违规征订"),
            dimension=Problem.Dimension.INTEGRITY,
            title="课后服务收费不公开",
            description="课后服务收费标准没有公示。",
            rectification_type=Problem.RectificationType.TIME_LIMITED,
            deadline=date(2026, 12, 4),
        )

    def test_a_rule_names_the_ledger_problems_it_answers(self) -> None:
        ours = self.problem(self.school, self.county_admin)
        theirs = self.problem(self.other_school, self.bureau_admin)
        with at("2026-11-05"):
            # As typed in the form: lower case, a full-width comma and a 顿号 between numbers.
            page = self.login(self.school_admin).post(
                reverse("campaigns:rules"),
                {
                    "title": "课后服务收费公示制度",
                    "kind": "new",
                    "adopted_on": "2026-11-05",
                    "problems": f"{ours.number.lower()}， {ours.number}、",
                },
            )
            self.assertEqual(page.status_code, 302)
            with self.assertRaises(ValidationError) as refused:  # another county's problem
                registers.check_adopt_rule(
                    actor=self.school_admin, unit=self.school, title="另一制度", kind="new",
                    adopted_on=date(2026, 11, 5), problem_numbers=[theirs.number, "LD-404"],
                )  # fmt: skip
        self.assertIn(theirs.number, refused.exception.message_dict["problems"][0])
        rule = Rule.objects.get()
        self.assertEqual(list(rule.problems.all()), [ours])
        listing = self.login(self.county_admin).get(reverse("campaigns:rules"))
        self.assertContains(listing, reverse("ledger:detail", args=[ours.pk]))

    def test_activities_are_recorded_and_counted_in_the_weekly_figures(self) -> None:
        with at("2026-11-06"):
            response = self.login(self.school_admin).post(
                reverse("campaigns:activities"),
                {
                    "form": "record",
                    "record-kind": Activity.Kind.RECEPTION,
                    "record-held_on": "2026-11-04",
                    "record-place": "学校会议室",
                    "record-cadre": "校长 孙立平",
                    "record-found": "家长反映课后服务收费不透明",
                },
            )
            reception = Activity.objects.get(unit=self.school)
            self.assertRedirects(
                response,
                reverse("campaigns:activity", args=[reception.pk]),
                fetch_redirect_response=False,
            )
            registers.check_record_activity(
                actor=self.county_admin, unit=self.county, kind=Activity.Kind.HOME_VISIT,
                held_on=date(2026, 11, 5), place="东城区实验小学学生家", cadre="钱晓红",
            )  # fmt: skip
            with self.assertRaises(ValidationError):  # not held yet
                registers.check_record_activity(
                    actor=self.school_admin, unit=self.school, kind=Activity.Kind.RECEPTION,
                    held_on=date(2026, 11, 20), place="学校", cadre="孙立平",
                )  # fmt: skip
            # Announced for Thursday and called off: no count; announced for next week: none yet.
            off = registers.check_plan_activity(
                actor=self.school_admin, unit=self.school, kind=Activity.Kind.RECEPTION,
                held_on=date(2026, 11, 6), starts_at=time(14), place="学校", cadre="孙立平",
                how_to_come="无需预约",
            )  # fmt: skip
            registers.check_cancel_activity(off, actor=self.school_admin, reason="上级检查")
            figures = selectors.prefill(self.school, MONDAY)
        self.assertEqual((figures["activities"], figures["activities_raised"]), (1, 0))
        self.assertEqual(Activity.objects.count(), 3)
        listing = self.login(self.other_school_admin).get(reverse("campaigns:activities"))
        self.assertNotContains(listing, "课后服务收费")
        with at("2026-11-06"):
            county = self.login(self.county_admin).get(reverse("campaigns:activities"))
        self.assertContains(county, "课后服务收费")
        # The per-cadre count of the quarter: the principal once, the county's cadre once.
        tally = {(t["cadre"], t["kind"]): t["n"] for t in county.context["tally"]}
        self.assertEqual(tally, {("校长 孙立平", "reception"): 1, ("钱晓红", "home_visit"): 1})
        self.assertEqual(
            self.login(self.other_school_admin)
            .get(reverse("campaigns:activity", args=[reception.pk]))
            .status_code,
            404,
        )

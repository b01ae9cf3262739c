"""Lights and the reminder ladder on their own, with a throwaway app's model (tests/scratch.py)
on the official calendar (National Day 2026: 1–7 October off, Saturday 10 October worked)."""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import QuerySet
from django.test import TestCase

from qingfeng.core.deadlines import (
    URGENCY,
    Clock,
    Ladder,
    Lights,
    Reminder,
    ladder_stage,
    light_on,
)
from qingfeng.core.models import Escalation, Notification
from qingfeng.core.tests.scratch import Case, ScratchTables, make_case
from qingfeng.lib.workdays import WorkCalendar
from qingfeng.orgs.models import User
from qingfeng.test import BaseTestCase


def d(text: str) -> date:
    return date.fromisoformat(text)


def two_days() -> int:
    return 2


LIGHTS = Lights(
    model=Case,
    clocks=(
        Clock("answer", frozenset({"new"}), "answer_due"),
        Clock("work", frozenset({"open"}), "due", yellow_days=two_days),
        Clock("review", frozenset({"review"}), "due", steady="green"),
    ),
)


class LightOnTestCase(TestCase):
    def test_the_holiday_shortens_the_time_left(self) -> None:
        # 30 September → 9 October: 8 and 9 October are the only working days left.
        self.assertEqual(light_on(d("2026-10-09"), d("2026-09-30"), yellow_days=2), "yellow")
        weekends_only = WorkCalendar()
        self.assertEqual(
            light_on(d("2026-10-09"), d("2026-09-30"), yellow_days=2, calendar=weekends_only),
            "green",
        )

    def test_red_only_after_the_due_day(self) -> None:
        self.assertEqual(light_on(d("2026-10-10"), d("2026-10-10"), yellow_days=0), "yellow")
        self.assertEqual(light_on(d("2026-10-10"), d("2026-10-11"), yellow_days=0), "red")
        self.assertEqual(light_on(None, d("2026-10-11"), yellow_days=0), "")

    def test_the_ladder_climbs_with_the_working_days_overdue(self) -> None:
        self.assertEqual(
            ladder_stage("yellow", d("2026-10-09"), d("2026-09-30"), escalate_after=3), "remind"
        )
        # Due 30 September; 8, 9 and 10 October are three working days late, the 12th four.
        self.assertEqual(
            ladder_stage("red", d("2026-09-30"), d("2026-10-10"), escalate_after=3), "notice"
        )
        self.assertEqual(
            ladder_stage("red", d("2026-09-30"), d("2026-10-12"), escalate_after=3), "escalate"
        )
        self.assertIsNone(ladder_stage("green", d("2026-10-09"), d("2026-09-30"), escalate_after=3))


class LightsTestCase(ScratchTables, TestCase):
    def light(self, case: Case) -> tuple[str, int, date]:
        row = Case.objects.get(pk=case.pk)
        return row.light, row.urgency, row.due_key

    def test_the_daily_sweep_agrees_with_the_light_of_each_row_around_a_holiday(self) -> None:
        start = d("2026-09-24")
        cases = [make_case(status="open", due=start + timedelta(days=n)) for n in range(0, 24)] + [
            make_case(status="new", answer_due=start + timedelta(days=n)) for n in range(0, 24)
        ]
        for offset in range(0, 22):
            today = start + timedelta(days=offset)
            LIGHTS.recompute(today)
            for case in Case.objects.filter(pk__in=[c.pk for c in cases]):
                with self.subTest(today=today, due=case.due or case.answer_due):
                    self.assertEqual(case.light, LIGHTS.light_for(case, today))
                    self.assertEqual(case.urgency, URGENCY[case.light])
            self.assertEqual(LIGHTS.recompute(today), 0, today)  # nothing left to change

    def test_the_sort_key_is_the_running_clock_and_no_clock_means_no_light(self) -> None:
        case = make_case(status="new", answer_due=d("2026-10-08"), due=d("2026-10-30"))
        LIGHTS.recompute(d("2026-10-08"))
        self.assertEqual(self.light(case), ("yellow", 1, d("2026-10-08")))
        Case.objects.filter(pk=case.pk).update(status="open")
        LIGHTS.recompute(d("2026-10-08"))
        self.assertEqual(self.light(case), ("green", 2, d("2026-10-30")))
        Case.objects.filter(pk=case.pk).update(status="done")
        LIGHTS.recompute(d("2026-10-08"))
        self.assertEqual(self.light(case), ("", 3, date.max))

    def test_a_steady_clock_keeps_its_light_while_it_has_a_date(self) -> None:
        waiting = make_case(status="review", due=d("2026-09-01"))
        undated = make_case(status="review", light="red", urgency=0)
        LIGHTS.recompute(d("2026-10-20"))
        self.assertEqual(self.light(waiting)[0], "green")
        self.assertEqual(self.light(undated)[0], "")

    def test_set_light_is_the_light_of_one_row_not_saved(self) -> None:
        case = make_case(status="open", due=d("2026-10-09"))
        LIGHTS.set_light(case, d("2026-10-12"))
        self.assertEqual((case.light, case.urgency, case.due_key), ("red", 0, d("2026-10-09")))
        self.assertEqual(self.light(case), ("", 3, date.max))


def late_cases() -> QuerySet[Case]:
    return Case.objects.all()


class LadderTestCase(ScratchTables, BaseTestCase):
    def ladder(self, recipients: list[User]) -> Ladder[Case]:
        return Ladder(
            lights=LIGHTS,
            rows=late_cases,
            recipients=lambda case, stage, clock: recipients,
            reminder=lambda case, stage, clock, due: Reminder(
                title=f"【{Escalation.Stage(stage).label}】案件 {case.pk} {due}",
                link=f"/cases/{case.pk}/",
            ),
            escalate_after=lambda: 3,
        )

    def test_it_sends_each_stage_once_however_often_it_runs(self) -> None:
        case = make_case(status="open", due=d("2026-09-30"))
        ladder = self.ladder([self.bureau_admin, self.county_admin])
        LIGHTS.recompute(d("2026-09-29"))
        self.assertEqual(ladder.escalate(d("2026-09-29")), 1)
        self.assertEqual(ladder.escalate(d("2026-09-29")), 0)
        self.assertEqual(Notification.objects.filter(recipient=self.bureau_admin).count(), 1)
        LIGHTS.recompute(d("2026-10-09"))  # two working days late, across the holiday
        self.assertEqual(ladder.escalate(d("2026-10-09")), 1)
        LIGHTS.recompute(d("2026-10-12"))  # four
        self.assertEqual(ladder.escalate(d("2026-10-12")), 1)
        self.assertEqual(ladder.escalate(d("2026-10-13")), 0)
        rows = Escalation.objects.filter(subject="core.case", object_id=case.pk).order_by("id")
        self.assertEqual(
            [(e.stage, e.due, e.recipients) for e in rows],
            [
                (stage, d("2026-09-30"), [self.bureau_admin.pk, self.county_admin.pk])
                for stage in ("remind", "notice", "escalate")
            ],
        )
        self.assertEqual(
            list(
                Notification.objects.filter(recipient=self.county_admin)
                .order_by("id")
                .values_list("title", "link")
            ),
            [
                (f"【{label}】案件 {case.pk} 2026-09-30", f"/cases/{case.pk}/")
                for label in ("催办", "督办", "提级督办")
            ],
        )

    def test_a_new_due_date_starts_the_ladder_again(self) -> None:
        case = make_case(status="open", due=d("2026-10-09"))
        ladder = self.ladder([self.bureau_admin])
        LIGHTS.recompute(d("2026-10-08"))
        self.assertEqual(ladder.escalate(d("2026-10-08")), 1)
        Case.objects.filter(pk=case.pk).update(due=d("2026-10-20"))  # given more time
        LIGHTS.recompute(d("2026-10-19"))
        self.assertEqual(ladder.escalate(d("2026-10-19")), 1)
        self.assertEqual(Notification.objects.filter(recipient=self.bureau_admin).count(), 2)

    def test_rows_without_a_running_clock_are_left_alone(self) -> None:
        # A light left over from before the row was done, and a steady one: no clock runs.
        make_case(status="done", due=d("2026-09-01"), light="red", urgency=0)
        make_case(status="review", due=d("2026-09-01"), light="green", urgency=2)
        self.assertEqual(self.ladder([self.bureau_admin]).escalate(d("2026-10-20")), 0)
        self.assertFalse(Escalation.objects.exists())

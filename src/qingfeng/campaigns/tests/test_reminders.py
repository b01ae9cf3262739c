"""The weekly report's reminders: a unit that has not filed hears of it the working day
before the due day and once more after it (its reviewers too); a unit that filed hears
nothing; each stage goes once per unit and week, however often the sweep runs."""

from __future__ import annotations

from datetime import date

import time_machine

from qingfeng.campaigns import actions, reminders, selectors
from qingfeng.campaigns.models import Campaign, WeeklyReminder
from qingfeng.campaigns.tests.base import MONDAY, CampaignCase
from qingfeng.core.models import AuditEvent, Notification

# MONDAY's week is due on Tuesday 10 November.


class RemindersTestCase(CampaignCase):
    def sweep(self, day: date) -> int:
        with time_machine.travel(f"{day.isoformat()} 08:30 +0800", tick=False):
            return reminders.do_send_weekly_reminders(day)

    def told(self, stage: str) -> set[int]:
        return set(
            WeeklyReminder.objects.filter(week_start=MONDAY, stage=stage).values_list(
                "unit_id", flat=True
            )
        )

    def test_the_missing_are_reminded_before_the_due_day_and_told_when_late(self) -> None:
        # The campaign starts this week: no earlier week is owed.
        Campaign.objects.filter(pk=self.campaign.pk).update(starts_on=MONDAY)
        self.assertEqual(self.sweep(date(2026, 11, 6)), 0)  # Friday: 2 working days left
        with time_machine.travel("2026-11-06 10:00 +0800", tick=False):
            actions.check_file_report(
                self.campaign, unit=self.school, week_start=MONDAY, actor=self.school_admin
            )
        units = set(selectors.reporting_units(self.campaign).values_list("pk", flat=True))
        units -= {self.school.pk}
        sent = self.sweep(date(2026, 11, 9))  # Monday: one working day left
        self.assertEqual(self.told(WeeklyReminder.Stage.REMIND), units)
        self.assertEqual(sent, len(units))
        note = Notification.objects.get(recipient=self.institute_admin)
        self.assertIn("2026-11-10", note.title)
        self.assertIn(f"/weekly/{self.institute.pk}/2026-11-02/", note.link)
        self.assertFalse(Notification.objects.filter(recipient=self.school_admin).exists())
        # Again on the same day, and on the due day: the reminder has gone already.
        self.assertEqual(self.sweep(date(2026, 11, 9)), 0)
        self.assertEqual(self.sweep(date(2026, 11, 10)), 0)
        with time_machine.travel("2026-11-10 10:00 +0800", tick=False):
            actions.check_file_report(
                self.campaign, unit=self.institute, week_start=MONDAY, actor=self.institute_admin
            )
        # Wednesday: late. The institute filed on the due day, the others are told once.
        self.assertEqual(self.sweep(date(2026, 11, 11)), len(units) - 1)
        self.assertEqual(self.sweep(date(2026, 11, 12)), 0)
        self.assertEqual(self.told(WeeklyReminder.Stage.LATE), units - {self.institute.pk})
        # A county's late notice reaches the bureau, which reviews the counties; a school's
        # the county.
        late = Notification.objects.filter(recipient=self.bureau_admin, title__contains="逾期")
        self.assertEqual(
            {n.title.split("：")[0] for n in late},
            {self.office.name, self.county.name, self.other_county.name},
        )
        to_county = Notification.objects.filter(recipient=self.county_admin, title__contains="逾期")
        self.assertIn(self.school2.name, {n.title.split("：")[0] for n in to_county})
        self.assertEqual(
            AuditEvent.objects.filter(
                action__in=["campaigns.report.remind", "campaigns.report.late"]
            ).count(),
            2,
        )

    def test_no_reminder_before_the_window_or_outside_the_campaign(self) -> None:
        self.assertIsNone(reminders.stage_for(date(2026, 11, 10), date(2026, 11, 5), remind_days=1))
        self.assertEqual(self.sweep(date(2027, 6, 1)), 0)  # the campaign ended in March
        self.assertFalse(WeeklyReminder.objects.exists())

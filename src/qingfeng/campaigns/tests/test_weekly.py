"""The weekly report: pre-filled from what the ledger and the channel hold for the unit and
the week (also after a change mid-week), corrected only with a reason, locked after its due
day (a working day), late when filed after it, rolled up per level, reminders to who is
missing, and counted in the burden meter."""

from __future__ import annotations

from datetime import date

import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from qingfeng.campaigns import actions, files, selectors
from qingfeng.campaigns.models import WeeklyReport
from qingfeng.campaigns.tests.base import MONDAY, CampaignCase
from qingfeng.campaigns.tests.test_files import docx_by
from qingfeng.core import actions as core_actions
from qingfeng.core import registry
from qingfeng.core.models import Notification
from qingfeng.ledger import actions as ledger_actions
from qingfeng.ledger import excel
from qingfeng.ledger import selectors as ledger_selectors
from qingfeng.ledger.models import Category, Problem
from qingfeng.orgs.models import Person
from qingfeng.orgs.roster.importing import do_receive_roster as receive_roster
from qingfeng.reports import actions as bulletins
from qingfeng.reports import assessments
from qingfeng.reports.models import Score


class WeeklyTestCase(CampaignCase):
    def problem(self) -> Problem:
        problem = ledger_actions.check_create_problem(
            actor=self.county_admin,
            unit=self.school,
            measures=["退回费用"],
            list_kind=Problem.ListKind.PERSONAL,
            source=Problem.Source.SELF_CHECK,
            category=Category.objects.get(name="教辅材料违规征订"),
            dimension=Problem.Dimension.INTEGRITY,
            title="违规推荐教辅材料",
            description="三年级推荐学生购买指定教辅。",
            rectification_type=Problem.RectificationType.TIME_LIMITED,
            deadline_workdays=10,
            responsible_person=Person.objects.get(user=self.teacher),
        )
        return ledger_actions.check_assign(problem, actor=self.county_admin)

    def ledger_new(self) -> int:
        """What the ledger's own selector says: the school's problems registered this week."""
        return (
            ledger_selectors.problems_visible_to(self.county_admin)
            .filter(unit=self.school, created_at__date__range=(MONDAY, date(2026, 11, 8)))
            .exclude(status__in=[Problem.Status.DRAFT, Problem.Status.WITHDRAWN])
            .count()
        )

    def file(self, day: str, **fields: object) -> WeeklyReport:
        with time_machine.travel(f"{day} 10:00 +0800", tick=False):
            return actions.check_file_report(
                self.campaign,
                unit=fields.pop("unit", self.school),  # type: ignore[arg-type]
                week_start=MONDAY,
                actor=fields.pop("actor", self.school_admin),  # type: ignore[arg-type]
                **fields,  # type: ignore[arg-type]
            )

    def test_the_prefill_is_what_the_ledger_says_also_after_a_change_mid_week(self) -> None:
        with time_machine.travel("2026-11-03 10:00 +0800", tick=False):
            self.problem()
            first = selectors.prefill(self.school, MONDAY)
        self.assertEqual(first["problems_new"], self.ledger_new())
        self.assertEqual(first["problems_new"], 1)
        self.assertEqual(first["problems_new_personal"], 1)
        self.assertEqual(first["problems_open"], 1)
        with time_machine.travel("2026-11-05 10:00 +0800", tick=False):
            self.problem()
        report = self.file("2026-11-06", narrative="召开专题会议")
        self.assertEqual(report.figures["problems_new"], 2)
        self.assertEqual(report.figures["problems_new"], self.ledger_new())
        self.assertEqual(report.figures["tickets_received"], 0)
        self.assertEqual(selectors.prefill(self.school2, MONDAY)["problems_new"], 0)
        self.assertEqual(report.fields_filled, 1)

    def test_a_correction_needs_a_reason_and_a_refusal_writes_nothing(self) -> None:
        with self.assertRaises(ValidationError) as caught:
            self.file("2026-11-06", corrections={"problems_new": (3, "")})
        self.assertIn("理由", str(caught.exception))
        with self.assertRaises(ValidationError):
            self.file("2026-11-06", narrative="字" * 501)
        self.assertFalse(WeeklyReport.objects.exists())
        report = self.file("2026-11-06", corrections={"problems_new": (3, "线下自查发现 3 个")})
        self.assertEqual(report.figures["problems_new"], 0)
        self.assertEqual(selectors.shown_figures(report)["problems_new"], 3)

    def test_it_locks_after_the_due_day_and_marks_late_filings(self) -> None:
        self.assertEqual(actions.report_due(self.campaign, MONDAY), date(2026, 11, 10))
        self.file("2026-11-06")
        self.file("2026-11-10", narrative="截止当天修改")  # the due day itself: still open
        with self.assertRaises(ValidationError) as caught:
            self.file("2026-11-11", narrative="过期修改")
        self.assertIn("锁定", str(caught.exception))
        report = WeeklyReport.objects.get(unit=self.school)
        self.assertEqual((report.narrative, report.late), ("截止当天修改", False))
        late = self.file("2026-11-11", unit=self.institute, actor=self.institute_admin)
        self.assertTrue(late.late)

    def test_the_due_day_moves_past_a_day_off(self) -> None:
        core_actions.check_set_calendar_day(
            actor=self.system_admin, day=date(2026, 11, 10), is_workday=False, name="调休"
        )
        self.assertEqual(actions.report_due(self.campaign, MONDAY), date(2026, 11, 11))
        self.assertFalse(self.file("2026-11-11").late)

    def test_a_returned_report_is_filed_again_even_after_the_lock(self) -> None:
        report = self.file("2026-11-06")
        with self.assertRaises(ValidationError):  # the school cannot review itself
            actions.check_review_report(report, actor=self.school_admin, approve=True, reason="")
        actions.check_review_report(
            report, actor=self.county_admin, approve=False, reason="补充进展"
        )
        self.assertTrue(Notification.objects.filter(recipient=self.school_admin).exists())
        report = self.file("2026-11-12", narrative="已补充")
        self.assertEqual((report.status, report.late), (WeeklyReport.Status.FILED, False))
        self.assertEqual(
            list(report.events.order_by("id").values_list("action", flat=True)),
            ["file", "return", "refile"],
        )

    def test_the_rollup_counts_per_level_and_the_missing_are_reminded(self) -> None:
        self.file("2026-11-06")
        self.file("2026-11-12", unit=self.institute, actor=self.institute_admin)
        units = selectors.scope_units(self.county_admin, self.campaign)
        self.assertEqual(
            {u.pk for u in units},
            {self.county.pk, self.school.pk, self.school2.pk, self.institute.pk},
        )
        roll = selectors.rollup(self.campaign, units, MONDAY)
        self.assertEqual((roll.expected, roll.filed, roll.on_time), (4, 2, 1))
        self.assertEqual({u.pk for u in roll.missing}, {self.county.pk, self.school2.pk})
        self.assertEqual((roll.reporting_rate, roll.on_time_rate), (50.0, 25.0))
        city = selectors.rollup(
            self.campaign, selectors.scope_units(self.bureau_admin, self.campaign), MONDAY
        )
        self.assertEqual((city.expected, city.filed), (7, 2))
        sent = actions.do_remind_missing(
            self.campaign, actor=self.county_admin, week_start=MONDAY, units=list(units)
        )
        self.assertEqual(sent, 0)  # school2 has no admin account; the county cannot remind itself
        rates = selectors.timeliness(self.campaign, [self.school.pk, self.institute.pk], [MONDAY])
        self.assertEqual(rates[self.school.pk].on_time_rate, 100.0)
        self.assertEqual(rates[self.institute.pk].on_time_rate, 0.0)

    def test_the_burden_meter_counts_the_forms_people_filled(self) -> None:
        self.file("2026-11-06", narrative="进展", next_week="重点")
        counts = selectors.burden([self.school.pk], date(2026, 11, 1), date(2026, 11, 30))
        self.assertEqual(counts[self.school.pk]["weekly_reports"], 1)
        self.assertEqual(counts[self.school.pk]["weekly_fields"], 2)
        self.assertEqual(counts[self.school.pk]["evidence_uploads"], 0)
        self.assertEqual(counts[self.school.pk]["campaign_uploads"], 0)

    def test_the_burden_meter_counts_the_files_people_uploaded(self) -> None:
        report = self.file("2026-11-06", narrative="进展", next_week="重点")
        with time_machine.travel("2026-11-06 11:00 +0800", tick=False):
            files.check_attach_file(report, actor=self.school_admin, upload=docx_by("孙立平"))
            files.check_attach_file(report, actor=self.school_admin, upload=docx_by("孙立平"))
        november = selectors.burden(
            [self.school.pk, self.institute.pk], date(2026, 11, 1), date(2026, 11, 30)
        )
        self.assertEqual(november[self.school.pk]["campaign_uploads"], 2)
        self.assertEqual(november[self.institute.pk]["campaign_uploads"], 0)
        october = selectors.burden([self.school.pk], date(2026, 10, 1), date(2026, 10, 31))
        self.assertEqual(october[self.school.pk]["campaign_uploads"], 0)
        labels = [str(f.label) for f in selectors.burden_labels()]
        self.assertIn("上传方案、任务和周报附件", labels)

    def test_the_burden_meter_counts_every_apps_imports_for_the_uploaders_unit(self) -> None:
        def xlsx(name: str) -> SimpleUploadedFile:
            return SimpleUploadedFile(name, b"PK\x03\x04 stored before it is read")

        with time_machine.travel("2026-11-09 10:00 +0800", tick=False):
            excel.do_receive_ledger(xlsx("东城实小台账.xlsx"), actor=self.school_admin)
            excel.do_receive_ledger(xlsx("东城实小台账（修改）.xlsx"), actor=self.school_admin)
            receive_roster(xlsx("东城区名册.xlsx"), actor=self.county_admin)
        with time_machine.travel("2026-10-30 16:00 +0800", tick=False):
            excel.do_receive_ledger(xlsx("十月台账.xlsx"), actor=self.school_admin)
        units = [self.school.pk, self.county.pk, self.institute.pk]
        november = selectors.burden(units, date(2026, 11, 1), date(2026, 11, 30))
        # Each file a person filled and uploaded counts once, for the unit they belong to,
        # whichever app took it in (a rejected one too: it was filled all the same).
        self.assertEqual(november[self.school.pk]["imports"], 2)
        self.assertEqual(november[self.county.pk]["imports"], 1)
        self.assertEqual(november[self.institute.pk]["imports"], 0)
        october = selectors.burden(units, date(2026, 10, 1), date(2026, 10, 31))
        self.assertEqual(october[self.school.pk]["imports"], 1)
        self.assertEqual(
            {log.model for log in registry.import_logs()},
            {"ledger.LedgerImport", "orgs.RosterImport", "evaluation.ScoreImport"},
        )
        labels = [str(f.label) for f in selectors.burden_labels()]
        self.assertIn("导入表格（台账、名册、评分等）", labels)

    def test_the_bulletins_timeliness_figures_count_reports_by_their_due_day(self) -> None:
        self.file("2026-11-06")  # the week of 2 November, due 10 November: on time
        self.file("2026-11-11", unit=self.institute, actor=self.institute_admin)  # late
        figures = selectors.figures_for(
            [self.school.pk, self.institute.pk], date(2026, 11, 1), date(2026, 11, 30)
        )
        # Due in November (Tuesdays 3, 10, 17, 24): the weeks of 26 Oct, 2, 9 and 16 November.
        self.assertEqual(figures[self.school.pk]["weekly_due"], 4)
        self.assertEqual(figures[self.school.pk]["weekly_on_time"], 1)
        self.assertEqual(figures[self.institute.pk]["weekly_late"], 1)

    def test_a_quarter_assessed_before_it_is_over_counts_only_the_days_gone(self) -> None:
        self.issue(title="开展教辅材料征订自查", due_workdays=10)  # due 16 November
        with time_machine.travel("2026-11-11 10:00 +0800", tick=False):
            assessment = assessments.check_create_assessment(
                actor=self.office_user, issuer=self.bureau, quarter="2026-Q4"
            )
            so_far = selectors.figures_for([self.school.pk], date(2026, 10, 1), date(2026, 11, 11))
            whole = selectors.figures_for([self.school.pk], date(2026, 10, 1), date(2026, 12, 31))
        self.assertEqual(assessment.ends_on, date(2026, 12, 31))  # the quarter it scores
        school = Score.objects.get(assessment=assessment, unit=self.school).figures
        # Only the weekly reports due by 11 November, and the task is not overdue before its
        # day — read for the whole quarter, the weeks still ahead would count as missing.
        self.assertEqual(school["weekly_due"], so_far[self.school.pk]["weekly_due"])
        self.assertLess(school["weekly_due"], whole[self.school.pk]["weekly_due"])
        self.assertNotIn("tasks_overdue", school)

    def test_a_bulletin_made_before_the_month_is_over_counts_only_the_days_gone(self) -> None:
        task = self.issue(title="开展教辅材料征订自查", due_workdays=10)  # due 16 November
        with time_machine.travel("2026-11-11 10:00 +0800", tick=False):
            bulletin = bulletins.check_create_bulletin(
                actor=self.office_user,
                issuer=self.bureau,
                month=date(2026, 11, 1),
                number="清教作〔2026〕11号",
                addressees="各县区教育局，局属各单位",
            )
        self.assertEqual(task.due_on, date(2026, 11, 16))
        self.assertEqual(bulletin.snapshot["end"], "2026-11-11")
        school = bulletin.snapshot["units"][str(self.school.pk)]
        # Due by 11 November: the weeks of 26 October and 2 November (the 17th and 24th are
        # still ahead), and the task is not overdue before its day.
        self.assertEqual(school["weekly_due"], 2)
        self.assertNotIn("tasks_overdue", school)

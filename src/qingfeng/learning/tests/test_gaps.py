from __future__ import annotations

from datetime import date

import time_machine

from qingfeng.core.jobs import enqueue_job, run_job
from qingfeng.core.models import Job, Notification
from qingfeng.learning import actions, gaps
from qingfeng.learning.models import GapNotice, Makeup, Pledge
from qingfeng.learning.tests.base import LearningCase, at
from qingfeng.lib.workdays import WorkCalendar
from qingfeng.orgs.models import User


class GapNoticeTestCase(LearningCase):
    def titles(self, user: User) -> list[str]:
        return list(Notification.objects.filter(recipient=user).values_list("title", flat=True))

    def hold_center_group(self, day: str) -> None:
        with time_machine.travel(at(f"{day} 16:00"), tick=False):
            session = self.plan("center_group", when=f"{day} 15:00")
            actions.check_hold_session(session, actor=self.school_admin, minutes="学习交流")

    def test_it_notifies_a_cadence_gap_once_on_working_days(self) -> None:
        self.hold_center_group("2026-11-05")
        # 24 December: six working days left in December, no alert yet.
        self.assertEqual(
            [n for n in self.titles(self.school_admin) if "中心组" in n and "12月" in n], []
        )
        gaps.notify_gaps(date(2026, 12, 24))
        self.assertFalse(GapNotice.objects.filter(key__contains=":2026-12-01:").exists())
        # 28 December (Monday): five left — the alert, to the school's administrator.
        new = gaps.notify_gaps(date(2026, 12, 28))
        self.assertGreater(new, 0)
        mine = [n for n in self.titles(self.school_admin) if "中心组" in n]
        self.assertEqual(len(mine), 1)
        self.assertIn("东城区实验小学", mine[0])
        self.assertIn("2026年12月", mine[0])
        self.assertIn("即将逾期", mine[0])
        # November was kept: nothing about it; the county's admin hears of the county only.
        self.assertFalse(any("东城区实验小学" in t for t in self.titles(self.county_admin)))
        # Once: the same day again, or the next day, sends nothing new about it.
        count = Notification.objects.count()
        self.assertEqual(gaps.notify_gaps(date(2026, 12, 28)), 0)
        self.assertEqual(Notification.objects.count(), count)
        gaps.notify_gaps(date(2026, 12, 29))
        self.assertEqual(len([n for n in self.titles(self.school_admin) if "中心组" in n]), 1)
        # January: December was missed — one more notice, of the miss.
        gaps.notify_gaps(date(2027, 1, 4))
        missed = [n for n in self.titles(self.school_admin) if "中心组" in n and "未落实" in n]
        self.assertEqual(len(missed), 1)
        self.assertIn("2026年12月", missed[0])

    def test_it_sends_nothing_on_a_day_off(self) -> None:
        self.assertEqual(gaps.notify_gaps(date(2026, 12, 26)), 0)  # a Saturday
        holiday = WorkCalendar(overrides={date(2026, 12, 28): False})
        self.assertEqual(gaps.notify_gaps(date(2026, 12, 28), calendar=holiday), 0)
        self.assertFalse(GapNotice.objects.exists())

    def test_it_notifies_a_late_makeup_to_its_person_once(self) -> None:
        with time_machine.travel(at("2026-12-10 16:00"), tick=False):
            session = self.plan("all_staff", when="2026-12-10 15:00")
            actions.check_hold_session(session, actor=self.school_admin, minutes="传达学习")
        mine = Makeup.objects.get(attendance__session=session, person=self.teacher.person)
        gaps.notify_gaps(mine.due_on)  # on the due day: not late yet
        self.assertFalse(GapNotice.objects.filter(kind=GapNotice.Kind.MAKEUP).exists())
        later = date(2026, 12, 28)
        gaps.notify_gaps(later)
        late = [t for t in self.titles(self.teacher) if "补课逾期" in t]
        self.assertEqual(len(late), 1)
        # The principal has no account: the school's administrators are told instead.
        self.assertTrue(any("韩国栋" in t for t in self.titles(self.school_admin)))
        gaps.notify_gaps(date(2026, 12, 29))
        self.assertEqual(len([t for t in self.titles(self.teacher) if "补课逾期" in t]), 1)

    def test_it_asks_for_the_quarterly_pledge_report_near_the_quarter_end(self) -> None:
        pledge = actions.check_issue_pledge(
            actor=self.office_user,
            issuer=self.bureau,
            group=Pledge.Group.ALL,
            title="2026年廉洁从教承诺书",
            text="严守中央八项规定精神",
            year=2026,
        )
        with time_machine.travel(at("2026-10-08 09:00"), tick=False):
            mine = actions.check_sign_pledge(pledge, person=self.teacher.person, actor=self.teacher)
            theirs = actions.check_sign_pledge(
                pledge, person=self.party_teacher.person, actor=self.party_teacher
            )
        with time_machine.travel(at("2026-12-20 09:00"), tick=False):
            actions.check_report_fulfilment(theirs, actor=self.party_teacher, text="拒收礼品")
        gaps.notify_gaps(date(2026, 12, 21))  # eight working days left: not yet
        self.assertEqual([t for t in self.titles(self.teacher) if "践诺" in t], [])
        gaps.notify_gaps(date(2026, 12, 28))
        gaps.notify_gaps(date(2026, 12, 29))
        self.assertEqual(len([t for t in self.titles(self.teacher) if "践诺" in t]), 1)
        self.assertEqual([t for t in self.titles(self.party_teacher) if "践诺" in t], [])
        self.assertTrue(GapNotice.objects.filter(key=f"fulfilment:{mine.pk}:2026Q4").exists())

    def test_the_registered_job_runs_the_sweep(self) -> None:
        job = enqueue_job(gaps.JOB, {"day": "2026-12-28"})
        self.assertTrue(run_job(job.pk))
        job.refresh_from_db()
        self.assertEqual(job.status, Job.Status.DONE)
        self.assertTrue(GapNotice.objects.filter(kind=GapNotice.Kind.CADENCE).exists())
        again = enqueue_job(gaps.JOB, {"day": "2026-12-28"})
        count = Notification.objects.count()
        run_job(again.pk)
        self.assertEqual(Notification.objects.count(), count)

from __future__ import annotations

from datetime import date

from qingfeng.core.actions import notify
from qingfeng.core.calendar import get_calendar
from qingfeng.core.models import AuditEvent, CalendarDay, CalendarYear
from qingfeng.test import BaseTestCase


class CalendarPageTestCase(BaseTestCase):
    def test_everyone_signed_in_reads_the_year(self) -> None:
        self.login(self.teacher)
        response = self.client.get("/core/calendar/", {"year": 2026})
        self.assertContains(response, "春节")
        self.assertNotContains(response, "登记节假日或调休上班日")  # read only

    def test_a_year_without_data_says_so(self) -> None:
        self.login(self.teacher)
        response = self.client.get("/core/calendar/", {"year": 2031})
        self.assertContains(response, "工作日暂按“周一至周五”计算")

    def test_the_system_admin_enters_next_years_schedule(self) -> None:
        self.login(self.system_admin)
        self.assertFalse(get_calendar().is_official(2031))
        response = self.client.post(
            "/core/calendar/days/",
            {"date": "2031年1月1日", "kind": "holiday", "name": "元旦"},
            follow=True,
        )
        self.assertContains(response, "已登记 2031-01-01")
        self.assertFalse(get_calendar().is_workday(date(2031, 1, 1)))  # a Wednesday, now a holiday
        self.assertTrue(get_calendar().is_official(2031))
        self.assertTrue(AuditEvent.objects.filter(action="core.calendar.set").exists())
        # a make-up working day on a Sunday
        self.client.post(
            "/core/calendar/days/", {"date": "2031.1.5", "kind": "workday", "name": "元旦调休上班"}
        )
        self.assertTrue(get_calendar().is_workday(date(2031, 1, 5)))
        entry = CalendarDay.objects.get(date=date(2031, 1, 5))
        self.client.post(f"/core/calendar/days/{entry.pk}/remove/")
        self.assertFalse(get_calendar().is_workday(date(2031, 1, 5)))

    def test_bad_input_changes_nothing(self) -> None:
        self.login(self.system_admin)
        before = CalendarDay.objects.count()
        response = self.client.post(
            "/core/calendar/days/",
            {"date": "2031-02-30", "kind": "holiday", "name": "x"},
            follow=True,
        )
        self.assertContains(response, "输入一个有效的日期")
        response = self.client.post(
            "/core/calendar/days/",
            {"date": "2031-01-04", "kind": "holiday", "name": "周六"},
            follow=True,
        )
        self.assertContains(response, "本来就是休息日，无需登记")
        self.assertEqual(CalendarDay.objects.count(), before)
        self.assertFalse(CalendarYear.objects.filter(year=2031).exists())

    def test_only_the_system_admin_edits(self) -> None:
        self.login(self.bureau_admin)
        response = self.client.post(
            "/core/calendar/days/", {"date": "2031-01-01", "kind": "holiday", "name": "元旦"}
        )
        self.assertEqual(response.status_code, 403)
        self.assertFalse(CalendarDay.objects.filter(date=date(2031, 1, 1)).exists())


class NotificationPageTestCase(BaseTestCase):
    def test_it_lists_and_marks_read(self) -> None:
        notify(recipient=self.teacher, title="整改提醒", body="请于 3 个工作日内反馈")
        notify(recipient=self.school_admin, title="别人的通知")
        self.login(self.teacher)
        page = self.client.get("/core/notifications/")
        self.assertContains(page, "整改提醒")
        self.assertNotContains(page, "别人的通知")
        self.assertEqual(page.context["unread_notifications"], 1)
        self.client.post("/core/notifications/read/")
        self.assertEqual(self.client.get("/").context["unread_notifications"], 0)

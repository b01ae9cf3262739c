"""The dashboard's frozen months, trends, rates, export and large screen (reports/monthly.py,
reports/dashboard.py): a month that is over is frozen once and later edits do not move it; an
issued bulletin's numbers replace the frozen ones; the trend reads the frozen table; the
workbook and the large screen show the page's numbers, inside the scope only."""

from __future__ import annotations

import io
import re
from collections import defaultdict
from datetime import date

import openpyxl
import pytest
import time_machine
from django.core.cache import cache
from django.db.models import Sum
from django.utils import timezone

from qingfeng.core.registry import Ratio
from qingfeng.orgs.models import Unit
from qingfeng.reports import actions, assessments, dashboard, monthly
from qingfeng.reports.models import FrozenMonth, MonthFigure
from qingfeng.reports.tests.base import NOVEMBER, BulletinCase

URL = "/dashboard/"
OCTOBER = date(2026, 10, 1)


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


class MonthlyCase(BulletinCase):
    def in_october(self, unit: Unit, day: str = "2026-10-15") -> None:
        with time_machine.travel(f"{day} 10:00 +0800", tick=False):
            self.problem(unit)

    def frozen(self, month: date, unit: Unit) -> dict[str, int]:
        rows = MonthFigure.objects.filter(month=month, unit__path__startswith=unit.path)
        return {r["key"]: r["n"] for r in rows.values("key").annotate(n=Sum("value"))}


class FreezeTestCase(MonthlyCase):
    def test_a_month_is_frozen_as_it_stood_and_later_records_do_not_move_it(self) -> None:
        self.in_october(self.school)
        self.in_october(self.school2, "2026-10-20")
        monthly.freeze(OCTOBER)
        ids = list(Unit.objects.filter(is_active=True).values_list("pk", flat=True))
        computed = monthly.compute(ids, OCTOBER, date(2026, 10, 31))
        stored: dict[int, dict[str, int]] = defaultdict(dict)
        for row in MonthFigure.objects.filter(month=OCTOBER):
            stored[row.unit_id][row.key] = row.value
        self.assertEqual(dict(stored), computed)
        self.assertEqual(self.frozen(OCTOBER, self.county)["problems_new"], 2)
        # A record of October entered afterwards: the frozen month does not move, the
        # dashboard of October shows what was frozen.
        self.in_october(self.school, "2026-10-25")
        self.login(self.bureau_admin)
        board = self.client.get(URL, {"month": "2026-10"}).context["board"]
        self.assertEqual(board.totals["problems_new"], 2)
        # Freezing again (the job retried) reads the records as they are now.
        monthly.freeze(OCTOBER)
        self.assertEqual(self.frozen(OCTOBER, self.county)["problems_new"], 3)

    def test_the_nightly_job_freezes_each_month_that_is_over_once(self) -> None:
        with time_machine.travel("2026-12-01 00:50 +0800", tick=False):
            done = monthly.freeze_due()
            self.assertEqual(done[-1], NOVEMBER)
            self.assertEqual(len(done), monthly.FREEZE_BACK)
            self.assertEqual(monthly.freeze_due(), [])
        self.assertTrue(FrozenMonth.objects.filter(month=NOVEMBER).exists())
        with self.assertRaises(ValueError):
            monthly.freeze(timezone.localdate().replace(day=1))

    def test_a_past_month_not_yet_frozen_is_frozen_when_asked(self) -> None:
        self.in_october(self.school)
        self.login(self.county_admin)
        board = self.client.get(URL, {"month": "2026-10"}).context["board"]
        self.assertEqual(board.totals["problems_new"], 1)
        self.assertTrue(FrozenMonth.objects.filter(month=OCTOBER).exists())


class BulletinMonthTestCase(MonthlyCase):
    def test_an_issued_bulletin_replaces_the_frozen_numbers_of_its_units(self) -> None:
        with time_machine.travel("2026-11-10 10:00 +0800", tick=False):
            self.problem(self.school)
        bulletin = self.draft()
        # A record of November entered after the bulletin was drafted, then the month frozen:
        # the freeze counts it, the issued bulletin does not, and the bulletin wins.
        with time_machine.travel("2026-11-20 10:00 +0800", tick=False):
            self.problem(self.school2)
        monthly.freeze(NOVEMBER)
        self.assertEqual(self.frozen(NOVEMBER, self.county)["problems_new"], 2)
        actions.check_approve_bulletin(bulletin, actor=self.leader)
        actions.check_issue_bulletin(bulletin, actor=self.office_user)
        bulletin.refresh_from_db()
        snapshot = bulletin.snapshot
        self.assertEqual(self.frozen(NOVEMBER, self.county)["problems_new"], 1)
        below = {
            k: v
            for k, v in self.frozen(NOVEMBER, self.bureau).items()
            if v and k in snapshot["totals"]
        }
        self.assertEqual(below, {k: v for k, v in snapshot["totals"].items() if v})
        # The next month's trend has November as the bulletin said.
        self.login(self.bureau_admin)
        response = self.client.get(URL, {"month": "2026-11"})
        self.assertEqual(response.context["board"].bulletin, bulletin)
        ledger = next(
            t for p in response.context["panels"] for t in p["sources"] if t["key"] == "ledger"
        )
        new = next(s for s in ledger["trend"]["series"] if s["key"] == "problems_new")
        self.assertEqual(new["values"][-1], snapshot["totals"]["problems_new"])


class TrendTestCase(MonthlyCase):
    def test_the_trend_reads_frozen_months_and_compares_with_the_month_before(self) -> None:
        self.in_october(self.school)
        self.in_october(self.school2)
        with time_machine.travel("2026-11-10 10:00 +0800", tick=False):
            self.problem(self.school)
        monthly.freeze(OCTOBER)
        self.login(self.county_admin)
        response = self.client.get(URL, {"month": "2026-11"})
        ledger = next(
            t for p in response.context["panels"] for t in p["sources"] if t["key"] == "ledger"
        )
        trend = ledger["trend"]
        self.assertEqual(trend["months"][-2:], ["2026-10", "2026-11"])
        self.assertEqual(len(trend["months"]), monthly.TREND_MONTHS)
        new = next(s for s in trend["series"] if s["key"] == "problems_new")
        # November (asked for, frozen then) 1, October 2, the months before never frozen.
        self.assertEqual(new["values"][-2:], [2, 1])
        self.assertIsNone(new["values"][0])
        self.assertEqual(
            new["month_on_month"], {"before": 2, "delta": -1, "size": 1, "percent": -50.0}
        )
        self.assertIsNone(new["year_on_year"])
        self.assertContains(response, 'data-testid="dashboard-changes-ledger"')
        self.assertContains(response, "↓1 (-50.0%)")
        # The chart's data is the table's.
        self.assertContains(response, 'id="qf-dashboard-data"')
        self.assertEqual(trend["table"][-1][0], "2026-11")


class RateTestCase(MonthlyCase):
    def test_a_rate_under_its_minimum_sample_is_greyed(self) -> None:
        ratio = Ratio("r", "满意率", "ok", "all", min_base=30)
        few = dashboard.rate(ratio, {"ok": 11, "all": 12})
        self.assertTrue(few.too_few)
        self.assertEqual(str(few), "91.7%")
        enough = dashboard.rate(ratio, {"ok": 90, "all": 100})
        self.assertFalse(enough.too_few)
        self.assertEqual(enough.interval_text, "82.6–94.5%")
        self.assertEqual(str(dashboard.rate(ratio, {})), "—")
        plain = Ratio("p", "出席率", "ok", "all")
        self.assertEqual(dashboard.rate(plain, {"ok": 1, "all": 3}).interval_text, "")


class ExportAndScreenTestCase(MonthlyCase):
    def test_the_workbook_has_the_pages_numbers_one_sheet_a_source(self) -> None:
        self.in_october(self.school)
        self.login(self.county_admin)
        page = self.client.get(URL, {"month": "2026-10"})
        response = self.client.get("/dashboard/export/", {"month": "2026-10"})
        self.assertEqual(response.status_code, 200)
        self.assertIn("spreadsheetml", response["Content-Type"])
        book = openpyxl.load_workbook(io.BytesIO(response.content))
        tables = [t for p in page.context["panels"] for t in p["sources"]]
        self.assertEqual(book.sheetnames, [str(t["label"])[:31] for t in tables])
        ledger = next(t for t in tables if t["key"] == "ledger")
        sheet = book[str(ledger["label"])]
        rows = list(sheet.iter_rows(min_row=5, values_only=True))
        self.assertEqual(rows[-1][0], "合计")
        self.assertEqual(
            list(rows[-1][1 : 1 + len(ledger["totals"])]), [c["value"] for c in ledger["totals"]]
        )
        names = [r[0] for r in rows[:-1]]
        self.assertIn(self.school.name, names)
        self.assertNotIn(self.other_school.name, names)
        one = self.client.get("/dashboard/export/", {"month": "2026-10", "source": "ledger"})
        self.assertEqual(openpyxl.load_workbook(io.BytesIO(one.content)).sheetnames, ["整改台账"])
        self.assertEqual(self.client.get("/dashboard/export/", {"source": "nope"}).status_code, 404)
        outside = self.client.get("/dashboard/export/", {"scope": self.other_county.pk})
        self.assertEqual(outside.status_code, 404)

    def test_the_large_screen_shows_the_scope_and_refreshes_itself(self) -> None:
        self.login(self.county_admin)
        response = self.client.get("/dashboard/screen/")
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, 'data-testid="dashboard-screen"')
        self.assertContains(response, 'data-refresh="120"')
        self.assertContains(response, self.county.name)
        self.assertNotContains(response, self.other_county.name)
        self.assertEqual(
            self.client.get("/dashboard/screen/", {"scope": self.other_county.pk}).status_code,
            404,
        )
        self.login(self.teacher)
        self.assertEqual(self.client.get("/dashboard/screen/").status_code, 403)

    def test_the_home_page_links_the_dashboard_for_those_who_may_open_it(self) -> None:
        self.login(self.county_admin)
        self.assertContains(self.client.get("/"), 'data-testid="dashboard-card"')
        self.login(self.teacher)
        self.assertNotContains(self.client.get("/"), 'data-testid="dashboard-card"')


class RhythmPanelTestCase(MonthlyCase):
    def test_the_months_bulletins_and_the_ranking_within_each_category(self) -> None:
        with time_machine.travel("2026-11-10 10:00 +0800", tick=False):
            self.problem(self.school)
        bulletin = self.draft()
        actions.check_approve_bulletin(bulletin, actor=self.leader)
        with time_machine.travel("2026-12-03 09:00 +0800", tick=False):
            actions.check_issue_bulletin(bulletin, actor=self.office_user)
            assessment = assessments.check_create_assessment(
                actor=self.office_user, issuer=self.bureau, quarter="2026-Q4"
            )
            assessments.check_approve_assessment(assessment, actor=self.leader)
            assessments.check_publish_assessment(assessment, actor=self.office_user)
        self.login(self.county_admin)
        response = self.client.get(URL, {"month": "2026-12"})
        self.assertContains(response, 'data-testid="dashboard-panel-rhythm"')
        self.assertContains(response, bulletin.number)
        self.assertContains(response, 'data-testid="dashboard-ranking"')
        self.assertContains(response, self.school.name)
        self.assertNotContains(response, self.other_school.name)  # its own county only
        # November's dashboard: issued in December, so not "this month's" bulletin there.
        november = self.client.get(URL, {"month": "2026-11"})
        self.assertNotContains(november, "本月印发的通报：<a")

    def test_every_number_of_the_ranking_opens_its_scores_and_counts_the_same(self) -> None:
        """Each category's count opens the assessment narrowed to the view's ranked units of
        that category (as many as the count); each rank and score opens the unit's score."""
        with time_machine.travel("2026-12-03 09:00 +0800", tick=False):
            assessment = assessments.check_create_assessment(
                actor=self.office_user, issuer=self.bureau, quarter="2026-Q4"
            )
            assessments.check_approve_assessment(assessment, actor=self.leader)
            assessments.check_publish_assessment(assessment, actor=self.office_user)
        views = [
            (self.county_admin, {}),
            (self.bureau_admin, {}),
            (self.bureau_admin, {"scope": str(self.county.pk)}),
            (self.leader, {}),
            (self.office_user, {}),
        ]
        checked = 0
        for user, query in views:
            self.login(user)
            cache.clear()
            response = self.client.get(URL, {"month": "2026-12", **query})
            extras = [html for stage in response.context["panels"] for html in stage["extras"]]
            panel = next(html for html in extras if "dashboard-panel-rhythm" in html)
            counts = re.findall(r'<a href="([^"]+)" data-testid="ranking-count">(\d+)</a>', panel)
            cells = re.findall(r'<td><a href="([^"]+)">(\d+)</a></td>', panel)
            cells += re.findall(r'<td class="text-end"><a href="([^"]+)">([\d.]+)</a></td>', panel)
            self.assertTrue(counts and cells, (user.username, query))
            # No number in the ranking without its link.
            self.assertFalse(re.findall(r"<td>\d+</td>|text-end\">[\d.]+</td>", panel))
            for link, number in counts:
                with self.subTest(user=user.username, query=query, link=link):
                    page = self.client.get(link.replace("&amp;", "&"))
                    self.assertEqual(page.status_code, 200)
                    self.assertEqual(page.context["narrowed"]["total"], int(number))
                    if user == self.county_admin:
                        self.assertNotContains(page, self.other_school.name)
                    checked += 1
            for link, number in cells:
                with self.subTest(user=user.username, query=query, link=link, number=number):
                    page = self.client.get(link.replace("&amp;", "&"))
                    self.assertEqual(page.status_code, 200)
                    # The unit's own score row, the one the number is from, is on the page.
                    anchor = link.rsplit("#", 1)[1]
                    self.assertContains(page, f'id="{anchor}"')
                    checked += 1
        self.assertGreater(checked, 10)
        self.login(self.county_admin)
        url = f"/reports/assessments/{assessment.pk}/"
        for bad in ({"unit": "x"}, {"category": "nonsense"}, {"unit": "999999"}):
            with self.subTest(bad=bad):
                self.assertEqual(self.client.get(url, bad).status_code, 404)

"""The dashboard (驾驶舱): each persona sees its scope and nothing outside it; a row is the
sum of every registered figure over its unit's subtree; units with units below drill down,
a school's numbers link to its records; a past month counts that month."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from qingfeng.core import registry
from qingfeng.core.models import AuditEvent
from qingfeng.intake.tests import objects as intake_objects
from qingfeng.ledger import deadlines as ledger_deadlines
from qingfeng.ledger.tests.base import LedgerTestCase
from qingfeng.orgs.models import Unit, User
from qingfeng.reports import actions, dashboard
from qingfeng.reports.models import WarningRules
from qingfeng.reports.tests.base import BulletinCase

URL = "/dashboard/"


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """The live figures are cached two minutes (reports/monthly.py): each test starts cold."""
    cache.clear()


class DashboardTestCase(LedgerTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.assigned(title="食堂卫生")
        self.assigned(title="课后服务收费", deadline_workdays=1)
        self.assigned(unit=self.school2, title="作业量过大", responsible_person=None)
        self.assigned(unit=self.other_school, title="外县问题", responsible_person=None)

    def subtree_figures(self, unit: Unit, *, own: bool = False) -> dict[str, int]:
        """Every registered figure summed over the unit (and, unless `own`, its subtree),
        counted here from the sources directly."""
        today = timezone.localdate()
        ids = [unit.pk] if own else list(Unit.objects.within(unit).values_list("pk", flat=True))
        totals: dict[str, int] = defaultdict(int)
        for source in registry.figure_sources():
            burden = {f.key for f in source.figures if f.burden}
            for values in source.compute(ids, today.replace(day=1), today).values():
                for key, value in values.items():
                    if key not in burden:
                        totals[key] += int(value)
        return {k: v for k, v in totals.items() if v}

    def rows(self, response) -> dict[int, dict[str, int]]:
        result = {}
        for row in response.context["board"].rows:
            result[row.unit.pk] = {k: v for k, v in row.figures.items() if v}
        return result

    def test_a_county_sees_itself_and_each_school_as_the_sum_of_their_records(self) -> None:
        self.login(self.county_admin)
        response = self.client.get(URL)
        self.assertEqual(response.status_code, 200)
        rows = self.rows(response)
        self.assertEqual(rows[self.county.pk], self.subtree_figures(self.county, own=True))
        for school in (self.school, self.school2):
            with self.subTest(school=school.name):
                figures = self.subtree_figures(school)
                self.assertEqual(
                    {k: v for k, v in rows[school.pk].items() if k in figures}, figures
                )
        self.assertEqual(rows[self.school.pk]["problems_new"], 2)
        self.assertNotIn(self.other_school.pk, rows)
        self.assertNotIn(self.other_county.pk, rows)
        # A school's numbers open the records behind them: its ledger list, narrowed.
        self.assertRegex(
            response.content.decode(),
            rf'href="{reverse("ledger:list")}\?figure=problems_new&amp;period_from=[0-9-]+'
            rf'&amp;period_to=[0-9-]+&amp;unit={self.school.pk}"',
        )

    def linked_cells(self, response) -> list[tuple[str, int]]:
        """Every number on the page that links to a list narrowed to it, with its value."""
        found = []
        for panel in response.context["panels"]:
            for table in panel["sources"]:
                for item in [*table["rows"], {"values": table["totals"]}]:
                    for cell in item["values"]:
                        if cell["link"] and "figure=" in cell["link"]:
                            found.append((cell["link"], cell["value"]))
        return found

    def test_every_number_equals_the_count_of_the_list_it_links_to(self) -> None:
        for _i in range(2):
            intake_objects.assigned(self)
        with time_machine.travel(timezone.now() - timedelta(days=35), tick=False):
            self.assigned(title="上月的问题")
        last_month = (timezone.localdate().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
        views: list[tuple[User, dict[str, Any]]] = [
            (self.county_admin, {}),
            (self.county_admin, {"month": last_month}),
            (self.bureau_admin, {}),
            (self.bureau_admin, {"scope": self.county.pk}),
            (self.school_admin, {}),
            (self.leader, {}),
        ]
        checked = nonzero = 0
        for user, query in views:
            self.login(user)
            cache.clear()
            cells = self.linked_cells(self.client.get(URL, query))
            self.assertTrue(cells, (user.username, query))
            for link, value in cells:
                with self.subTest(user=user.username, query=query, link=link):
                    listed = self.client.get(link)
                    self.assertEqual(listed.status_code, 200)
                    self.assertEqual(listed.context["figure"]["total"], value)
                    checked += 1
                    nonzero += value > 0
        self.assertGreater(nonzero, 10)  # not only zeros agree

    def test_the_bureau_drills_down_from_the_city_to_a_county(self) -> None:
        self.login(self.bureau_admin)
        city = self.client.get(URL)
        rows = self.rows(city)
        self.assertEqual(rows[self.county.pk], self.subtree_figures(self.county))
        self.assertEqual(rows[self.other_county.pk], self.subtree_figures(self.other_county))
        self.assertContains(city, f'href="?scope={self.county.pk}&amp;month=')
        totals = city.context["board"].totals
        self.assertEqual({k: v for k, v in totals.items() if v}, self.subtree_figures(self.bureau))
        county = self.client.get(URL, {"scope": self.county.pk})
        self.assertEqual(county.status_code, 200)
        self.assertEqual(
            [u.pk for u in county.context["board"].trail], [self.bureau.pk, self.county.pk]
        )
        self.assertIn(self.school.pk, self.rows(county))

    def test_nothing_outside_the_scope_opens_or_shows(self) -> None:
        self.login(self.county_admin)
        for scope in (self.other_county.pk, self.other_school.pk, self.bureau.pk, 999999):
            with self.subTest(scope=scope):
                self.assertEqual(self.client.get(URL, {"scope": scope}).status_code, 404)
        self.login(self.school_admin)
        response = self.client.get(URL)
        self.assertEqual(list(self.rows(response)), [self.school.pk])
        self.assertEqual(
            response.context["board"].lights["red"]
            + response.context["board"].lights["yellow"]
            + response.context["board"].lights["green"],
            2,
        )
        self.login(self.teacher)
        self.assertEqual(self.client.get(URL).status_code, 403)

    def test_a_past_month_counts_that_month(self) -> None:
        self.login(self.county_admin)
        response = self.client.get(URL, {"month": "2020-01"})
        board = response.context["board"]
        self.assertEqual((board.first, board.last), (date(2020, 1, 1), date(2020, 1, 31)))
        self.assertEqual(board.totals.get("problems_new", 0), 0)
        # A month to come, or nonsense, is the current month.
        for value in ("2999-01", "abc", "2026-13"):
            with self.subTest(month=value):
                cache.clear()  # the current month's view is kept: compute it each time
                board = self.client.get(URL, {"month": value}).context["board"]
                self.assertEqual(board.first, timezone.localdate().replace(day=1))

    def test_records_urls_carry_the_sources_own_query(self) -> None:
        self.assertEqual(
            dashboard.records_url("intake:queue?status=all", self.school),
            f"{reverse('intake:queue')}?status=all&unit={self.school.pk}",
        )
        self.assertEqual(dashboard.records_url(None, self.school), "")


class DashboardSnapshotTestCase(BulletinCase):
    def test_an_issued_months_dashboard_is_the_bulletins_snapshot(self) -> None:
        with time_machine.travel("2026-11-10 10:00 +0800", tick=False):
            self.problem(self.school)
        bulletin = self.draft()
        actions.check_approve_bulletin(bulletin, actor=self.leader)
        actions.check_issue_bulletin(bulletin, actor=self.office_user)
        bulletin.refresh_from_db()
        snapshot = bulletin.snapshot
        self.assertEqual(snapshot["totals"]["problems_new"], 1)
        # A record of November entered after the bulletin was issued: the dashboard of
        # November does not move (the live figures would).
        with time_machine.travel("2026-11-20 10:00 +0800", tick=False):
            self.problem(self.school2)
        self.login(self.bureau_admin)
        response = self.client.get(URL, {"month": "2026-11"})
        board = response.context["board"]
        self.assertEqual(board.bulletin, bulletin)
        self.assertContains(response, 'data-testid="dashboard-snapshot"')
        shown = {k: v for k, v in board.totals.items() if v}
        self.assertEqual(shown, {k: v for k, v in snapshot["totals"].items() if v})
        self.assertEqual(shown["problems_new"], 1)
        county = next(r for r in board.rows if r.unit.pk == self.county.pk)
        in_snapshot = next(c for c in snapshot["counties"] if c["id"] == self.county.pk)
        self.assertEqual(
            {k: v for k, v in county.figures.items() if v},
            {k: v for k, v in in_snapshot["figures"].items() if v},
        )
        # Another month is live.
        live = self.client.get(URL, {"month": "2026-10"}).context["board"]
        self.assertIsNone(live.bulletin)


class DashboardWarningTestCase(LedgerTestCase):
    def test_a_school_over_the_red_rule_is_listed_for_attention(self) -> None:
        over = dashboard.RULES["red_over"] + 1
        for i in range(over):
            self.assigned(title=f"逾期问题{i}", deadline_workdays=1)
        self.assigned(unit=self.school2, title="一个问题", responsible_person=None)
        ledger_deadlines.recompute_lights(timezone.localdate() + timedelta(days=30))
        self.login(self.county_admin)
        response = self.client.get(URL)
        warned = [(a.row.unit.pk, a.level, a.why) for a in response.context["board"].warnings]
        # Red first; the other school's one red problem is yellow (more than 0, at most 3).
        self.assertEqual(
            [(pk, level) for pk, level, _why in warned],
            [(self.school.pk, "red"), (self.school2.pk, "yellow")],
        )
        self.assertIn("红灯问题", warned[0][2])
        self.assertContains(response, 'data-level="red"')
        # One click opens a 督办 problem on the ledger's form, filled in for that school.
        self.assertContains(response, 'data-testid="dashboard-open-item"')
        form = self.client.get(
            "/ledger/new/", {"unit": self.school.pk, "source": "from_above", "title": warned[0][2]}
        )
        self.assertEqual(form.context["form"].initial["source"], "from_above")
        self.assertEqual(form.context["form"].initial["title"], warned[0][2])

    def test_the_office_sets_its_rules_and_the_units_below_follow_them(self) -> None:
        self.assigned(title="一个红灯", deadline_workdays=1)
        ledger_deadlines.recompute_lights(timezone.localdate() + timedelta(days=30))
        self.login(self.county_admin)
        # One red problem is yellow by default (more than 0, not more than 3).
        board = self.client.get(URL).context["board"]
        self.assertEqual(
            [(a.row.unit.pk, a.level) for a in board.warnings], [(self.school.pk, "yellow")]
        )
        rules_url = f"/dashboard/rules/?scope={self.bureau.pk}"
        self.assertEqual(self.client.get(rules_url).status_code, 404)  # outside the county
        # Only the unit's own office or bureau admin sets the rules; bad numbers change nothing.
        self.login(self.bureau_admin)
        page = self.client.get(rules_url)
        self.assertTrue(page.context["editable"])
        values = {f.key: str(f.default) for f in dashboard.RULE_FIELDS}
        bad = self.client.post(rules_url, {**values, "yellow_red_over": "5", "red_over": "2"})
        self.assertEqual(bad.status_code, 400)
        self.assertContains(bad, "黄色的红灯问题数不能多于红色的", status_code=400)
        for wrong in ("abc", "-1", "101"):
            response = self.client.post(rules_url, {**values, "satisfaction_below": wrong})
            self.assertEqual(response.status_code, 400)
        self.assertFalse(WarningRules.objects.exists())
        # Full-width digits are numbers too: red from 0 red problems on.
        with self.captureOnCommitCallbacks(execute=True):  # the kept views are dropped
            saved = self.client.post(
                rules_url, {**values, "red_over": "０", "yellow_red_over": "０"}
            )
        self.assertEqual(saved.status_code, 302)
        self.assertEqual(WarningRules.objects.get(unit=self.bureau).rules["red_over"], 0)
        self.assertTrue(AuditEvent.objects.filter(action="reports.warning_rules.set").exists())
        self.login(self.county_admin)
        board = self.client.get(URL).context["board"]
        self.assertEqual(board.rules_unit, self.bureau)
        self.assertEqual(
            [(a.row.unit.pk, a.level) for a in board.warnings], [(self.school.pk, "red")]
        )
        county_rules = self.client.get(f"/dashboard/rules/?scope={self.county.pk}")
        self.assertFalse(county_rules.context["editable"])
        self.assertEqual(
            self.client.post(f"/dashboard/rules/?scope={self.county.pk}", values).status_code, 403
        )

"""The dashboard's summaries (reports/monthly.py): the current month kept warm by a job and
read by the page (saying as of when; a stale summary is not shown), the subtree totals of
frozen months and weeks, the week view of the trend; a leader's counties each judged by their
own warning rules; the lights of a county from the ledger's kept counts."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone

from qingfeng.intake import actions as intake_actions
from qingfeng.intake.actions import handling as intake_handling
from qingfeng.intake.models import Ticket, TicketCategory
from qingfeng.intake.tests import objects as intake_objects
from qingfeng.ledger import deadlines as ledger_deadlines
from qingfeng.ledger import selectors as ledger_selectors
from qingfeng.ledger.models import Problem
from qingfeng.ledger.tests.base import LedgerTestCase
from qingfeng.orgs import actions as orgs_actions
from qingfeng.orgs.models import Role, Unit
from qingfeng.reports import monthly
from qingfeng.reports.models import (
    FrozenWeek,
    LiveFigure,
    LiveRun,
    MonthFigure,
    SubtreeFigure,
    WarningRules,
)
from qingfeng.test import make_user

URL = "/dashboard/"


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


def rows(response: Any) -> dict[int, dict[str, int]]:
    return {
        r.unit.pk: {k: v for k, v in r.figures.items() if v} for r in response.context["board"].rows
    }


def linked_cells(response: Any) -> list[tuple[str, int]]:
    found = []
    for panel in response.context["panels"]:
        for table in panel["sources"]:
            for item in [*table["rows"], {"values": table["totals"]}]:
                for cell in item["values"]:
                    if cell["link"] and "figure=" in cell["link"]:
                        found.append((cell["link"], cell["value"]))
    return found


class SummaryCase(LedgerTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.assigned(title="食堂卫生")
        self.assigned(unit=self.school2, title="作业量过大", responsible_person=None)
        self.assigned(unit=self.other_school, title="外县问题", responsible_person=None)
        intake_objects.assigned(self)

    def own_figures(self, units: list[Unit], first: Any, last: Any) -> dict[str, int]:
        totals: dict[str, int] = defaultdict(int)
        for values in monthly.compute([u.pk for u in units], first, last).values():
            for key, value in values.items():
                totals[key] += value
        return dict(totals)


class WarmSummaryTestCase(SummaryCase):
    def test_the_job_keeps_every_units_own_and_subtree_figures(self) -> None:
        monthly.warm()
        today = timezone.localdate()
        first = today.replace(day=1)
        stored: dict[int, dict[str, tuple[int, int]]] = defaultdict(dict)
        for row in LiveFigure.objects.all():
            stored[row.unit_id][row.key] = (row.own, row.subtree)
        for unit in (self.bureau, self.county, self.school, self.other_school):
            with self.subTest(unit=unit.name):
                own = self.own_figures([unit], first, today)
                subtree = self.own_figures(list(Unit.objects.within(unit)), first, today)
                self.assertEqual({k: v[0] for k, v in stored[unit.pk].items() if v[0]}, own)
                self.assertEqual({k: v[1] for k, v in stored[unit.pk].items()}, subtree)
        self.assertEqual(stored[self.bureau.pk]["problems_new"][1], 3)
        run = LiveRun.objects.get()
        self.assertEqual((run.first, run.last), (first, today))
        # Nothing changed: a second run writes no row.
        self.assertEqual(monthly.warm(), 0)

    def test_a_page_reads_the_summary_and_says_as_of_when(self) -> None:
        monthly.warm()
        self.login(self.county_admin)
        response = self.client.get(URL)
        board = response.context["board"]
        self.assertTrue(board.warm)
        self.assertEqual(rows(response)[self.school.pk]["problems_new"], 1)
        self.assertContains(response, 'data-testid="dashboard-as-of"')
        self.assertContains(response, f"当前为 {timezone.localtime(board.as_of):%H:%M} 的数字")
        # A problem registered after the run shows at the next run, not before.
        self.assigned(title="课后服务收费")
        cache.clear()
        self.assertEqual(rows(self.client.get(URL))[self.school.pk]["problems_new"], 1)
        self.assertGreater(monthly.warm(), 0)
        self.assertEqual(rows(self.client.get(URL))[self.school.pk]["problems_new"], 2)
        # A summary older than STALE_SECONDS (the worker stopped) is not shown: the page
        # counts the records itself.
        self.assigned(title="第三个问题")
        later = timezone.now() + timedelta(seconds=monthly.STALE_SECONDS + 30)
        with time_machine.travel(later, tick=False):
            cache.clear()
            response = self.client.get(URL)
            self.assertFalse(response.context["board"].warm)
            self.assertEqual(rows(response)[self.school.pk]["problems_new"], 3)
            self.assertContains(response, "从记录实时统计")

    def test_every_number_read_from_the_summary_equals_its_lists_count(self) -> None:
        monthly.warm()
        checked = 0
        for user, query in (
            (self.county_admin, {}),
            (self.bureau_admin, {}),
            (self.bureau_admin, {"scope": self.county.pk}),
            (self.leader, {}),
        ):
            self.login(user)
            response = self.client.get(URL, query)
            self.assertTrue(response.context["board"].warm)
            for link, value in linked_cells(response):
                with self.subTest(user=user.username, link=link):
                    listed = self.client.get(link)
                    self.assertEqual(listed.context["figure"]["total"], value)
                    checked += value > 0
        self.assertGreater(checked, 5)


class SubtreeTestCase(SummaryCase):
    def test_a_frozen_months_subtree_totals_are_the_sums_of_its_units(self) -> None:
        last_month = monthly.add_months(timezone.localdate().replace(day=1), -1)
        with time_machine.travel(timezone.now() - timedelta(days=35), tick=False):
            self.assigned(title="上月的问题")
        monthly.freeze(last_month)
        for unit in (self.bureau, self.county, self.school):
            with self.subTest(unit=unit.name):
                own: dict[str, int] = defaultdict(int)
                for row in MonthFigure.objects.filter(
                    month=last_month, unit__path__startswith=unit.path
                ):
                    own[row.key] += row.value
                subtree = SubtreeFigure.objects.filter(
                    period=SubtreeFigure.Period.MONTH, start=last_month, unit=unit
                )
                self.assertEqual({r.key: r.value for r in subtree}, dict(own))
        self.login(self.bureau_admin)
        board = self.client.get(URL, {"month": f"{last_month:%Y-%m}"}).context["board"]
        self.assertEqual(board.totals["problems_new"], 1)


class WeekTrendTestCase(SummaryCase):
    def test_the_week_view_reads_the_weeks_the_nightly_job_froze(self) -> None:
        today = timezone.localdate()
        monday = today - timedelta(days=today.weekday())
        last_week = monday - timedelta(weeks=1)
        with time_machine.travel(timezone.now() - timedelta(weeks=1), tick=False):
            self.assigned(title="上周的问题")
        monthly.freeze_due()
        self.assertEqual(FrozenWeek.objects.count(), monthly.TREND_WEEKS)
        self.login(self.county_admin)
        response = self.client.get(URL, {"trend": "week"})
        self.assertTrue(response.context["by_week"])
        ledger = next(
            t for p in response.context["panels"] for t in p["sources"] if t["key"] == "ledger"
        )
        trend = ledger["trend"]
        self.assertEqual(len(trend["months"]), monthly.TREND_WEEKS)
        self.assertEqual(trend["months"][-1], f"{last_week:%m-%d}")
        new = next(s for s in trend["series"] if s["key"] == "problems_new")
        expected = self.own_figures(
            list(Unit.objects.within(self.county)), last_week, last_week + timedelta(days=6)
        )
        self.assertEqual(new["values"][-1], expected["problems_new"])
        self.assertEqual(new["values"][-1], 1)
        self.assertEqual(new["month_on_month"]["before"], new["values"][-2])
        self.assertIsNone(new["year_on_year"])
        self.assertContains(response, "近 13 周数据表")
        self.assertContains(response, "按月看")
        # The month view links the week view.
        self.assertContains(self.client.get(URL), 'data-testid="dashboard-by-week"')


class LeaderRulesTestCase(SummaryCase):
    def test_each_county_side_by_side_is_judged_by_its_own_rules(self) -> None:
        # A leader whose role holds two counties (包片) sees them side by side.
        leader = make_user("two_counties", unit=self.county, role=Role.LEADER, name="周两县")
        orgs_actions.do_grant_role(leader, actor=None, role=Role.LEADER, unit=self.other_county)
        for _i in range(2):
            self.assigned(
                unit=self.other_school,
                title="外县逾期",
                deadline_workdays=1,
                responsible_person=None,
            )
        self.assigned(title="本县逾期", deadline_workdays=1)
        ledger_deadlines.recompute_lights(timezone.localdate() + timedelta(days=30))
        self.assertGreater(Problem.objects.filter(light="red").count(), 2)
        # 西山县 tolerates up to 10 red problems (as its office set them); 东城区 none at all.
        WarningRules.objects.create(
            unit=self.other_county,
            rules={"red_over": 10, "yellow_red_over": 10},
            updated_by=self.bureau_admin,
        )
        WarningRules.objects.create(
            unit=self.county,
            rules={"red_over": 0, "yellow_red_over": 0},
            updated_by=self.bureau_admin,
        )
        self.login(leader)
        board = self.client.get(URL).context["board"]
        self.assertIsNone(board.scope)
        self.assertEqual([r.unit for r in board.rows], [self.county, self.other_county])
        self.assertEqual(
            [(a.row.unit.pk, a.level) for a in board.warnings], [(self.county.pk, "red")]
        )


class LightsTestCase(SummaryCase):
    def test_a_countys_lights_count_its_problems_only(self) -> None:
        self.assigned(title="逾期", deadline_workdays=1)
        ledger_deadlines.recompute_lights(timezone.localdate() + timedelta(days=30))
        for user, query, unit in (
            (self.bureau_admin, {}, self.bureau),
            (self.bureau_admin, {"scope": self.county.pk}, self.county),
            (self.county_admin, {}, self.county),
        ):
            self.login(user)
            lights = self.client.get(URL, query).context["board"].lights
            counted = Problem.objects.filter(unit__path__startswith=unit.path).exclude(
                status__in=ledger_selectors.NOT_COUNTED
            )
            with self.subTest(user=user.username, query=query):
                for light in ("red", "yellow"):
                    self.assertEqual(lights[light], counted.filter(light=light).count())
                self.assertGreater(lights["red"], 0)


class OwnRowTestCase(SummaryCase):
    def test_the_own_row_of_a_county_links_to_its_own_records(self) -> None:
        self.assigned(unit=self.county, title="县局本级问题", responsible_person=None)
        for warm in (False, True):
            if warm:
                monthly.warm()
            self.login(self.county_admin)
            response = self.client.get(URL)
            ledger = next(
                t for p in response.context["panels"] for t in p["sources"] if t["key"] == "ledger"
            )
            own = next(item for item in ledger["rows"] if item["row"].own)
            cells = [c for c in own["values"] if c["link"]]
            self.assertTrue(cells)
            for cell in cells:
                with self.subTest(warm=warm, link=cell["link"]):
                    self.assertIn(f"unit={self.county.pk}&own=1", cell["link"])
                    listed = self.client.get(cell["link"])
                    self.assertEqual(listed.context["figure"]["total"], cell["value"])
            new = next(c for c in own["values"] if "figure=problems_new&" in c["link"])
            self.assertEqual(new["value"], 1)  # the county's own, not its schools' 3
            # The list keeps the narrowing on its next page and filters.
            page = self.client.get(new["link"]).content.decode()
            self.assertIn('name="own"', page)

    def test_every_sources_own_row_links_to_the_units_own_records(self) -> None:
        """Not only the ledger: each source whose list takes `own=1` (all of them now) links
        the county's own row to the county's own records, counting the same, and its
        schools' records are not among them."""
        ticket, _code = intake_actions.check_submit_ticket(
            kind=Ticket.Kind.COMPLAINT,
            category=TicketCategory.objects.get(name="乱收费乱办班乱订资料"),
            unit=self.county,
            title="县局窗口办事难",
            content="县教育局窗口多次让群众跑腿。",
            anonymous=True,
        )
        intake_handling.do_accept(ticket, actor=self.bureau_admin)
        intake_handling.check_assign(ticket, actor=self.bureau_admin, unit=self.county)
        intake_objects.assigned(self)  # a school's ticket: in the county's subtree, not its own
        self.login(self.county_admin)
        response = self.client.get(URL)
        sources = {s.key: s for s in response.context["board"].sources}
        checked = set()
        for table in (t for p in response.context["panels"] for t in p["sources"]):
            own = next(item for item in table["rows"] if item["row"].own)
            for cell in own["values"]:
                if not cell["link"]:
                    continue
                with self.subTest(source=table["key"], link=cell["link"]):
                    self.assertTrue(sources[table["key"]].own_records)
                    self.assertIn(f"unit={self.county.pk}&own=1", cell["link"])
                    listed = self.client.get(cell["link"])
                    self.assertEqual(listed.status_code, 200)
                    if "figure=" in cell["link"]:
                        self.assertEqual(listed.context["figure"]["total"], cell["value"])
                    checked.add(table["key"])
        self.assertTrue({"ledger", "intake", "learning", "evaluation", "oversight"} <= checked)
        received = self.client.get(
            next(
                c["link"]
                for t in (t for p in response.context["panels"] for t in p["sources"])
                if t["key"] == "intake"
                for item in t["rows"]
                if item["row"].own
                for c in item["values"]
                if "figure=tickets_received&" in c["link"]
            )
        )
        self.assertEqual(received.context["figure"]["total"], 1)  # the county's, not the school's

    def test_a_figures_page_opened_bare_lists_this_months_numbers_with_their_counts(
        self,
    ) -> None:
        """/…/figures/ without parameters: no errors about missing ones, but this month's
        listed figures, each with the count of the list it opens (and `own=1` kept)."""
        self.login(self.county_admin)
        for url in ("/learning/figures/", "/oversight/figures/", "/campaigns/figures/"):
            for query in ({}, {"unit": str(self.county.pk), "own": "1"}):
                with self.subTest(url=url, query=query):
                    page = self.client.get(url, query)
                    self.assertEqual(page.status_code, 200)
                    self.assertNotContains(page, 'data-testid="figure-errors"')
                    choices = page.context["choices"]
                    self.assertTrue(choices)
                    for choice in choices:
                        self.assertEqual(query.get("own") == "1", "&own=1" in choice["link"])
                        listed = self.client.get(url + choice["link"])
                        self.assertEqual(listed.context["figure"]["total"], choice["total"])

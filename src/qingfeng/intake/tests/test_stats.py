"""Public statistics: numbers worked out by hand on a small city, the county filter, the
suppression of small counties, merged duplicates counted once, the cache.

The tickets (today is Monday 2026-03-16; acceptance within 1 working day, reply within 15):

  about 东城区实验小学 (东城区)              about 西山县第一中学 (西山县)
  t1 03-02 accepted 03-02, replied 03-05, rated 5     t4 03-02 never accepted (late)
  t2 03-02 accepted 03-04 (late), replied, rated 3    t5 03-13 waiting, due today (not late)
  t3 03-02 merged into t1, answered, rated 4
  t6 03-02 declined 03-02
  t8 01-05 accepted 01-05, replied 02-10 (due 01-26: late)
  t9 01-05 accepted 01-05, never replied (late)

Matters: 7 (t3 is t1's duplicate). Acceptance: decided t1 t2 t6 t8 t9, on time all but t2,
plus t4 waiting past its due date: 4 / 6. Reply: answered t1 t2 t8, on time t1 t2, plus t9
past its due date: 2 / 4. Ratings 5, 3, 4: two of three satisfied, average 4.
"""

from __future__ import annotations

from typing import Any

import time_machine
from django.core.cache import cache
from django.test import override_settings
from django.utils import timezone

from qingfeng.intake import actions, stats
from qingfeng.intake.actions import handling
from qingfeng.intake.models import Ticket, TicketCategory
from qingfeng.intake.tests.handling_base import IntakeTestCase, submit_ticket

TODAY = "2026-03-16 10:00 +0800"


class StatsTestCase(IntakeTestCase):
    other: TicketCategory

    @classmethod
    def at(cls, moment: str) -> Any:
        return time_machine.travel(f"{moment} +0800", tick=False)

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.other = TicketCategory.objects.exclude(pk=cls.category.pk).order_by("sort_order")[0]
        make = cls.file
        with cls.at("2026-01-05 09:00"):
            t8 = handling.do_accept(make(), actor=cls.bureau_admin)
            handling.do_accept(make(), actor=cls.bureau_admin)  # t9
            t8 = handling.check_assign(t8, actor=cls.bureau_admin, unit=cls.school, handler=None)
        with cls.at("2026-02-10 09:00"):
            handling.check_reply(t8, actor=cls.school_admin, body="已整改")
        with cls.at("2026-03-02 09:00"):
            t1 = handling.do_accept(make(), actor=cls.bureau_admin)
            t2 = make()
            t3 = make()
            make(unit=cls.other_school, category=cls.other)  # t4
            handling.check_decline(  # t6
                make(), actor=cls.bureau_admin, reason="不属于受理范围"
            )
            t1 = handling.check_assign(t1, actor=cls.bureau_admin, unit=cls.school, handler=None)
        with cls.at("2026-03-04 09:00"):
            t2 = handling.do_accept(t2, actor=cls.bureau_admin)
            t2 = handling.check_assign(t2, actor=cls.bureau_admin, unit=cls.school, handler=None)
        with cls.at("2026-03-05 09:00"):
            handling.check_reply(t1, actor=cls.school_admin, body="已退还费用")
            handling.check_merge(t3, actor=cls.bureau_admin, master=Ticket.objects.get(pk=t1.pk))
        with cls.at("2026-03-10 09:00"):
            handling.check_reply(t2, actor=cls.school_admin, body="已处理")
            for ticket, rating in ((t1, 5), (t2, 3), (t3, 4)):
                actions.check_rate(Ticket.objects.get(pk=ticket.pk), rating=rating, comment="")
        with cls.at("2026-03-13 09:00"):
            make(unit=cls.other_school)

    @classmethod
    def file(cls, **overrides: Any) -> Ticket:
        fields: dict[str, Any] = {
            "kind": Ticket.Kind.COMPLAINT,
            "category": cls.category,
            "unit": cls.school,
            "title": "老师要求购买指定教辅",
            "content": "班主任要求每人购买120元教辅。",
            "anonymous": True,
        }
        ticket, _code = submit_ticket(**{**fields, **overrides})
        return ticket

    def setUp(self) -> None:
        cache.clear()

    def compute(self, county: Any = None) -> stats.Stats:
        with time_machine.travel(TODAY, tick=False):
            return stats.compute(county, timezone.localdate())

    def test_it_counts_a_matter_once_and_works_out_the_rates(self) -> None:
        data = self.compute()
        self.assertEqual(data.total, 7)
        self.assertEqual((data.accept.done, data.accept.of, data.accept.percent), (4, 6, 66.7))
        self.assertEqual((data.reply.done, data.reply.of, data.reply.percent), (2, 4, 50.0))
        self.assertEqual((data.rated, data.satisfied, data.average_rating), (3, 2, 4.0))
        self.assertEqual(data.satisfied_rate.percent, 66.7)

    def test_it_counts_by_status_category_and_month(self) -> None:
        data = self.compute()
        self.assertEqual(
            dict(data.by_status),
            {"received": 2, "declined": 1, "accepted": 1, "replied": 1, "closed": 2},
        )
        self.assertEqual(dict(data.by_category), {self.category.name: 6, self.other.name: 1})
        self.assertEqual(len(data.by_month), 12)
        self.assertEqual(data.by_month[0], ("2025-04", 0))
        self.assertEqual(data.by_month[-3:], [("2026-01", 2), ("2026-02", 0), ("2026-03", 5)])
        self.assertEqual(sum(n for _m, n in data.by_month), data.total)

    def test_a_county_counts_only_tickets_about_its_units(self) -> None:
        east = self.compute(self.county)
        self.assertEqual(east.total, 5)
        self.assertEqual((east.accept.done, east.accept.of), (4, 5))
        self.assertEqual((east.reply.done, east.reply.of), (2, 4))
        west = self.compute(self.other_county)
        self.assertEqual(west.total, 2)
        self.assertEqual((west.accept.done, west.accept.of), (0, 1))
        self.assertEqual(west.rated, 0)
        self.assertIsNone(west.average_rating)

    def test_it_takes_a_fixed_number_of_aggregate_queries(self) -> None:
        with time_machine.travel(TODAY, tick=False), self.assertNumQueries(3):
            stats.cached(None)
        with time_machine.travel(TODAY, tick=False), self.assertNumQueries(0):
            stats.cached(None)  # from the cache

    @override_settings(QF_STATS_CACHE_SECONDS=300)
    def test_out_of_date_numbers_are_recomputed_by_one_request_at_a_time(self) -> None:
        with time_machine.travel(TODAY, tick=False):
            first = stats.cached(None)
        with time_machine.travel("2026-03-16 10:06 +0800", tick=False):  # six minutes on
            key = f"qf:intake:stats:{stats.CACHE_VERSION}:city:2026-03-16"
            cache.add(f"{key}:busy", 1, 60)  # another request is recomputing right now
            with self.assertNumQueries(0):
                self.assertEqual(stats.cached(None), first)  # the last numbers meanwhile
            cache.delete(f"{key}:busy")
            with self.assertNumQueries(3):
                stats.cached(None)  # this request recomputes
            with self.assertNumQueries(0):
                stats.cached(None)

    def test_the_page_shows_the_city_in_numbers_and_tables(self) -> None:
        with time_machine.travel(TODAY, tick=False):
            response = self.client.get("/report/stats/")
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, 'data-testid="stats-total">7<')
        self.assertContains(response, 'data-testid="stats-accept">66.7%<')
        self.assertContains(response, 'data-testid="stats-reply">50.0%<')
        self.assertContains(response, 'data-testid="stats-satisfied">66.7%<')
        self.assertContains(response, '<td>2026-03</td><td class="text-end">5</td>', html=False)
        self.assertContains(response, 'id="qf-stats-data"')
        # Numbers only: nothing of what was written, nor any school.
        self.assertNotContains(response, "教辅")
        self.assertNotContains(response, "实验小学")
        landing = self.client.get("/report/")
        self.assertContains(landing, 'href="/report/stats/"')

    def test_a_small_county_is_not_shown_on_its_own(self) -> None:
        with time_machine.travel(TODAY, tick=False):
            response = self.client.get("/report/stats/", {"county": self.county.pk})
            self.assertContains(response, 'data-testid="stats-hidden"')
            self.assertNotContains(response, 'data-testid="stats-total"')
            self.assertNotContains(response, 'id="qf-stats-data"')
            with override_settings(QF_STATS_MIN_COUNT=5):
                shown = self.client.get("/report/stats/", {"county": self.county.pk})
                hidden = self.client.get("/report/stats/", {"county": self.other_county.pk})
        self.assertContains(shown, 'data-testid="stats-total">5<')
        self.assertContains(shown, "东城区教育局")
        self.assertContains(hidden, 'data-testid="stats-hidden"')

    def test_an_unknown_county_is_a_clear_not_found(self) -> None:
        for value in ("abc", str(self.school.pk), "999999"):
            response = self.client.get("/report/stats/", {"county": value})
            self.assertContains(response, "未找到该县区", status_code=404)

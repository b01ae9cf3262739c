"""The list kit on its own, over core's own tables: jobs (ordered by attempts, ties by id) and
calendar days (ordered by date)."""

from __future__ import annotations

from datetime import date, timedelta
from functools import partial
from typing import Any

from django import forms
from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.test import RequestFactory, TestCase
from django_htmx.middleware import HtmxDetails

from qingfeng.core.listing import (
    Cursor,
    KeysetList,
    UrgencyCursor,
    count_lights,
    page_after,
)
from qingfeng.core.models import CalendarDay, Job


class ByAttempts(Cursor):
    keys = (("attempts", int), ("id", int))


class ByDay(Cursor):
    keys = (("date", date), ("id", int))


# Job statuses standing in for the lights, so that the counts have a column to group by.
STATUS_LIGHTS = {"red": Job.Status.FAILED, "yellow": Job.Status.RUNNING, "green": Job.Status.DONE}


class JobFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=20)
    status = forms.ChoiceField(required=False, choices=[("", "—"), *Job.Status.choices])


def select_jobs(user: Any, data: dict[str, Any]) -> QuerySet[Job]:
    jobs = Job.objects.all()
    if data.get("status"):
        jobs = jobs.filter(status=data["status"])
    if data.get("q"):
        jobs = jobs.filter(kind__contains=data["q"])
    return jobs


JOBS = KeysetList(
    form=JobFilterForm,
    parse=lambda user, data: data,
    select=select_jobs,
    page=partial(page_after, order=ByAttempts),
    cursor=ByAttempts,
    lights=partial(count_lights, column="status", codes=STATUS_LIGHTS),
    search_field="q",
    template="jobs.html",
    fragment="partials/job_rows.html",
    page_size=3,
)


def make_jobs(*attempts: int, status: str = Job.Status.PENDING) -> list[Job]:
    return [Job.objects.create(kind="test", attempts=n, status=status) for n in attempts]


class CursorTestCase(TestCase):
    def test_it_round_trips_through_its_text(self) -> None:
        cursor = UrgencyCursor((2, date(2026, 3, 31), 17))
        self.assertEqual(cursor.encode(), "2.2026-03-31.17")
        self.assertEqual(UrgencyCursor.decode("2.2026-03-31.17"), cursor)
        self.assertEqual(UrgencyCursor.order(), ("urgency", "due_key", "id"))

    def test_it_refuses_what_is_not_a_cursor_of_its_order(self) -> None:
        for text in (
            "",
            "2.2026-03-31",  # too few keys
            "2.2026-03-31.17.1",  # too many
            "x.2026-03-31.17",
            "2.2026-13-31.17",  # no such month
            "2.17.2026-03-31",  # keys in the wrong places
            f"2.2026-03-31.{2**63}",  # outside a 64-bit column
            "2.2026-03-31.",
        ):
            with self.subTest(text=text):
                self.assertIsNone(UrgencyCursor.decode(text))

    def test_it_is_the_last_rows_keys(self) -> None:
        (job,) = make_jobs(4)
        self.assertEqual(ByAttempts.of(job), ByAttempts((4, job.pk)))


class PageAfterTestCase(TestCase):
    def test_pages_cover_every_row_once_with_ties_broken_by_id(self) -> None:
        # Created out of order, so that the id order is not the attempts order.
        jobs = make_jobs(1, 0, 1, 1, 0, 2, 1)
        expected = [j.pk for j in sorted(jobs, key=lambda j: (j.attempts, j.pk))]
        seen: list[int] = []
        cursor: ByAttempts | None = None
        pages = 0
        while True:
            rows, cursor = page_after(Job.objects.all(), cursor, 3, order=ByAttempts)
            seen += [j.pk for j in rows]
            pages += 1
            if cursor is None:
                break
            self.assertEqual(cursor, ByAttempts.of(rows[-1]))
            # The cursor survives the trip through a URL.
            cursor = ByAttempts.decode(cursor.encode())
        self.assertEqual(seen, expected)
        self.assertEqual(pages, 3)

    def test_a_full_last_page_has_no_next_cursor(self) -> None:
        make_jobs(0, 1, 2)
        rows, cursor = page_after(Job.objects.all(), None, 3, order=ByAttempts)
        self.assertEqual(len(rows), 3)
        self.assertIsNone(cursor)

    def test_date_keys_compare_as_dates(self) -> None:
        start = date(2099, 10, 1)  # a year no holiday schedule covers
        days = [
            CalendarDay.objects.create(date=start + timedelta(days=n), is_workday=False)
            for n in (5, 0, 12, 3)
        ]
        expected = [d.pk for d in sorted(days, key=lambda d: d.date)]
        year = CalendarDay.objects.filter(date__year=2099)
        first, cursor = page_after(year, None, 2, order=ByDay)
        assert cursor is not None
        self.assertEqual(cursor.encode(), f"2099-10-04.{first[-1].pk}")
        second, last = page_after(year, ByDay.decode(cursor.encode()), 2, order=ByDay)
        self.assertEqual([d.pk for d in first + second], expected)
        self.assertIsNone(last)


class CountLightsTestCase(TestCase):
    def test_it_counts_each_light_in_one_query_and_leaves_out_rows_of_none(self) -> None:
        make_jobs(0, 0, status=Job.Status.FAILED)
        make_jobs(0, status=Job.Status.DONE)
        make_jobs(0, 0, 0, status=Job.Status.PENDING)  # no light
        with self.assertNumQueries(1):
            counts = count_lights(Job.objects.all(), column="status", codes=STATUS_LIGHTS)
        self.assertEqual(counts, {"red": 2, "yellow": 0, "green": 1})

    def test_it_counts_within_the_filter(self) -> None:
        make_jobs(0, 1, status=Job.Status.FAILED)
        counts = count_lights(Job.objects.filter(attempts=1), column="status", codes=STATUS_LIGHTS)
        self.assertEqual(counts, {"red": 1, "yellow": 0, "green": 0})


class KeysetListTestCase(TestCase):
    user = AnonymousUser()

    def get(self, query: dict[str, str], *, htmx: bool = False) -> Any:
        headers = {"HX-Request": "true"} if htmx else {}
        request = RequestFactory().get("/jobs/", query, headers=headers)
        request.htmx = HtmxDetails(request)  # type: ignore[attr-defined]
        return JOBS.read(request, self.user)  # type: ignore[arg-type]

    def setUp(self) -> None:
        self.jobs = make_jobs(0, 1, 2, 3, status=Job.Status.FAILED) + make_jobs(
            4, status=Job.Status.DONE
        )

    def test_the_first_page_has_the_counts_and_the_next_cursor(self) -> None:
        listing = self.get({"status": ""})
        self.assertEqual(listing.template, "jobs.html")
        self.assertEqual([j.pk for j in listing.rows], [j.pk for j in self.jobs[:3]])
        self.assertEqual(listing.lights, {"red": 4, "yellow": 0, "green": 1})
        self.assertEqual(listing.context["next_cursor"], f"2.{self.jobs[2].pk}")
        self.assertEqual(listing.context["query"], "status=")

    def test_htmx_asking_for_more_gets_the_rows_alone_without_counts(self) -> None:
        first = self.get({"status": "failed"})
        after = {"status": "failed", "after": first.context["next_cursor"]}
        more = self.get(after, htmx=True)
        self.assertEqual(more.template, "partials/job_rows.html")
        self.assertEqual([j.pk for j in more.rows], [self.jobs[3].pk])
        self.assertIsNone(more.lights)
        self.assertEqual(more.context["next_cursor"], "")
        self.assertEqual(more.context["query"], "status=failed")  # the cursor is not kept
        # The same address without htmx (a link opened in a new tab) is the full page.
        self.assertEqual(self.get(after).template, "jobs.html")

    def test_a_tampered_cursor_starts_from_the_first_page(self) -> None:
        listing = self.get({"after": "2.x"}, htmx=True)
        self.assertEqual(listing.template, "jobs.html")
        self.assertEqual([j.pk for j in listing.rows], [j.pk for j in self.jobs[:3]])
        self.assertIsNotNone(listing.lights)

    def test_a_free_text_search_shows_rows_but_no_counts(self) -> None:
        listing = self.get({"q": "test"})
        self.assertEqual(len(listing.rows), 3)
        self.assertIsNone(listing.lights)

    def test_a_filter_that_does_not_parse_filters_nothing_and_says_why(self) -> None:
        listing = self.get({"status": "nonsense"})
        self.assertEqual(listing.filter, {})
        self.assertIn("status", listing.form.errors)
        self.assertEqual(listing.lights, {"red": 4, "yellow": 0, "green": 1})


class ListPartialsTestCase(TestCase):
    def test_the_light_chips_link_to_each_light_within_the_filters(self) -> None:
        html = render_to_string(
            "core/partials/light_counts.html",
            {"lights": {"red": 2, "yellow": 0, "green": 7}, "query": "unit=3"},
        )
        self.assertIn('data-testid="light-counts"', html)
        self.assertIn('href="?unit=3&light=red"', html)
        self.assertIn('<strong class="ms-1">7</strong>', html)
        self.assertEqual(render_to_string("core/partials/light_counts.html", {}).strip(), "")

    def test_the_more_row_asks_htmx_for_the_rows_after_the_cursor(self) -> None:
        html = render_to_string(
            "core/partials/more_row.html",
            {"next_cursor": "0.2026-11-23.5", "query": "q=x", "colspan": 9},
        )
        self.assertIn('colspan="9"', html)
        self.assertIn('hx-get="?q=x&after=0.2026-11-23.5"', html)
        self.assertIn('hx-target="#more-row"', html)
        self.assertEqual(render_to_string("core/partials/more_row.html", {}).strip(), "")

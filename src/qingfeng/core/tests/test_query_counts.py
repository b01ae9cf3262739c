"""Pinned query counts for the detail pages: each page costs a fixed number of queries, and
the same number whatever the record holds (events, evidence, messages, people) — an N+1
that creeps in fails here. The navigation and the home page are pinned in test_registry, and
there too that reading a page writes nothing (the session is not saved on a read)."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from qingfeng.intake import actions as intake_actions
from qingfeng.intake.tests.handling_base import IntakeTestCase
from qingfeng.ledger import actions as ledger_actions
from qingfeng.ledger.models import Feedback
from qingfeng.ledger.tests.base import LedgerTestCase, png
from qingfeng.orgs.models import Person
from qingfeng.test import make_user


def queries(test: object, url: str) -> int:
    client = test.client  # type: ignore[attr-defined]
    client.get(url)  # the session and caches warm, as on a user's second page
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    test.assertEqual(response.status_code, 200)  # type: ignore[attr-defined]
    return len(context)


class ProblemPageTestCase(LedgerTestCase):
    PINNED = 17  # with the problem's offline publications (线下公开) and the rules answering it

    def test_a_problem_page_costs_the_same_however_much_it_holds(self) -> None:
        problem = self.rectifying()
        url = reverse("ledger:detail", args=[problem.pk])
        self.login(self.county_admin)
        ledger_actions.check_add_feedback(
            problem, actor=self.county_admin, kind=Feedback.Kind.REPORTER_ANSWER, text="已答复"
        )
        small = queries(self, url)
        for n in range(4):
            ledger_actions.check_report_progress(
                problem,
                actor=self.teacher,
                progress=70 + n,
                text=f"第{n}次",
                files=[(png(), "after")],
            )
            ledger_actions.check_add_feedback(
                problem, actor=self.county_admin, kind=Feedback.Kind.REPORTER_ANSWER, text="已答复"
            )
        self.assertEqual(queries(self, url), small)
        self.assertEqual(small, self.PINNED)


class TicketPageTestCase(IntakeTestCase):
    PINNED = 18  # one of them the roster around the unit, for masking the content

    def test_a_ticket_page_costs_the_same_however_much_it_holds(self) -> None:
        ticket = self.assigned()
        url = reverse("intake:detail", args=[ticket.pk])
        self.login(self.bureau_admin)
        intake_actions.check_add_note(ticket, actor=self.bureau_admin, body="备注")
        intake_actions.check_add_reporter_message(ticket, body="补充")
        small = queries(self, url)
        for n in range(4):
            intake_actions.check_add_note(ticket, actor=self.bureau_admin, body=f"备注{n}")
            intake_actions.check_add_reporter_message(ticket, body=f"补充{n}")
        self.assertEqual(queries(self, url), small)
        self.assertEqual(small, self.PINNED)


class OrgPagesTestCase(LedgerTestCase):
    UNIT_PINNED = 10
    PERSON_PINNED = 6

    def test_a_unit_page_costs_the_same_however_many_people_it_has(self) -> None:
        url = reverse("orgs:unit", args=[self.school.pk])
        self.login(self.county_admin)
        small = queries(self, url)
        for n in range(5):
            make_user(f"t{n}", unit=self.school, role="staff", name=f"教师{n}号")
        self.assertEqual(queries(self, url), small)
        self.assertEqual(small, self.UNIT_PINNED)

    def test_a_person_page_costs_a_fixed_number(self) -> None:
        person = Person.objects.get(user=self.teacher)
        self.make_problem()
        url = reverse("orgs:person", args=[person.pk])
        self.login(self.county_admin)
        self.assertEqual(queries(self, url), self.PERSON_PINNED)

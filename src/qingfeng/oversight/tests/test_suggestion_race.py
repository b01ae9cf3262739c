"""An observer's suggestion sent twice at the same moment (a double tap, a retried request:
the same form, so the same idempotency key) files one ticket and one participation, and both
requests answer with it; two observers' suggestions at the same moment are two, each once.

Real concurrency on PostgreSQL: each submission in its own thread and connection, held at a
barrier once it has looked for its key and found nothing, so that all of them go on to store
at once (the race the key's unique index and the channel's replay after an IntegrityError are
there for). SQLite is left out: its write transactions are IMMEDIATE, so a second submission
cannot begin before the first has committed, and there is no such race to test."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any
from unittest import mock, skipUnless

from django.db import connection, connections
from django.test import TransactionTestCase, override_settings

from qingfeng.core.models import AuditEvent
from qingfeng.core.tests.machine import FILES_IN_MEMORY
from qingfeng.intake.actions import submit
from qingfeng.intake.models import Ticket, TicketCategory
from qingfeng.orgs.models import Role, Unit
from qingfeng.oversight import actions
from qingfeng.oversight.models import Observer, Participation
from qingfeng.test import make_unit, make_user

KEY = "7d1e2f3a4b5c4d6e8f90a1b2c3d4e5f6"
OTHER_KEY = "0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d"


@skipUnless(connection.vendor == "postgresql", "PostgreSQL: SQLite writes one at a time")
@override_settings(STORAGES=FILES_IN_MEMORY)
class SuggestionRaceTestCase(TransactionTestCase):
    serialized_rollback = True  # the categories the migrations seed, for the next test

    def setUp(self) -> None:
        bureau = make_unit("清河市教育局", Unit.Kind.BUREAU, None, "B0001")
        county = make_unit("东城区教育局", Unit.Kind.COUNTY, bureau, "C0001")
        self.school = make_unit("东城区实验小学", Unit.Kind.SCHOOL, county, "S0001")
        office = make_user("office", unit=bureau, role=Role.CAMPAIGN_OFFICE, name="欧阳晓燕")
        self.deputy = make_user("deputy", unit=county, role=None, name="人大代表王芳")
        self.parent = make_user("parent", unit=county, role=None, name="家长代表李强")
        for user, kind in (
            (self.deputy, Observer.Kind.DEPUTY),
            (self.parent, Observer.Kind.PARENT),
        ):
            actions.check_appoint_observer(actor=office, user=user, area=county, kind=kind)
        category = TicketCategory.objects.filter(is_active=True).order_by("pk").first()
        assert category is not None
        self.category = category

    def suggest(self, user: Any, key: str) -> Callable[[], Participation]:
        return lambda: actions.check_raise_suggestion(
            actor=user,
            unit=self.school,
            category_id=self.category.pk,
            title="学校门口接送秩序混乱",
            text="放学时段校门口车辆乱停，建议学校和交警协调设置临时停车区。",
            idempotency_key=key,
        )

    def race(self, calls: list[Callable[[], Participation]]) -> list[Participation]:
        """Run the calls at once, each in its own thread and database connection; records
        in `self.replays` how many found their key used only after trying to store."""
        barrier = threading.Barrier(len(calls), timeout=30)
        local = threading.local()
        looked_up = submit._replayed
        self.replays = 0

        def replayed(key: str, **report: Any) -> Ticket | None:
            found = looked_up(key, **report)
            if not getattr(local, "waited", False):
                self.assertIsNone(found)
                local.waited = True
                barrier.wait()  # every submission has found its key unused: now all store
            elif found is not None:
                self.replays += 1  # after the IntegrityError: the other request's ticket
            return found

        results: list[Any] = [None] * len(calls)

        def run(index: int, call: Callable[[], Participation]) -> None:
            try:
                results[index] = call()
            except BaseException as exc:  # reported by the test below
                results[index] = exc
            finally:
                connections.close_all()

        with mock.patch.object(submit, "_replayed", replayed):
            threads = [threading.Thread(target=run, args=pair) for pair in enumerate(calls)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
        self.assertFalse(any(t.is_alive() for t in threads), "a submission hung")
        for result in results:
            self.assertIsInstance(result, Participation, repr(result))
        return results

    def test_one_form_sent_three_times_at_once_files_one_ticket(self) -> None:
        results = self.race([self.suggest(self.deputy, KEY) for _ in range(3)])
        self.assertEqual(self.replays, 2)  # two lost the race at the store, not before it
        self.assertEqual({r.pk for r in results}, {Participation.objects.get().pk})
        ticket = Ticket.objects.get()
        self.assertTrue((ticket.idempotency_key or "").endswith(KEY))
        self.assertEqual(
            {r.ticket for r in results}, {ticket.number}, "every request answers with it"
        )
        self.assertEqual(AuditEvent.objects.filter(action="oversight.observer.suggest").count(), 1)
        self.assertEqual(AuditEvent.objects.filter(action="intake.ticket.submit").count(), 1)

    def test_two_observers_at_once_file_one_each(self) -> None:
        results = self.race([self.suggest(self.deputy, KEY), self.suggest(self.parent, OTHER_KEY)])
        self.assertEqual(self.replays, 0)
        rows = Participation.objects.order_by("observer__user_id")
        self.assertEqual(
            [r.observer.user_id for r in rows], sorted([self.deputy.pk, self.parent.pk])
        )
        numbers = set(Ticket.objects.values_list("number", flat=True))
        self.assertEqual(len(numbers), 2)  # one number each, none given twice
        self.assertEqual({r.ticket for r in results}, numbers)

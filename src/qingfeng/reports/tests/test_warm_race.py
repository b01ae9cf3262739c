"""The job keeping the month warm runs on every host's worker, so two runs can start at the
same moment. Real concurrency on PostgreSQL: each run in its own thread and connection, held at
a barrier once it has computed its figures, so that both go on to write at once. Both finish,
and every unit keeps one row per figure. SQLite is left out: its write transactions are
IMMEDIATE, so the second run cannot begin writing before the first has committed."""

from __future__ import annotations

import threading
from typing import Any
from unittest import mock, skipUnless

from django.db import connection, connections
from django.test import TransactionTestCase

from qingfeng.orgs.models import Unit
from qingfeng.reports import monthly
from qingfeng.reports.models import LiveFigure
from qingfeng.test import make_unit


@skipUnless(connection.vendor == "postgresql", "PostgreSQL: SQLite writes one at a time")
class WarmRaceTestCase(TransactionTestCase):
    serialized_rollback = True

    def setUp(self) -> None:
        bureau = make_unit("清河市教育局", Unit.Kind.BUREAU, None, "B0001")
        county = make_unit("东城区教育局", Unit.Kind.COUNTY, bureau, "C0001")
        make_unit("东城区实验小学", Unit.Kind.SCHOOL, county, "S0001")
        make_unit("东城区第二中学", Unit.Kind.SCHOOL, county, "S0002")

    def test_two_runs_at_once_both_finish_and_write_each_figure_once(self) -> None:
        barrier = threading.Barrier(2, timeout=30)
        rolled = monthly.roll_up
        errors: list[BaseException] = []

        def roll_up(*args: Any, **kwargs: Any) -> Any:
            result = rolled(*args, **kwargs)
            barrier.wait()  # both runs have computed: now both write
            return result

        def run() -> None:
            try:
                monthly.warm()
            except BaseException as error:
                errors.append(error)
            finally:
                connections.close_all()

        # Figures for every unit, as a month's records give them (what is counted is not the
        # point here: the two runs' writes are).
        units = list(Unit.objects.values_list("pk", flat=True))
        figures = {pk: {"problems_new": 1, "tickets_new": 2} for pk in units}
        with (
            mock.patch.object(monthly, "roll_up", roll_up),
            mock.patch.object(monthly, "compute", lambda *args, **kwargs: figures),
        ):
            threads = [threading.Thread(target=run) for _ in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(60)
        self.assertEqual(errors, [])
        keys = list(LiveFigure.objects.values_list("unit_id", "key"))
        self.assertTrue(keys)
        self.assertEqual(len(keys), len(set(keys)))
        self.assertEqual(
            {unit for unit, _key in keys}, set(Unit.objects.values_list("pk", flat=True))
        )

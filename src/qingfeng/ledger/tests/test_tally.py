"""The kept per-unit counts (core/tally.py) equal a count of the problems after every kind of
write — the actions, bulk imports, the nightly light recomputation, deletions — and the home
page's numbers from them equal the numbers counted from the problems."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from qingfeng.core import registry
from qingfeng.core.deadlines import GREEN, RED, URGENCY, YELLOW
from qingfeng.core.tally import Tally, fold_rollups
from qingfeng.ledger import actions, deadlines, selectors
from qingfeng.ledger.excel.checking import RowPlan
from qingfeng.ledger.excel.importing import _write_bulk
from qingfeng.ledger.models import (
    PROBLEM_TALLY,
    Problem,
    ProblemSubtreeTally,
    ProblemTally,
    staged_status,
)
from qingfeng.ledger.tests.base import LedgerTestCase, subtree_sums_against_counts
from qingfeng.orgs import actions as actions_orgs
from qingfeng.orgs.models import Unit
from qingfeng.orgs.selectors import scope_root_units


class TallyTestCase(LedgerTestCase):
    def kept(self, unit_id: int, status: str) -> int:
        return sum(
            ProblemTally.objects.filter(unit_id=unit_id, status=status).values_list("n", flat=True)
        )

    def test_every_kind_of_write_keeps_the_counts_exact(self) -> None:
        first = self.assigned(title="甲")
        self.assigned(unit=self.other_school, title="乙", responsible_person=None)
        self.make_problem(title="丙")
        self.assertEqual(self.kept(self.school.pk, Problem.Status.ASSIGNED), 1)
        self.assertEqual(self.kept(self.school.pk, Problem.Status.DRAFT), 1)
        actions.do_accept(first, actor=self.teacher)
        self.assertEqual(self.kept(self.school.pk, Problem.Status.ASSIGNED), 0)
        self.assertEqual(PROBLEM_TALLY.check(), [])
        # The nightly recomputation: one UPDATE over many rows changes their lights.
        self.assertGreater(deadlines.recompute_lights(timezone.localdate() + timedelta(days=40)), 0)
        self.assertEqual(PROBLEM_TALLY.check(), [])
        # A bulk import's statement, and a bulk update and delete.
        plans = [_plan_from(first, title=f"批量{i}") for i in range(5)]
        staged = staged_status(0)
        _write_bulk(plans, actor=self.county_admin, assign=True, requirement="", staged=staged)
        self.assertEqual(self.kept(self.school.pk, staged), 5)  # kept apart, read by no one
        self.assertEqual(PROBLEM_TALLY.check(), [])
        Problem.with_staged.filter(status=staged).update(status=Problem.Status.ASSIGNED)
        Problem.objects.filter(title__startswith="批量").update(unit=self.school2)
        self.assertEqual(self.kept(self.school2.pk, Problem.Status.ASSIGNED), 5)
        Problem.objects.filter(title="批量0").delete()
        self.assertEqual(self.kept(self.school2.pk, Problem.Status.ASSIGNED), 4)
        self.assertEqual(PROBLEM_TALLY.check(), [])

    def test_a_recompute_changing_every_window_keeps_the_counts_and_sums_exact(self) -> None:
        """Each of the daily recompute's statements changes lights here (to red, yellow and
        green, a closure request's steady green, none), in three units, from lights set wrong
        one statement per light: the kept counts equal a count of the problems (on PostgreSQL
        kept by statement triggers, one grouped write per statement), and so do the subtree
        sums after its fold, which writes them in parts (a few parameters each here)."""
        today = timezone.localdate()
        made = {
            RED: [
                self.assigned(title="红1"),
                self.assigned(unit=self.school2, title="红2", responsible_person=None),
            ],
            YELLOW: [
                self.assigned(title="黄1", deadline_workdays=1),
                self.assigned(
                    unit=self.other_school,
                    title="黄2",
                    deadline_workdays=1,
                    responsible_person=None,
                ),
            ],
            GREEN: [
                self.assigned(title="绿1", deadline_workdays=20),
                self.assigned(unit=self.school2, title="绿2", responsible_person=None),
                self.awaiting_verification(title="待验收"),  # steady green
            ],
            "": [self.make_problem(title="草稿"), self.make_problem(title="草稿2")],
        }
        red = [p.pk for p in made[RED]]
        Problem.objects.filter(pk__in=red).update(deadline=today - timedelta(days=3))
        wrong = {RED: GREEN, YELLOW: RED, GREEN: YELLOW, "": YELLOW}
        for light, problems in made.items():
            Problem.objects.filter(pk__in=[p.pk for p in problems]).update(
                light=wrong[light], urgency=URGENCY[wrong[light]]
            )
        self.assertEqual(PROBLEM_TALLY.check(), [])
        with mock.patch("qingfeng.core.tally.PARAMS", 4):
            changed = deadlines.recompute_lights(today)
        self.assertEqual(changed, sum(len(problems) for problems in made.values()))
        for light, problems in made.items():
            found = Problem.objects.filter(pk__in=[p.pk for p in problems])
            self.assertEqual(set(found.values_list("light", "urgency")), {(light, URGENCY[light])})
        self.assertEqual(PROBLEM_TALLY.check(), [])
        self.assertFalse(ProblemTally.objects.exclude(n=F("folded")).exists())
        units = list(Unit.objects.values_list("pk", "path"))
        for path, sums, rows in subtree_sums_against_counts(units):
            self.assertEqual(sums, rows, path)
        self.assertEqual(deadlines.recompute_lights(today), 0)  # the same day again: nothing

    def test_a_rebuild_repairs_counts_written_around_the_triggers(self) -> None:
        self.assigned(title="甲")
        ProblemTally.objects.update(n=7)  # as if a restore brought a stale table
        self.assertNotEqual(PROBLEM_TALLY.check(), [])
        PROBLEM_TALLY.rebuild()
        self.assertEqual(PROBLEM_TALLY.check(), [])

    def assert_overview_exact(self) -> None:
        """The home page's numbers from the subtree sums equal those counted from the problems,
        for the bureau and a county, and every unit's subtree sums equal a count of its
        subtree's problems per list, status and light."""
        for user in (self.bureau_admin, self.county_admin):
            root = scope_root_units(user)[0]
            children = selectors.overview_children(root)
            kept = selectors.kept_sums(user, [None, root, *children])
            assert kept is not None
            with self.subTest(user=user.username):
                self.assertEqual(
                    selectors.overview_by_child_unit(user, root, kept=kept[1:], children=children),
                    selectors.overview_by_child_unit(user, root),
                )
                counted = selectors.counts_by_light(
                    selectors.problems_visible_to(user).exclude(status__in=selectors.NOT_COUNTED)
                )
                lights = selectors.kept_lights(kept[0], exclude=selectors.NOT_COUNTED)
                self.assertEqual(lights, counted)
        units = list(Unit.objects.values_list("pk", "path"))
        for path, sums, rows in subtree_sums_against_counts(units):
            self.assertEqual(sums, rows, path)

    def test_the_subtree_sums_equal_the_problems_counted_folded_or_not(self) -> None:
        first = self.assigned(title="甲")
        self.assigned(title="乙", deadline_workdays=1)
        self.assigned(unit=self.other_school, title="丙", responsible_person=None)
        self.make_problem(title="草稿")  # drafts are not counted either way
        self.assertTrue(ProblemTally.objects.exclude(n=F("folded")).exists())
        self.assert_overview_exact()  # nothing folded yet: read from the tally rows below
        # The nightly recomputation folds what it changed.
        self.assertGreater(deadlines.recompute_lights(timezone.localdate() + timedelta(days=3)), 0)
        self.assertFalse(ProblemTally.objects.exclude(n=F("folded")).exists())
        self.assert_overview_exact()
        actions.do_accept(first, actor=self.teacher)
        Problem.objects.filter(title="丙").delete()
        self.assert_overview_exact()  # some folded, some not
        self.assertGreater(fold_rollups(), 0)
        self.assertEqual(fold_rollups(), 0)  # nothing left
        self.assert_overview_exact()
        # A school moved to another county: its sums leave the old county for the new one.
        actions_orgs.check_move_unit(
            self.school, actor=self.bureau_admin, new_parent=self.other_county
        )
        self.assert_overview_exact()
        # A restore brought stale subtree sums: a rebuild makes them exact again.
        ProblemSubtreeTally.objects.update(n=5)
        PROBLEM_TALLY.rebuild()
        self.assert_overview_exact()

    def test_the_home_page_reads_the_subtree_sums_of_the_units_it_shows(self) -> None:
        """One statement over the subtree sums of the scope's root and its children, not the
        kept counts of every unit below; no grouping over the problems; nothing written."""
        self.assigned(title="甲")
        self.login(self.bureau_admin)
        self.client.get("/")
        with CaptureQueriesContext(connection) as few:
            response = self.client.get("/")
        for i in range(5):
            self.assigned(unit=self.other_school, title=f"乙{i}", responsible_person=None)
        fold_rollups()
        with CaptureQueriesContext(connection) as many:
            response = self.client.get("/")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(len(few), len(many))
        sql = [q["sql"] for q in many.captured_queries]
        subtree = [s for s in sql if "ledger_problemsubtreetally" in s]
        self.assertEqual(len(subtree), 1)
        self.assertEqual([s for s in sql if 'FROM "ledger_problemtally"' in s], [])
        self.assertEqual([s for s in sql if 'ledger_problem"' in s and "GROUP BY" in s], [])
        writes = ("INSERT", "UPDATE", "DELETE", "REPLACE")
        self.assertEqual([s for s in sql if s.lstrip().upper().startswith(writes)], [])
        self.assertEqual(response.context["ledger_lights"]["green"], 6)

    def test_the_lists_light_counts_from_the_counts_equal_the_rows_counted(self) -> None:
        self.assigned(title="甲")
        self.assigned(title="乙", deadline_workdays=1, list_kind=Problem.ListKind.LEADERSHIP)
        self.assigned(unit=self.other_school, title="丙", responsible_person=None)
        self.make_problem(title="草稿")
        deadlines.recompute_lights(timezone.localdate() + timedelta(days=3))
        self.assigned(unit=self.school2, title="丁", responsible_person=None)  # not folded yet
        filters = [
            selectors.LedgerFilter(),
            selectors.LedgerFilter(unit=self.school),
            selectors.LedgerFilter(list_kind=Problem.ListKind.LEADERSHIP),
            selectors.LedgerFilter(status=Problem.Status.ASSIGNED),
            selectors.LedgerFilter(unit=self.school, own=True, light=Problem.Light.YELLOW),
            selectors.LedgerFilter(
                list_kind=Problem.ListKind.PERSONAL,
                status=Problem.Status.ASSIGNED,
                light=Problem.Light.RED,
            ),
            selectors.LedgerFilter(unit=self.county, light=Problem.Light.GREEN),
            selectors.LedgerFilter(unit=self.other_school),  # outside the scope: nothing
        ]
        for f in filters:
            with self.subTest(f=f):
                kept = selectors.list_lights(self.county_admin, f)
                counted = selectors.counts_by_light(selectors.filter_problems(self.county_admin, f))
                self.assertEqual(kept, counted)
        searched = selectors.LedgerFilter(text="甲")
        self.assertIsNone(selectors.list_lights(self.county_admin, searched))

    def test_a_view_that_is_not_whole_units_is_counted_from_the_problems(self) -> None:
        self.assigned(title="甲")
        # A teacher reads the school's lists but only their own personal items.
        self.assertIsNone(selectors.tallies_visible_to(self.teacher))
        self.login(self.teacher)
        self.assertEqual(self.client.get("/").status_code, 200)

    def test_names_that_are_not_plain_identifiers_are_refused(self) -> None:
        with self.assertRaises(ValueError):
            Tally(source="ledger_problem; DROP TABLE x", table="t", columns=("a",))

    def test_the_triggers_are_installed_on_this_database(self) -> None:
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            else:
                cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
            names = {row[0] for row in cursor.fetchall()}
        self.assertTrue(any(name.startswith("ledger_problemtally_keep") for name in names), names)

    def test_on_postgresql_every_tally_is_kept_by_statement_triggers(self) -> None:
        """One grouped write per INSERT, UPDATE or DELETE statement, whatever its rows: no row
        trigger on a counted table (bit 1 of tgtype marks a row trigger)."""
        if connection.vendor != "postgresql":
            self.skipTest("SQLite has row triggers only")
        with connection.cursor() as cursor:
            for tally in registry.tallies():
                cursor.execute(
                    "SELECT tgname, tgtype & 1 FROM pg_trigger WHERE tgrelid = to_regclass(%s) "
                    "AND tgname LIKE %s AND NOT tgisinternal ORDER BY tgname",
                    [tally.source, f"{tally.table}_keep%"],
                )
                found = cursor.fetchall()
                names = [f"{tally.table}_keep_{op}" for op in ("delete", "insert", "update")]
                self.assertEqual(found, [(name, 0) for name in names])


def _plan_from(problem: Problem, *, title: str) -> RowPlan:
    """A checked import row like the problem (what check_ledger hands to the bulk writer)."""
    fields = {
        "list_kind": problem.list_kind,
        "source": problem.source,
        "category_id": problem.category_id,
        "dimension": problem.dimension,
        "title": title,
        "description": problem.description,
        "rectification_type": problem.rectification_type,
        "deadline_workdays": 10,
        "unit_id": problem.unit_id,
        "responsible_person_id": problem.responsible_person_id,
        "responsible_leader_id": None,
        "round_no": problem.round_no,
    }
    return RowPlan("台账", 4, fields=fields, measures=["退回费用"], cooperating=[])

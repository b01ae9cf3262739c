"""A scope that is the whole unit tree (the bureau's) reads the ledger without a unit
condition — `unit_id IN (every unit id there is)` tested nothing — and only then: with a
second tree in the database, or a scope below the root, the unit condition is back and no
problem outside the scope ever appears, in the selector and on the list page."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from qingfeng.ledger import selectors
from qingfeng.ledger.models import Problem
from qingfeng.ledger.tests.base import LedgerTestCase
from qingfeng.orgs.models import Role, Unit
from qingfeng.test import make_unit, make_user


def fresh(user: object) -> object:
    """The user without what a request caches on it (roles, the tree's roots)."""
    return type(user).objects.get(pk=user.pk)  # type: ignore[attr-defined]


class WholeTreeScopeTestCase(LedgerTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.here = self.make_problem(title="东城区的问题", list_kind=Problem.ListKind.LEADERSHIP)
        self.personal = self.make_problem(title="个人整改")
        self.elsewhere = self.make_problem(
            title="西山县的问题", list_kind=Problem.ListKind.LEADERSHIP
        )
        Problem.objects.filter(pk=self.elsewhere.pk).update(unit=self.other_school)

    def visible(self, user: object) -> set[int]:
        return set(selectors.problems_visible_to(fresh(user)).values_list("pk", flat=True))  # type: ignore[arg-type]

    def sql(self, user: object) -> str:
        with CaptureQueriesContext(connection) as queries:
            list(selectors.problems_visible_to(fresh(user)).values_list("pk", flat=True))  # type: ignore[arg-type]
        return queries.captured_queries[-1]["sql"]

    def test_the_bureau_reads_every_problem_without_a_unit_condition(self) -> None:
        self.assertEqual(
            self.visible(self.bureau_admin), set(Problem.objects.values_list("pk", flat=True))
        )
        self.assertNotIn('"orgs_unit"', self.sql(self.bureau_admin))
        # A county's scope keeps its condition, and sees its own problems only.
        self.assertIn('"orgs_unit"', self.sql(self.county_admin))
        self.assertEqual(self.visible(self.county_admin), {self.here.pk, self.personal.pk})

    def test_a_reader_of_the_whole_tree_still_misses_others_personal_items(self) -> None:
        """A teacher at the bureau reads its lists, not a colleague's personal items."""
        staff = make_user("bureau_staff", unit=self.bureau, role=Role.STAFF, name="陈干事")
        self.assertEqual(self.visible(staff), {self.here.pk, self.elsewhere.pk})

    def test_a_second_tree_brings_the_unit_condition_back(self) -> None:
        other_root = make_unit("邻市教育局", Unit.Kind.BUREAU, None, "B0002")
        other_school = make_unit("邻市第一中学", Unit.Kind.SCHOOL, other_root, "S0009")
        Problem.objects.filter(pk=self.elsewhere.pk).update(unit=other_school)
        self.assertIn('"orgs_unit"', self.sql(self.bureau_admin))
        self.assertEqual(self.visible(self.bureau_admin), {self.here.pk, self.personal.pk})
        # …and on the list page, as every filter of it reads the same selector.
        self.login(self.bureau_admin)
        page = self.client.get(reverse("ledger:list")).content.decode()
        self.assertIn(self.here.number, page)
        self.assertNotIn(self.elsewhere.number, page)
        # The other tree's admin sees theirs alone, even holding a root too.
        neighbour = make_user(
            "neighbour", unit=other_root, role=Role.BUREAU_ADMIN, name="邻市管理员"
        )
        self.assertEqual(self.visible(neighbour), {self.elsewhere.pk})

    def test_own_items_outside_the_scope_stay_visible(self) -> None:
        """The teacher's own item, moved to a unit outside their school, still shows to them."""
        Problem.objects.filter(pk=self.personal.pk).update(unit=self.other_school)
        self.assertIn(self.personal.pk, self.visible(self.teacher))

"""The unit tree's questions (Unit.is_within, contains, ancestor_ids, parent_path, subtree_q,
Unit.objects.within), on random trees and on the test city in the database."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from qingfeng.orgs.models import Person, Unit
from qingfeng.test import BaseTestCase, make_unit

# Ids whose digits begin one another (2, 23, 230 …) are where a path compared as text could
# take a unit for the child of another.
ids = st.sampled_from([1, 2, 3, 12, 23, 123, 230, 2301, 9999999, 99999999])


@st.composite
def trees(draw: st.DrawFn) -> list[Unit]:
    """Unsaved units with the paths and depths orgs.actions gives them: each unit's parent is
    an earlier unit of the list, or none (a forest)."""
    pks = draw(st.lists(ids, min_size=1, max_size=10, unique=True))
    units: list[Unit] = []
    for pk in pks:
        parent = draw(st.none() | st.sampled_from(units)) if units else None
        path = (parent.path if parent is not None else "") + Unit.segment(pk)
        depth = parent.depth + 1 if parent is not None else 0
        units.append(Unit(pk=pk, parent=parent, path=path, depth=depth))
    return units


def chain(unit: Unit) -> list[int]:
    """The ids from the root down to `unit`, by following the parents."""
    ids: list[int] = []
    node: Unit | None = unit
    while node is not None:
        ids.insert(0, node.pk)
        node = node.parent
    return ids


@settings(max_examples=300, deadline=None)
@given(trees())
def test_the_tree_questions_agree_with_the_parents(units: list[Unit]) -> None:
    for unit in units:
        assert unit.ancestor_ids(include_self=True) == chain(unit)
        assert unit.ancestor_ids() == chain(unit)[:-1]
        assert unit.parent_path == (unit.parent.path if unit.parent is not None else "")
        for other in units:
            inside = other.pk in chain(unit)
            assert unit.is_within(other) == inside, (unit.path, other.path)
            assert other.contains(unit) == inside
            assert Unit.path_is_within(unit.path, other.path) == inside
            assert unit.is_within(other) == (other.pk in unit.ancestor_ids(include_self=True))


def test_a_unit_whose_id_begins_another_is_not_its_parent() -> None:
    one = Unit(pk=1, path=Unit.segment(1), depth=0)
    two = Unit(pk=2, parent=one, path=one.path + Unit.segment(2), depth=1)
    twenty_three = Unit(pk=23, parent=one, path=one.path + Unit.segment(23), depth=1)
    below = Unit(pk=3, parent=twenty_three, path=twenty_three.path + Unit.segment(3), depth=2)
    for unit in (twenty_three, below):
        assert not unit.is_within(two)
        assert not two.contains(unit)
        assert unit.is_within(one)
    assert below.ancestor_ids() == [1, 23]


class UnitTreeQueriesTestCase(BaseTestCase):
    def test_within_and_subtree_q_select_what_is_within_says(self) -> None:
        make_unit("一年级组", Unit.Kind.OTHER, self.school, "X0001")
        units = list(Unit.objects.all())
        for root in units:
            with self.subTest(root=root.name):
                expected = {u.pk for u in units if u.is_within(root)}
                self.assertEqual(
                    set(Unit.objects.within(root).values_list("pk", flat=True)), expected
                )
                self.assertEqual(
                    set(Unit.objects.filter(root.subtree_q("")).values_list("pk", flat=True)),
                    expected,
                )
                people = Person.objects.filter(root.subtree_q()).values_list("unit_id", flat=True)
                self.assertTrue(set(people) <= expected)
        self.assertEqual(
            set(Person.objects.filter(self.county.subtree_q()).values_list("pk", flat=True)),
            {p.pk for p in Person.objects.select_related("unit") if p.unit.is_within(self.county)},
        )

    def test_the_parent_path_needs_no_query(self) -> None:
        school = Unit.objects.get(pk=self.school.pk)
        with self.assertNumQueries(0):
            self.assertEqual(school.parent_path, self.county.path)
            self.assertEqual(school.ancestor_ids(), [self.bureau.pk, self.county.pk])

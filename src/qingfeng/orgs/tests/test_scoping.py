"""Users of one school get 404 for another school's units and people, through every URL."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from qingfeng.core.scope import _minimal, scope_paths
from qingfeng.orgs import selectors
from qingfeng.orgs.models import Person, Unit
from qingfeng.test import BaseTestCase


class ScopingTestCase(BaseTestCase):
    def test_a_school_admin_sees_only_their_school(self) -> None:
        units = set(selectors.units_visible_to(self.school_admin).values_list("pk", flat=True))
        self.assertEqual(units, {self.school.pk})
        people = set(selectors.people_visible_to(self.school_admin).values_list("unit", flat=True))
        self.assertEqual(people, {self.school.pk})

    def test_a_county_admin_sees_the_county_subtree(self) -> None:
        units = set(selectors.units_visible_to(self.county_admin).values_list("pk", flat=True))
        self.assertEqual(units, {self.county.pk, self.school.pk, self.school2.pk})

    def test_the_bureau_admin_sees_the_city(self) -> None:
        self.assertEqual(
            selectors.units_visible_to(self.bureau_admin).count(), Unit.objects.count()
        )

    def test_the_auditor_sees_no_units_or_people(self) -> None:
        self.assertFalse(selectors.units_visible_to(self.auditor).exists())
        self.assertFalse(selectors.people_visible_to(self.auditor).exists())

    def test_the_county_above_and_other_units_in_filters_are_404(self) -> None:
        # Another school's id in a route is checked for every route by the URL-policy test;
        # here the unit above one's own, and units named in a list's filters.
        self.login(self.school_admin)
        urls = [
            f"/orgs/units/{self.county.pk}/",
            f"/orgs/people/?unit={self.other_school.pk}",
            f"/api/orgs/people?unit={self.other_school.pk}",
            f"/api/orgs/units?parent={self.county.pk}",
        ]
        missing = 999_999
        for url in urls:
            with self.subTest(url=url):
                response = self.client.get(url)
                self.assertEqual(response.status_code, 404)
                # indistinguishable from a missing id
                missing_url = url.replace(str(self.other_school.pk), str(missing)).replace(
                    str(self.county.pk), str(missing)
                )
                self.assertEqual(self.client.get(missing_url).status_code, 404)

    def test_own_school_is_reachable(self) -> None:
        self.login(self.school_admin)
        self.assertEqual(self.client.get(f"/orgs/units/{self.school.pk}/").status_code, 200)
        own = Person.objects.filter(unit=self.school).first()
        assert own is not None
        self.assertEqual(self.client.get(f"/orgs/people/{own.pk}/").status_code, 200)

    def test_search_does_not_leak_other_counties(self) -> None:
        found = selectors.search_units(self.county_admin, "中学")
        self.assertEqual([u.name for u in found], ["东城区第二中学"])

    def test_a_revoked_role_no_longer_gives_scope(self) -> None:
        from qingfeng.orgs import actions

        assignment = self.school_admin.roles.get()
        actions.do_revoke_role(assignment, actor=self.system_admin)
        self.school_admin.refresh_from_db()
        self.assertEqual(scope_paths(self.school_admin), [])
        self.assertFalse(selectors.units_visible_to(self.school_admin).exists())


segment = st.integers(min_value=1, max_value=40).map(lambda n: f"{n:08d}/")
paths = st.lists(segment, min_size=1, max_size=4).map("".join)


@settings(max_examples=200, deadline=None)
@given(st.lists(paths, max_size=12))
def test_minimal_scope_paths_cover_exactly_the_same_units(given_paths: list[str]) -> None:
    minimal = _minimal(given_paths)
    # no kept path lies inside another kept path
    for a in minimal:
        for b in minimal:
            assert a == b or not a.startswith(b)
    # any unit below a given path is below a kept path, and vice versa
    for path in given_paths:
        probe = path + "00000099/"
        assert any(probe.startswith(m) for m in minimal)
    for m in minimal:
        assert any(m.startswith(p) for p in given_paths)

"""The assessor's home card (第三方评估任务): the rounds still taking their scores, for each how
many of their units have no third-party score yet and the next one to score — counted over
exactly the units the round page lists to them, never a round outside their scope or one that
covers only their own unit. Other roles' home pages do not change."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from qingfeng.evaluation import actions, cards
from qingfeng.evaluation.models import Round
from qingfeng.evaluation.tests.base import AssessorCase
from qingfeng.orgs.models import Role, Unit, User
from qingfeng.test import make_unit, make_user


class AssessorCardTestCase(AssessorCase):
    def context(self, user: User) -> dict[str, Any] | None:
        request = RequestFactory().get("/")
        request.user = user
        return cards.assessor_card(request)  # type: ignore[arg-type]

    def score(self, round_: Round, unit: Unit) -> None:
        actions.check_enter_third_party(
            round_, actor=self.county_assessor, unit=unit, indicator="规范收费", score="88"
        )

    def two_rounds(self) -> tuple[Round, Round]:
        """The city's open round (东城区's two schools scored by this assessor, one of them
        already) and 东城区's round, closed but not yet published (none scored)."""
        city = self.open_round(name="全市学校满意度评议")
        self.score(city, self.school)
        county = self.open_round(area=self.county, name="东城区学校满意度评议")
        actions.check_close_round(county, actor=self.office_user)
        return city, county

    def test_the_counts_are_what_the_round_page_lists(self) -> None:
        city, county = self.two_rounds()
        found = self.context(self.county_assessor)
        assert found is not None
        shown = {r.pk: r for r in found["assessor_rounds"]}
        self.assertEqual(set(shown), {city.pk, county.pk})
        client = self.login(self.county_assessor, Client())
        for round_ in (city, county):
            page = client.get(reverse("evaluation:round", args=[round_.pk]))
            rows = page.context["rows"]
            unscored = [r.unit for r in rows if r.third_party is None]
            with self.subTest(round_.name):
                self.assertEqual(shown[round_.pk].assessed, len(rows))
                self.assertEqual(shown[round_.pk].unscored, len(unscored))
                self.assertEqual(page.context["unscored"], len(unscored))
                self.assertContains(page, 'data-testid="unscored"', count=len(unscored))
                self.assertEqual(shown[round_.pk].next_unit_id, unscored[0].pk)
        self.assertEqual((shown[city.pk].assessed, shown[city.pk].unscored), (2, 1))
        self.assertEqual((shown[county.pk].assessed, shown[county.pk].unscored), (2, 2))
        # On the home page: the links straight to the round and to the next unit to score,
        # the open round's deadline, the closed one's state.
        home = client.get("/")
        self.assertContains(home, 'data-testid="assessor-card"')
        self.assertContains(home, reverse("evaluation:round", args=[city.pk]))
        self.assertContains(home, reverse("evaluation:unit", args=[city.pk, self.school2.pk]))
        self.assertContains(home, reverse("evaluation:unit", args=[county.pk, self.school.pk]))
        self.assertContains(home, f"评议截止 {city.ends_on:%Y-%m-%d}")
        self.assertContains(home, "评议已结束，结果发布前仍可评分")
        # Scored everywhere: the round says so; published: it leaves the card.
        self.score(city, self.school2)
        done = self.context(self.county_assessor)  # the roles are cached, not the rounds
        assert done is not None
        mine = {r.pk: r for r in done["assessor_rounds"]}
        self.assertEqual((mine[city.pk].unscored, mine[city.pk].next_unit_id), (0, None))
        self.assertContains(client.get("/"), 'data-testid="assessor-done"')
        actions.check_publish_round(county, actor=self.office_user)
        left = self.context(self.county_assessor)
        assert left is not None
        self.assertEqual([r.pk for r in left["assessor_rounds"]], [city.pk])

    def test_never_a_round_outside_their_scope_or_of_their_own_unit(self) -> None:
        self.assertEqual(self.context(self.county_assessor), {
            "assessor_rounds": [], "assessor_more": False, "assessor_open": Round.Status.OPEN
        })  # fmt: skip
        west = self.open_round(owner=self.other_county, name="西山县学校满意度评议")
        # The counties' own bureaus: 东城区教育局 is the assessor's own unit, 西山县 outside.
        counties = self.open_round(kinds=[Unit.Kind.COUNTY], name="县区教育局满意度评议")
        self.make_round(name="草稿评议")  # a draft is nobody's work yet
        found = self.context(self.county_assessor)
        assert found is not None
        self.assertEqual(found["assessor_rounds"], [])
        client = self.login(self.county_assessor, Client())
        home = client.get("/")
        self.assertContains(home, 'data-testid="assessor-none"')
        for round_ in (west, counties):
            self.assertNotContains(home, round_.name)
        # An assessor of 西山县 sees its round, with its one school.
        west_assessor = make_user(
            "west_assessor", unit=self.other_county, role=Role.THIRD_PARTY, name="评估机构西山组"
        )
        theirs = self.context(west_assessor)
        assert theirs is not None
        self.assertEqual(
            [(r.pk, r.assessed) for r in theirs["assessor_rounds"]],
            [(west.pk, 1)],
        )

    def test_other_roles_home_pages_have_no_such_card(self) -> None:
        self.two_rounds()
        for user in (
            self.office_user,
            self.bureau_admin,
            self.county_admin,
            self.school_admin,
            self.inspector,
            self.auditor,
        ):
            with self.subTest(user.username):
                self.assertIsNone(self.context(user))
                home = self.login(user, Client()).get("/")
                self.assertNotContains(home, 'data-testid="assessor-card"')

    def test_the_queries_do_not_grow_with_the_rounds_and_units(self) -> None:
        """Roles (1), the rounds with their counts (1)."""
        counts = []
        for extra in (0, 20):
            for i in range(extra):
                make_unit(f"东城区第{i + 10}小学", Unit.Kind.SCHOOL, self.county, f"S9{i:03d}")
            round_ = self.open_round(area=self.county, name=f"第{extra}轮")
            self.score(round_, self.school)
            fresh = User.objects.get(pk=self.county_assessor.pk)  # nothing cached on the user
            with CaptureQueriesContext(connection) as queries:
                found = self.context(fresh)
            assert found is not None
            counts.append(len(queries))
        self.assertEqual(counts, [2, 2])
        assert found is not None
        self.assertEqual(sorted(r.unscored for r in found["assessor_rounds"]), [1, 21])

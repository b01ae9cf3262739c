"""The evaluation's home card: scoped, and a fixed number of queries however many units and
ratings a round holds (the closed round's snapshot is read, never the ratings)."""

from __future__ import annotations

from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from qingfeng.evaluation import actions, cards
from qingfeng.evaluation.tests.base import EvaluationCase
from qingfeng.orgs.models import Unit
from qingfeng.test import make_unit


class HomeCardTestCase(EvaluationCase):
    def context(self, user: object) -> dict[str, object] | None:
        request = RequestFactory().get("/")
        request.user = user  # type: ignore[assignment]
        return cards.overview_card(request)  # type: ignore[arg-type]

    def close_with_one_low_school(self) -> None:
        round_ = self.open_round(area=self.county, min_sample=4)
        self.rate(self.school, satisfied=1, dissatisfied=4)  # 20 %: 回炉补课
        self.rate(self.school2, satisfied=5)
        actions.check_close_round(round_, actor=self.office_user)

    def test_a_county_sees_the_units_below_and_the_remedials(self) -> None:
        self.assertIsNone(self.context(self.county_admin))  # no round: no card
        self.close_with_one_low_school()
        found = self.context(self.county_admin)
        assert found is not None
        self.assertEqual(found["evaluation_below_count"], 1)
        self.assertEqual([u.name for u, _rate in found["evaluation_below"]], ["东城区实验小学"])  # type: ignore[attr-defined]
        self.assertEqual(found["evaluation_remedials_count"], 1)
        self.assertNotIn("evaluation_own", found)
        # Another county sees nothing of it.
        self.assertIsNone(self.context(self.other_school_admin))

    def test_a_school_sees_its_own_result_only_once_published(self) -> None:
        self.close_with_one_low_school()
        found = self.context(self.school_admin)
        assert found is not None
        self.assertNotIn("evaluation_own", found)
        self.assertNotIn("evaluation_below", found)  # no list of other units for a school
        self.assertEqual(found["evaluation_remedials_count"], 1)  # its remedial task
        round_ = found["evaluation_round"]
        actions.check_publish_round(round_, actor=self.office_user)  # type: ignore[arg-type]
        found = self.context(self.school_admin)
        assert found is not None
        own = found["evaluation_own"]
        self.assertEqual((own["rate"], own["unit"]), ("20.0%", self.school))  # type: ignore[index]
        self.login(self.school_admin)
        self.assertContains(self.client.get("/"), "群众满意率 20.0%")

    def test_the_queries_do_not_grow_with_the_round(self) -> None:
        """Roles (1), the rounds (1; 2 while one is open), its own result once published (1),
        the scope's root units (1; the home page has read them already), for a county the
        units below (2), the remedials (2)."""
        self.close_with_one_low_school()
        counts: dict[str, list[int]] = {"county": [], "school": []}
        for extra in (0, 30):
            for i in range(extra):
                make_unit(f"东城区第{i + 10}小学", Unit.Kind.SCHOOL, self.county, f"S9{i:03d}")
            round_ = self.open_round(area=self.county, min_sample=4, name=f"第{extra}轮")
            for unit in Unit.objects.filter(kind=Unit.Kind.SCHOOL, parent=self.county):
                self.rate(unit, satisfied=2, dissatisfied=3)
            actions.check_close_round(round_, actor=self.office_user)
            actions.check_publish_round(round_, actor=self.office_user)
            for name, user in (("county", self.county_admin), ("school", self.school_admin)):
                fresh = type(user).objects.get(pk=user.pk)  # nothing cached on the user
                with CaptureQueriesContext(connection) as queries:
                    self.assertIsNotNone(self.context(fresh))
                counts[name].append(len(queries))
        self.assertEqual(counts, {"county": [8, 8], "school": [6, 6]})

"""The third-party assessor scores independently: until a round's results are published they
see none of the served people's numbers (服务对象评议: rates, intervals, verdicts, counts, and
the composite and rank made from them) on any surface they reach — the round page (and its
verdict filter), the unit page, the Excel export, the API. Published, they see them as staff
do; staff see them throughout."""

from __future__ import annotations

import io

from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from qingfeng.evaluation import actions
from qingfeng.evaluation.tests.base import AssessorCase
from qingfeng.orgs.models import User

WITHHELD = "满意率等服务对象评议结果公布后可见"
RATE = "87.5%"  # 东城区实验小学: 7 of 8 satisfied
# What shows the served people's numbers on the round and unit pages (their headings, counts).
MARKS = (
    'data-testid="rate"',
    'data-testid="verdict"',
    'data-testid="composite"',
    'data-testid="triggers"',
    "95%置信区间</th>",
    "有效样本</th>",
    "综合得分</th>",
    "有效样本 8 份",
    "有效 8 ·",
)


class WithheldRatesTestCase(AssessorCase):
    def setUp(self) -> None:
        self.round = self.open_round(area=self.county, min_sample=4)
        self.rate(self.school, satisfied=7, dissatisfied=1)
        actions.check_enter_third_party(
            self.round,
            actor=self.county_assessor,
            unit=self.school,
            indicator="规范收费",
            score="91",
        )

    def pages(self, user: User) -> dict[str, str]:
        client = self.login(user, Client())
        pk, unit = self.round.pk, self.school.pk
        found = {
            "round": client.get(reverse("evaluation:round", args=[pk])),
            "unit": client.get(reverse("evaluation:unit", args=[pk, unit])),
        }
        for name, response in found.items():
            self.assertEqual(response.status_code, 200, name)
        return {name: r.content.decode() for name, r in found.items()}

    def sheet(self, user: User) -> list[list[object]]:
        client = self.login(user, Client())
        response = client.get(reverse("evaluation:export", args=[self.round.pk]))
        ws = load_workbook(io.BytesIO(response.content)).active
        return [list(row) for row in ws.iter_rows(values_only=True)]

    def api(self, user: User) -> dict[str, object]:
        client = self.login(user, Client())
        response = client.get(f"/api/evaluation/rounds/{self.round.pk}/results")
        self.assertEqual(response.status_code, 200)
        return dict(response.json())

    def school_row(self, rows: list[list[object]]) -> list[object]:
        return next(r for r in rows if r and r[0] == self.school.name)

    def assert_withheld(self, user: User) -> None:
        pages = self.pages(user)
        for name, html in pages.items():
            with self.subTest(user=user.username, page=name):
                self.assertIn(WITHHELD, html)
                for shown in (RATE, *MARKS):
                    self.assertNotIn(shown, html)
        self.assertNotIn('data-testid="item-rates"', pages["unit"])
        self.assertIn("91", pages["unit"])  # their own score stays
        rows = self.sheet(user)
        school = self.school_row(rows)
        self.assertEqual(school[2:9], [None] * 7)  # 有效样本 … 不了解
        self.assertEqual(school[9], 91)  # 第三方评估
        self.assertIsNone(school[11])  # 综合得分
        self.assertIn([WITHHELD], [[c for c in r if c is not None] for r in rows])
        data = self.api(user)
        self.assertTrue(data["rates_withheld"])
        result = next(r for r in data["results"] if r["unit_id"] == self.school.pk)  # type: ignore[attr-defined]
        for key in ("base", "satisfied", "flagged", "excluded", "unknown", "rate", "ci_low"):
            self.assertIsNone(result[key], key)
        for key in ("ci_high", "verdict", "verdict_label", "triggers", "composite", "rank"):
            self.assertIsNone(result[key], key)
        self.assertEqual(result["third_party"], 91.0)

    def assert_shown(self, user: User) -> None:
        pages = self.pages(user)
        for name, html in pages.items():
            with self.subTest(user=user.username, page=name):
                self.assertNotIn(WITHHELD, html)
                self.assertIn(RATE, html)
        self.assertIn('data-testid="item-rates"', pages["unit"])
        school = self.school_row(self.sheet(user))
        self.assertEqual(school[2:4], [8, RATE])
        data = self.api(user)
        self.assertFalse(data["rates_withheld"])
        result = next(r for r in data["results"] if r["unit_id"] == self.school.pk)  # type: ignore[attr-defined]
        self.assertEqual((result["base"], result["rate"]), (8, 0.875))

    def test_the_assessor_sees_no_rate_before_publication(self) -> None:
        self.assert_withheld(self.county_assessor)
        actions.check_close_round(self.round, actor=self.office_user)
        self.assert_withheld(self.county_assessor)  # closed is not published
        actions.check_publish_round(self.round, actor=self.office_user)
        self.round.refresh_from_db()
        self.assert_shown(self.county_assessor)

    def test_staff_see_the_rates_throughout(self) -> None:
        for user in (self.county_admin, self.office_user):
            self.assert_shown(user)
        actions.check_close_round(self.round, actor=self.office_user)
        self.assert_shown(self.county_admin)

    def test_the_verdict_filter_tells_the_assessor_nothing(self) -> None:
        """The dashboard's ?verdict= narrowing would list the units behind a verdict."""
        url = reverse("evaluation:round", args=[self.round.pk])
        client = self.login(self.county_assessor, Client())
        for verdict in ("passed", "undecided", "confirmed_low", "too_few"):
            with self.subTest(verdict):
                self.assertEqual(client.get(url, {"verdict": verdict}).status_code, 404)
        staff = self.login(self.county_admin, Client()).get(url, {"verdict": "passed"})
        self.assertEqual(staff.status_code, 200)
        actions.check_close_round(self.round, actor=self.office_user)
        actions.check_publish_round(self.round, actor=self.office_user)
        self.assertEqual(client.get(url, {"verdict": "passed"}).status_code, 200)

from __future__ import annotations

import io

from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from qingfeng.core.tests.test_publicform import needs_font
from qingfeng.evaluation import actions
from qingfeng.evaluation.tests.base import EvaluationCase


class PosterTestCase(EvaluationCase):
    def setUp(self) -> None:
        self.round = self.open_round(area=self.county, name="2026年秋季学校满意度评议")

    @needs_font
    def test_the_poster_says_what_is_rated_and_when(self) -> None:
        client = self.login(self.office_user)
        response = client.get(reverse("evaluation:poster", args=[self.round.pk, self.school.pk]))
        self.assertEqual(response["Content-Type"], "application/pdf")
        text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
        for words in ("东城区实验小学", "2026年秋季学校满意度评议", "群众满意度评议"):
            self.assertIn(words, text.replace(" ", ""))

    def test_the_qr_code_opens_the_rating_page(self) -> None:
        client = self.login(self.office_user)
        response = client.get(reverse("evaluation:qr", args=[self.round.pk, self.school.pk]))
        self.assertEqual(response["Content-Type"], "image/png")
        self.assertEqual(response.content[:4], b"\x89PNG")

    def test_only_the_office_prints_and_only_while_open(self) -> None:
        url = reverse("evaluation:poster", args=[self.round.pk, self.school.pk])
        self.assertEqual(self.login(self.county_admin, Client()).get(url).status_code, 404)
        actions.check_close_round(self.round, actor=self.office_user)
        self.assertEqual(self.login(self.office_user, Client()).get(url).status_code, 404)


class ResultQueriesTestCase(EvaluationCase):
    def test_the_round_page_costs_the_same_however_many_units_are_rated(self) -> None:
        round_ = self.open_round(area=self.county)
        client = self.login(self.office_user)
        url = reverse("evaluation:round", args=[round_.pk])
        self.rate(self.school, satisfied=2)
        client.get(url)  # warm the session and the menu
        with self.assertNumQueries(count := self._count(client, url)):
            client.get(url)
        self.rate(self.school2, satisfied=3, dissatisfied=1)
        with self.assertNumQueries(count):
            client.get(url)

    def _count(self, client: Client, url: str) -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        return len(queries)

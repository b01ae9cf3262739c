from __future__ import annotations

import json

import time_machine
from django.core import serializers
from django.core.cache import cache
from django.test import Client, override_settings

from qingfeng.core.models import AuditEvent
from qingfeng.learning import actions, selectors
from qingfeng.learning.models import PledgeRating
from qingfeng.learning.tests.base import LearningCase, at

ADDRESS = "203.0.113.77"
AGENT = "MarkerBrowser/9.9"


@override_settings(QF_LEARNING_HUMAN_CHECK=False)
class PublicPledgeRatingTestCase(LearningCase):
    def setUp(self) -> None:
        super().setUp()
        cache.clear()
        self.url = f"/rate/pledge/u/{self.school.pk}/"

    def issue(self) -> None:
        actions.check_issue_pledge(
            actor=self.office_user,
            issuer=self.bureau,
            group="all",
            title="2026年廉洁从教承诺书",
            text="不收受家长礼品礼金",
            year=2026,
        )

    def post(self, client: Client, **data: str) -> object:
        return client.post(
            self.url,
            {"respondent": "parent", "rating": "good", "idempotency_key": "k1", **data},
            REMOTE_ADDR=ADDRESS,
            HTTP_USER_AGENT=AGENT,
        )

    def test_a_parent_rates_a_unit_anonymously(self) -> None:
        client = Client()
        with time_machine.travel(at("2026-11-10 10:00"), tick=False):
            page = client.get(self.url)
            self.assertContains(page, "该单位本年度没有需要评议的承诺")
            self.issue()
            page = client.get(self.url)
            self.assertContains(page, "东城区实验小学")
            self.assertContains(page, "不收受家长礼品礼金")
            self.assertNotContains(page, "captcha")
            refused = self.post(client, rating="")
            self.assertEqual(refused.status_code, 400)  # type: ignore[attr-defined]
            self.assertContains(refused, "请选择评价", status_code=400)  # type: ignore[arg-type]
            done = self.post(client)
            self.assertContains(done, "感谢您的评价")  # type: ignore[arg-type]
            # The same form again counts once.
            self.post(client)
        row = PledgeRating.objects.get()
        self.assertEqual((row.unit, row.period, row.rating), (self.school, "2026Q4", "good"))
        # Nothing of the rater is stored: not the address, not the browser.
        stored = serializers.serialize("json", PledgeRating.objects.all())
        events = json.dumps(
            list(AuditEvent.objects.filter(action="learning.pledge.public_rate").values()),
            default=str,
        )
        for text in (stored, events):
            self.assertNotIn(ADDRESS, text)
            self.assertNotIn("MarkerBrowser", text)
        self.assertEqual(
            {f.name for f in PledgeRating._meta.get_fields()},
            {"id", "unit", "period", "rating", "respondent", "idempotency_key", "created_on"},
        )
        summary = selectors.public_ratings(self.school, "2026Q4")
        self.assertEqual((summary.total, summary.good_share), (1, "100.0%"))

    def test_a_second_rating_from_the_same_phone_asks_for_the_human_check(self) -> None:
        self.issue()
        client = Client()
        with (
            override_settings(QF_LEARNING_HUMAN_CHECK=True),
            time_machine.travel(at("2026-11-10 10:00"), tick=False),
        ):
            first = client.get(self.url)
            self.assertNotContains(first, 'name="captcha_answer"')
            self.post(client)
            second = client.get(self.url)
            self.assertContains(second, 'name="captcha_answer"')
            refused = self.post(client, idempotency_key="k2")
            self.assertEqual(refused.status_code, 400)  # type: ignore[attr-defined]
        self.assertEqual(PledgeRating.objects.count(), 1)

    def test_a_busy_address_asks_for_the_human_check(self) -> None:
        self.issue()
        with (
            override_settings(QF_LEARNING_HUMAN_CHECK=True, QF_LEARNING_RATES_PER_HOUR=2),
            time_machine.travel(at("2026-11-10 10:00"), tick=False),
        ):
            for n in range(2):
                self.post(Client(), idempotency_key=f"k{n}")
            refused = self.post(Client(), idempotency_key="k9")
            self.assertEqual(refused.status_code, 400)  # type: ignore[attr-defined]
        self.assertEqual(PledgeRating.objects.count(), 2)

    def test_staff_see_the_summary_and_print_the_code(self) -> None:
        self.issue()
        with time_machine.travel(at("2026-11-10 10:00"), tick=False):
            self.post(Client())
            client = self.login(self.school_admin)
            page = client.get(f"/learning/u/{self.school.pk}/")
            self.assertContains(page, "群众评诺")
            self.assertContains(page, 'data-testid="public-ratings-total">1<')
            code = client.get(f"/learning/u/{self.school.pk}/pledge-qr.png")
            self.assertEqual(code["Content-Type"], "image/png")
            teacher = self.login(self.teacher)
            self.assertEqual(
                teacher.get(f"/learning/u/{self.school.pk}/pledge-qr.png").status_code, 403
            )

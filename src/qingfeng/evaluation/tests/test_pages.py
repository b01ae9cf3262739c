from __future__ import annotations

import io
import re

import time_machine
from django.test import Client, override_settings
from django.urls import reverse
from openpyxl import load_workbook

from qingfeng.evaluation import actions
from qingfeng.evaluation.models import Remedial, Response, Round
from qingfeng.evaluation.publicform import DEVICE_COOKIE
from qingfeng.evaluation.tests.base import EvaluationCase
from qingfeng.ledger.models import Problem

SECRET = "校长在食堂承包中收受好处，已立案初核"


@override_settings(QF_EVALUATION_HUMAN_CHECK=False)
class PublicPageTestCase(EvaluationCase):
    def setUp(self) -> None:
        self.round = self.open_round(area=self.county)
        self.url = reverse("rate:unit", args=[self.school.pk])

    def post(self, client: Client, page: str, **fields: str) -> object:
        key = re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        token = re.search(r'name="form_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        data = {"idempotency_key": key, "form_token": token, **fields}
        return client.post(self.url, data)

    def test_a_parent_rates_without_signing_in(self) -> None:
        page = self.client.get(self.url)
        self.assertContains(page, "东城区实验小学")
        self.assertContains(page, "非概率样本")
        self.assertContains(page, "师德师风")
        response = self.post(
            self.client,
            page.content.decode(),
            respondent_type="parent",
            overall="5",
            item_0="4",
            comment="我是孩子妈妈，班主任王老师很耐心",
        )
        self.assertContains(response, "感谢您的评价")  # type: ignore[arg-type]
        stored = Response.objects.get()
        self.assertEqual((stored.overall, stored.answers), (5, {"师德师风": 4}))
        self.assertIn(DEVICE_COOKIE, response.cookies)  # type: ignore[attr-defined]

    def test_the_same_phone_again_is_flagged_not_refused(self) -> None:
        rules = []
        with time_machine.travel("2026-11-02 19:30 +08:00", tick=False) as clock:
            for overall in ("4", "5"):
                page = self.client.get(self.url).content.decode()
                clock.shift(25)  # the half minute a parent takes
                self.post(self.client, page, respondent_type="student", overall=overall)
                rules.append(Response.objects.order_by("pk").last().rule)  # type: ignore[union-attr]
        self.assertEqual(rules, ["accepted", "device_repeat"])

    def test_a_rating_sent_seconds_after_the_page_is_flagged(self) -> None:
        page = self.client.get(self.url).content.decode()
        self.post(self.client, page, respondent_type="staff", overall="3")
        self.assertEqual(Response.objects.get().rule, "too_fast")

    def test_missing_answers_get_chinese_errors(self) -> None:
        page = self.client.get(self.url).content.decode()
        response = self.post(self.client, page)
        self.assertContains(response, "请选择您的身份", status_code=400)  # type: ignore[arg-type]
        self.assertContains(response, "请选择总体评价", status_code=400)  # type: ignore[arg-type]
        self.assertFalse(Response.objects.exists())

    def test_a_unit_without_a_round_says_so(self) -> None:
        page = self.client.get(reverse("rate:unit", args=[self.office.pk]))
        self.assertContains(page, "没有进行中的满意度评议")

    def test_a_frame_round_asks_for_the_code(self) -> None:
        actions.check_close_round(self.round, actor=self.office_user)
        frame = self.open_round(area=self.county, mode=Round.Mode.FRAME)
        _batch, slips = actions.check_draw_codes(
            frame,
            actor=self.office_user,
            unit=self.school,
            frame=["一年级（2）班"],
            draw=1,
            per_entry=1,
        )
        code = slips[0][1][0]
        page = self.client.get(self.url).content.decode()
        self.assertIn('name="code"', page)
        wrong = self.post(
            self.client, page, respondent_type="parent", overall="4", code="AAAA-BBBB"
        )
        self.assertContains(wrong, "票码无效或已使用", status_code=400)  # type: ignore[arg-type]
        ok = self.post(self.client, page, respondent_type="parent", overall="4", code=code)
        self.assertContains(ok, "感谢您的评价")  # type: ignore[arg-type]


class StaffPageTestCase(EvaluationCase):
    def setUp(self) -> None:
        self.round = self.open_round(area=self.county)
        self.rate(self.school, satisfied=20, dissatisfied=10)
        self.rate(self.school2, satisfied=12)
        actions.check_enter_discipline(
            self.round,
            actor=self.inspector,
            unit=self.school,
            rating="poor",
            comment=SECRET,
            veto=True,
        )
        actions.check_enter_third_party(
            self.round,
            actor=self.assessor,
            unit=self.school,
            indicator="规范办学",
            score="７８．５",
        )
        self.unit_url = reverse("evaluation:unit", args=[self.round.pk, self.school.pk])

    def test_the_office_runs_the_round_and_sees_the_remedial_problem(self) -> None:
        client = self.login(self.office_user)
        page = client.get(reverse("evaluation:round", args=[self.round.pk]))
        self.assertContains(page, "Wilson")
        self.assertContains(page, "综合得分 = 满意率×50%")
        self.assertContains(page, "样本不足")  # 东城区第二中学: 12 ratings
        client.post(reverse("evaluation:close", args=[self.round.pk]))
        remedial = self.school_remedial()
        detail = client.get(reverse("evaluation:remedial", args=[remedial.pk]))
        problem = Problem.objects.filter(source=Problem.Source.REMEDIAL).first()
        assert problem is not None
        self.assertContains(detail, problem.number)
        ledger = client.get(reverse("ledger:detail", args=[problem.pk]))
        self.assertContains(ledger, remedial.number)

    def school_remedial(self) -> Remedial:
        return self.round.remedials.get(unit=self.school)

    def test_the_discipline_comment_is_never_shown_to_the_rated_school(self) -> None:
        actions.check_close_round(self.round, actor=self.office_user)
        actions.check_publish_round(self.round, actor=self.office_user)
        school = self.login(self.school_admin, Client())
        page = school.get(self.unit_url)
        self.assertContains(page, "较差")
        self.assertNotContains(page, SECRET)
        workbook = school.get(reverse("evaluation:export", args=[self.round.pk]))
        text = " ".join(
            str(c)
            for row in load_workbook(io.BytesIO(workbook.content)).active.iter_rows(
                values_only=True
            )
            for c in row
            if c
        )
        self.assertIn("一票否决", text)
        self.assertIn("Wilson", text)
        self.assertNotIn(SECRET, text)
        self.assertNotIn(
            SECRET, self.login(self.county_admin, Client()).get(self.unit_url).content.decode()
        )
        self.assertContains(self.login(self.inspector, Client()).get(self.unit_url), SECRET)

    def test_a_school_sees_its_own_result_only_once_published(self) -> None:
        school = self.login(self.school_admin, Client())
        self.assertEqual(school.get(self.unit_url).status_code, 404)
        county = self.login(self.county_admin, Client())
        self.assertContains(county.get(self.unit_url), "66.7%")
        actions.check_close_round(self.round, actor=self.office_user)
        self.assertEqual(school.get(self.unit_url).status_code, 404)
        actions.check_publish_round(self.round, actor=self.office_user)
        self.assertContains(school.get(self.unit_url), "66.7%")
        other = reverse("evaluation:unit", args=[self.round.pk, self.school2.pk])
        self.assertEqual(school.get(other).status_code, 404)
        self.assertEqual(
            self.login(self.other_school_admin, Client()).get(self.unit_url).status_code, 404
        )

    def test_the_office_reviews_a_flag_on_the_page(self) -> None:
        flagged = actions.check_submit_rating(
            self.school,
            respondent_type="public",
            overall=5,
            answers={},
            idempotency_key="page-flag-0001",
            seconds=1,
        )
        client = self.login(self.office_user)
        page = client.get(reverse("evaluation:flags", args=[self.round.pk]))
        self.assertContains(page, "作答用时过短")
        client.post(
            reverse("evaluation:review", args=[self.round.pk, flagged.pk]),
            {"status": "accepted", "reason": "现场核实，家长填写较快"},
        )
        flagged.refresh_from_db()
        self.assertEqual(flagged.status, "accepted")

    def test_the_office_creates_a_round_from_the_form(self) -> None:
        client = self.login(self.office_user)
        response = client.post(
            reverse("evaluation:round_new"),
            {
                "name": "2027年第一季度机关满意度评议",
                "mode": "open",
                "categories": ["organ"],
                "items": "服务态度\n办事效率",
                "rate_definition": "top3",
                "weight_satisfaction": "60",
                "weight_third_party": "20",
                "weight_discipline": "20",
                "min_sample": "30",
                "threshold": "85",
                "trigger": "confirmed",
            },
        )
        round_ = Round.objects.get(name="2027年第一季度机关满意度评议")
        self.assertRedirects(response, reverse("evaluation:round", args=[round_.pk]))
        self.assertEqual(round_.items, ["服务态度", "办事效率"])
        bad = client.post(
            reverse("evaluation:round_new"),
            {
                "name": "错误",
                "mode": "open",
                "rate_definition": "top3",
                "weight_satisfaction": "50",
                "weight_third_party": "50",
                "weight_discipline": "50",
                "min_sample": "30",
                "threshold": "85",
                "trigger": "point",
            },
        )
        self.assertContains(bad, "三项权重之和须为 100")


class RankingPageTestCase(EvaluationCase):
    def test_the_public_ranking_shows_only_when_published_and_chosen(self) -> None:
        round_ = self.open_round(area=self.county, publish_ranking=True)
        self.rate(self.school, satisfied=29, dissatisfied=1)
        self.rate(self.school2, satisfied=5)
        url = reverse("rate:ranking", args=[round_.pk])
        self.assertEqual(self.client.get(url).status_code, 404)
        actions.check_close_round(round_, actor=self.office_user)
        actions.check_publish_round(round_, actor=self.office_user)
        page = self.client.get(url)
        self.assertContains(page, "东城区实验小学")
        self.assertContains(page, "样本不足")  # 东城区第二中学, greyed and unranked
        self.assertContains(page, "Wilson")
        hidden = self.open_round(area=self.county, name="不公开排名的一轮")
        actions.check_close_round(hidden, actor=self.office_user)
        actions.check_publish_round(hidden, actor=self.office_user)
        self.assertEqual(
            self.client.get(reverse("rate:ranking", args=[hidden.pk])).status_code, 404
        )


class ExtraSampleTestCase(EvaluationCase):
    def test_an_undecided_unit_of_a_frame_round_links_to_an_extra_draw(self) -> None:
        round_ = self.open_round(area=self.county, mode=Round.Mode.FRAME, min_sample=3)
        _batch, slips = actions.check_draw_codes(
            round_,
            actor=self.office_user,
            unit=self.school,
            frame=["三年级（1）班"],
            draw=1,
            per_entry=10,
        )
        for i, code in enumerate(slips[0][1]):  # 9 of 10 satisfied: 0.60–0.98, 待定
            actions.check_submit_rating(
                self.school,
                respondent_type="parent",
                overall=[5, 4, 3][i % 3] if i else 2,
                answers={},
                code=code,
                idempotency_key=f"extra-sample-{i:04d}",
                seconds=30 + i,
            )
        self.login(self.office_user)
        page = self.client.get(reverse("evaluation:round", args=[round_.pk]))
        link = f"{reverse('evaluation:codes', args=[round_.pk])}?unit={self.school.pk}"
        self.assertContains(page, link)
        self.assertContains(page, 'data-testid="extra-sample"', count=1)  # 东城区第二中学: 样本不足
        form = self.client.get(link)
        self.assertContains(form, f'<option value="{self.school.pk}" selected>')

from __future__ import annotations

from datetime import date

import time_machine
from django.core.exceptions import ValidationError

from qingfeng.core.models import AuditEvent
from qingfeng.evaluation import actions
from qingfeng.evaluation.models import Round, RoundUnit
from qingfeng.evaluation.tests.base import EvaluationCase
from qingfeng.orgs.models import Unit


class RoundTestCase(EvaluationCase):
    @time_machine.travel("2026-11-02 09:00 +08:00")
    def test_it_defaults_to_the_quarter_and_the_speech_rule(self) -> None:
        round_ = self.make_round()
        self.assertEqual(
            (round_.starts_on, round_.ends_on), (date(2026, 10, 1), date(2026, 12, 31))
        )
        self.assertEqual((round_.threshold, round_.min_sample), (85, 30))
        self.assertEqual(round_.trigger, Round.Trigger.POINT)
        self.assertEqual(
            (round_.weight_satisfaction, round_.weight_third_party, round_.weight_discipline),
            (50, 30, 20),
        )

    def test_bad_settings_are_refused_in_chinese_and_nothing_is_written(self) -> None:
        with self.assertRaises(ValidationError) as caught:
            self.make_round(
                name="  ",
                weights=(50, 30, 30),
                threshold=40,
                items=["师德师风", "师德师风", "这是一个超过二十个字的评议项目名称，太长了不行"],
                starts_on=date(2026, 12, 1),
                ends_on=date(2026, 11, 1),
            )
        errors = caught.exception.message_dict
        self.assertEqual(set(errors), {"name", "weights", "threshold", "items", "ends_on"})
        self.assertIn("三项权重之和须为 100（现为 110）", errors["weights"])
        self.assertFalse(Round.objects.exists())

    def test_opening_freezes_the_units_it_covers(self) -> None:
        round_ = self.open_round(area=self.county)
        covered = set(RoundUnit.objects.filter(round=round_).values_list("unit__name", flat=True))
        self.assertEqual(covered, {"东城区实验小学", "东城区第二中学"})
        self.assertEqual(round_.instrument_version, 1)
        # A new school afterwards is not rated in this round.
        from qingfeng.test import make_unit

        make_unit("东城区第三小学", Unit.Kind.SCHOOL, self.county, "S0009")
        self.assertEqual(RoundUnit.objects.filter(round=round_).count(), 2)
        self.assertTrue(
            AuditEvent.objects.filter(action="evaluation.round.open", object_id=str(round_.pk))
        )

    def test_a_round_opens_once_and_a_closed_round_accepts_nothing(self) -> None:
        round_ = self.open_round(area=self.county)
        with self.assertRaisesMessage(ValidationError, "不能执行“开始评议”"):
            actions.check_open_round(round_, actor=self.office_user)
        actions.check_close_round(round_, actor=self.office_user)
        with self.assertRaisesMessage(ValidationError, "该单位当前没有进行中的评议"):
            self.rate(self.school, satisfied=1)
        with self.assertRaisesMessage(ValidationError, "不能执行“结束评议”"):
            actions.check_close_round(round_, actor=self.office_user)

    def test_new_items_make_a_new_instrument_version(self) -> None:
        first = self.open_round(area=self.county)
        actions.check_close_round(first, actor=self.office_user)
        same = self.open_round(area=self.county)
        actions.check_close_round(same, actor=self.office_user)
        changed = self.open_round(area=self.county, items=["师德师风", "课后服务"])
        self.assertEqual(
            [first.instrument_version, same.instrument_version, changed.instrument_version],
            [1, 1, 2],
        )

    def test_a_round_covering_nothing_does_not_open(self) -> None:
        round_ = self.make_round(area=self.county, kinds=[Unit.Kind.KINDERGARTEN])
        with self.assertRaisesMessage(ValidationError, "没有可评议的单位"):
            actions.check_open_round(round_, actor=self.office_user)
        round_.refresh_from_db()
        self.assertEqual(round_.status, Round.Status.DRAFT)

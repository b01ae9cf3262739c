from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.test import override_settings

from qingfeng.core.models import AuditEvent
from qingfeng.evaluation import actions, selectors
from qingfeng.evaluation.models import Response, ResponseReview, Round, VoteCode
from qingfeng.evaluation.tests.base import EvaluationCase
from qingfeng.orgs.models import Unit


def submit(unit: Unit, key: str, **fields: Any) -> Response:
    data = {
        "respondent_type": "parent",
        "overall": 4,
        "answers": {"师德师风": 5, "规范收费": 4},
        "comment": "",
        "seconds": 25,
        **fields,
    }
    return actions.check_submit_rating(unit, idempotency_key=key, **data)


class RatingTestCase(EvaluationCase):
    def setUp(self) -> None:
        self.round = self.open_round(area=self.county)

    def test_a_rating_is_accepted_and_keeps_no_trace_of_the_rater(self) -> None:
        response = submit(self.school, "key-00000001", comment="我是孩子妈妈，老师很负责")
        self.assertEqual((response.status, response.rule), ("accepted", "accepted"))
        names = {f.name for f in Response._meta.get_fields()}
        self.assertFalse(names & {"ip", "address", "user_agent", "device", "code"})
        event = AuditEvent.objects.get(action="evaluation.response.submit")
        self.assertEqual(event.source_ip, "")

    def test_the_same_render_posted_twice_counts_once(self) -> None:
        first = submit(self.school, "key-00000002")
        again = submit(self.school, "key-00000002", overall=1)
        self.assertEqual(first.pk, again.pk)
        self.assertEqual(Response.objects.count(), 1)

    def test_unknown_is_excluded_from_the_base_by_name(self) -> None:
        response = submit(self.school, "key-00000003", overall=0, answers={})
        self.assertEqual((response.status, response.rule), ("excluded", "unknown"))
        self.rate(self.school, satisfied=3, dissatisfied=1)
        (result,) = selectors.results(self.round, [self.school])
        self.assertEqual((result.base, result.satisfied, result.unknown), (4, 3, 1))

    def test_bad_input_says_what_and_writes_nothing(self) -> None:
        with self.assertRaises(ValidationError) as caught:
            submit(
                self.school,
                "bad",
                respondent_type="teacher",
                overall=7,
                answers={"食堂": 5},
                comment="长" * 501,
            )
        self.assertEqual(
            set(caught.exception.message_dict),
            {"respondent_type", "overall", "answers", "comment", "idempotency_key"},
        )
        self.assertFalse(Response.objects.exists())

    def test_too_fast_and_signals_are_flagged_by_name(self) -> None:
        fast = submit(self.school, "key-00000004", seconds=2)
        device = submit(self.school, "key-00000005", signals=actions.Signals(device_repeat=True))
        network = submit(
            self.school, "key-00000006", answers={}, signals=actions.Signals(address_burst=True)
        )
        self.assertEqual(
            [(r.status, r.rule) for r in (fast, device, network)],
            [("flagged", "too_fast"), ("flagged", "device_repeat"), ("flagged", "address_burst")],
        )

    @override_settings(QF_EVALUATION_BURST=3)
    def test_an_identical_answer_burst_is_flagged(self) -> None:
        rules = [submit(self.school2, f"burst-{i:04d}").rule for i in range(4)]
        self.assertEqual(rules, ["accepted", "accepted", "identical_burst", "identical_burst"])

    def test_a_reviewer_reverses_a_flag_with_a_reason_and_it_is_audited(self) -> None:
        flagged = submit(self.school, "key-00000007", seconds=1)
        with self.assertRaisesMessage(ValidationError, "请填写复核理由"):
            actions.check_review_response(
                flagged, actor=self.office_user, status="accepted", reason=" "
            )
        actions.check_review_response(
            flagged,
            actor=self.office_user,
            status="accepted",
            reason="家长会现场集中扫码，核实为真实评价",
        )
        flagged.refresh_from_db()
        self.assertEqual((flagged.status, flagged.rule), ("accepted", "reviewed"))
        review = ResponseReview.objects.get(response=flagged)
        self.assertEqual((review.from_status, review.to_status), ("flagged", "accepted"))
        self.assertTrue(AuditEvent.objects.filter(action="evaluation.response.review"))
        (result,) = selectors.results(self.round, [self.school])
        self.assertEqual((result.base, result.flagged), (1, 0))


class CodeTestCase(EvaluationCase):
    def setUp(self) -> None:
        self.round = self.open_round(area=self.county, mode=Round.Mode.FRAME)

    def draw(self, seed: str = "2026-Q4") -> list[str]:
        _batch, slips = actions.check_draw_codes(
            self.round,
            actor=self.office_user,
            unit=self.school,
            frame=["三年级（1）班", "三年级（2）班", "四年级（1）班", "五年级（3）班"],
            draw=2,
            per_entry=3,
            seed=seed,
        )
        return [code for _entry, codes in slips for code in codes]

    def test_the_draw_is_reproducible_from_its_seed(self) -> None:
        self.draw()
        self.draw()
        first, second = self.round.code_batches.order_by("pk")
        self.assertEqual(first.drawn, second.drawn)
        self.assertEqual(first.seed, "2026-Q4")
        self.assertEqual(VoteCode.objects.count(), 12)

    def test_a_code_works_once_and_used_or_unknown_answer_alike(self) -> None:
        codes = self.draw()
        spaced = f" {codes[0][:4].lower()}-{codes[0][4:]} "  # as typed from a slip
        response = submit(self.school, "code-0000001", code=spaced)
        self.assertEqual(response.via, Response.Via.CODE)
        with self.assertRaises(ValidationError) as used:
            submit(self.school, "code-0000002", code=codes[0])
        with self.assertRaises(ValidationError) as unknown:
            submit(self.school, "code-0000003", code="ZZZZ-ZZZZ")
        self.assertEqual(used.exception.message_dict, unknown.exception.message_dict)
        self.assertEqual(Response.objects.count(), 1)
        # The code is used, and nothing links it to the answer.
        self.assertEqual(VoteCode.objects.filter(used=True).count(), 1)

    def test_a_code_of_another_school_does_not_work(self) -> None:
        codes = self.draw()
        with self.assertRaises(actions.SameCode):
            submit(self.school2, "code-0000004", code=codes[1])

    def test_full_width_codes_are_read(self) -> None:
        codes = self.draw()
        wide = "".join(chr(ord(c) + 0xFEE0) for c in codes[2])
        self.assertEqual(submit(self.school, "code-0000005", code=wide).via, "code")

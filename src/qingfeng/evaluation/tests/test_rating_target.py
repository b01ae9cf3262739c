"""Where a public rating goes (`selectors.rating_target`): what `open_reevaluation` and
`open_round_for_unit` answer, read in one statement with the unit, the round's fields kept by
the process for a few seconds while whether it is open is read every time."""

from __future__ import annotations

from unittest import mock

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from qingfeng.core.models import AuditEvent
from qingfeng.evaluation import actions, selectors
from qingfeng.evaluation.models import Remedial, Response, Round
from qingfeng.evaluation.tests.base import EvaluationCase


@time_machine.travel("2026-11-02 09:00 +08:00", tick=False)
class RatingTargetTestCase(EvaluationCase):
    def target(self, unit_id: int) -> selectors.RatingTarget | None:
        return selectors.rating_target(unit_id, timezone.localdate())

    def test_a_missing_or_deactivated_unit_has_no_target(self) -> None:
        self.open_round(area=self.county)
        self.assertIsNone(self.target(987654))
        self.school.is_active = False
        self.school.save(update_fields=["is_active"])
        self.assertIsNone(self.target(self.school.pk))

    def test_a_unit_no_open_round_covers_is_found_without_a_round(self) -> None:
        self.make_round(area=self.county)  # a draft covers nobody yet
        found = self.target(self.school.pk)
        assert found is not None
        self.assertEqual((found.unit, found.round, found.remedial), (self.school, None, None))

    def test_the_open_round_in_one_statement_then_from_the_process(self) -> None:
        round_ = self.open_round(area=self.county)
        selectors.forget_round(round_.pk)
        with CaptureQueriesContext(connection) as first:
            found = self.target(self.school.pk)
        assert found is not None
        self.assertEqual((found.round, found.remedial), (round_, None))
        self.assertEqual(found.round.items, round_.items)  # type: ignore[union-attr]
        self.assertEqual(len(first.captured_queries), 2)  # the unit with its targets, the round
        with CaptureQueriesContext(connection) as again:
            self.assertEqual(self.target(self.school2.pk).round, round_)  # type: ignore[union-attr]
        self.assertEqual(len(again.captured_queries), 1)

    def test_a_closed_round_takes_nothing_even_while_kept(self) -> None:
        round_ = self.open_round(area=self.county)
        self.assertEqual(self.target(self.school.pk).round, round_)  # type: ignore[union-attr]
        # Closed by another process: this one's keep is not told, the status is read anyway.
        Round.objects.filter(pk=round_.pk).update(status=Round.Status.CLOSED)
        self.assertIsNone(self.target(self.school.pk).round)  # type: ignore[union-attr]

    def test_a_kept_round_is_read_again_after_its_seconds(self) -> None:
        round_ = self.open_round(area=self.county)
        self.target(self.school.pk)
        later = selectors.KEEP_ROUND_SECONDS + 1
        with (
            mock.patch("qingfeng.evaluation.selectors.time.monotonic", return_value=10**9 + later),
            CaptureQueriesContext(connection) as queries,
        ):
            self.assertEqual(self.target(self.school.pk).round, round_)  # type: ignore[union-attr]
        self.assertEqual(len(queries.captured_queries), 2)

    def test_a_round_saved_here_is_not_served_from_the_keep(self) -> None:
        round_ = self.open_round(area=self.county)
        self.target(self.school.pk)
        round_.name = "2026年第四季度学校群众满意度评议（更正）"
        round_.save(update_fields=["name"])
        self.assertEqual(self.target(self.school.pk).round.name, round_.name)  # type: ignore[union-attr]

    def test_the_re_evaluation_window_comes_before_the_open_round(self) -> None:
        round_ = self.open_round(area=self.county)
        self.rate(self.school, satisfied=20, dissatisfied=10)
        self.rate(self.school2, satisfied=31, dissatisfied=1)
        actions.check_close_round(round_, actor=self.office_user)
        remedial = Remedial.objects.get()
        later = self.open_round(area=self.county, name="2027年第一季度学校群众满意度评议")
        with time_machine.travel(remedial.reeval_opens_on, tick=False):
            today = timezone.localdate()
            found = selectors.rating_target(self.school.pk, today)
            other = selectors.rating_target(self.school2.pk, today)
            self.assertEqual(
                (found.round, found.remedial),  # type: ignore[union-attr]
                (remedial.round, selectors.open_reevaluation(self.school, today)),
            )
            self.assertEqual((other.round, other.remedial), (later, None))  # type: ignore[union-attr]
        with time_machine.travel(remedial.reeval_closes_on, tick=False):
            self.assertEqual(self.target(self.school.pk).remedial, remedial)  # type: ignore[union-attr]

    def test_a_replay_found_by_the_insert_stores_and_audits_nothing(self) -> None:
        round_ = self.open_round(area=self.county)
        fields = {
            "respondent_type": "parent",
            "overall": 4,
            "answers": {"师德师风": 4},
            "comment": "我是孩子妈妈，老师很负责",
            "idempotency_key": "replay-insert-01",
        }
        first, created = actions.submit_rating(self.school, **fields)  # type: ignore[arg-type]
        events = AuditEvent.objects.count()
        again, created_again = actions.submit_rating(self.school, **fields)  # type: ignore[arg-type]
        self.assertEqual((created, created_again, again.pk), (True, False, first.pk))
        self.assertEqual(Response.objects.filter(round=round_).count(), 1)
        self.assertEqual(AuditEvent.objects.count(), events)

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from typing import Any
from unittest import mock

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from qingfeng.core import waits
from qingfeng.core.models import AuditEvent
from qingfeng.evaluation import actions, scheme
from qingfeng.evaluation.models import Remedial, Response
from qingfeng.evaluation.tests.base import EvaluationCase

SECRET = "副校长违规插手食堂采购，移送调查"


class RatingApiTestCase(EvaluationCase):
    def setUp(self) -> None:
        self.round = self.open_round(area=self.county)
        self.base = f"/api/evaluation/units/{self.school.pk}"

    def post(self, body: dict[str, object], key: str) -> object:
        return self.client.post(
            f"{self.base}/ratings",
            json.dumps(body),
            content_type="application/json",
            headers={"Idempotency-Key": key},
        )

    def test_a_rating_through_the_api_counts_once(self) -> None:
        form = self.client.get(f"{self.base}/form").json()
        self.assertEqual(form["unit_name"], "东城区实验小学")
        self.assertTrue(form["non_probability"])
        self.assertIn("师德师风", form["items"])
        body = {
            "respondent_type": "public",
            "overall": 4,
            "answers": {"服务态度": 5},
            "comment": "赵女士：门卫态度比以前好多了",
            "form_token": form["form_token"],
        }
        first = self.post(body, form["idempotency_key"])
        again = self.post(body, form["idempotency_key"])
        self.assertEqual((first.status_code, again.status_code), (201, 200))  # type: ignore[attr-defined]
        self.assertTrue(again.json()["replayed"])  # type: ignore[attr-defined]
        self.assertEqual(Response.objects.count(), 1)

    def test_bad_input_is_a_422_in_chinese(self) -> None:
        answer = self.post({"respondent_type": "parent", "overall": 4, "answers": {"食堂": 3}}, "k")
        self.assertEqual(answer.status_code, 422)  # type: ignore[attr-defined]
        self.assertIn("没有评议项目“食堂”", answer.json()["detail"])  # type: ignore[attr-defined]
        self.assertFalse(Response.objects.exists())

    def test_a_closed_round_accepts_nothing(self) -> None:
        actions.check_close_round(self.round, actor=self.office_user)
        self.assertEqual(self.client.get(f"{self.base}/form").status_code, 409)
        answer = self.post({"respondent_type": "parent", "overall": 5}, "closed-round-01")
        self.assertEqual(answer.status_code, 409)  # type: ignore[attr-defined]

    def test_a_rating_sends_a_pinned_list_of_statements(self) -> None:
        """Everything that only reads comes before the write transaction (on SQLite it holds
        the database's one write lock): inside it only the rating, the audit lane's head and
        the audit row (PostgreSQL adds the lane's advisory lock)."""
        self.post({"respondent_type": "parent", "overall": 4}, "pinned-warm-01")
        with CaptureQueriesContext(connection) as queries:
            answer = self.post({"respondent_type": "student", "overall": 5}, "pinned-list-01")
        self.assertEqual(answer.status_code, 201)  # type: ignore[attr-defined]
        statements = [q["sql"] for q in queries.captured_queries]
        shapes = [_shape(sql) for sql in statements]
        self.assertEqual(
            [s for s in shapes if not s.startswith("lock")],
            [
                # the unit named in the address, active, with its re-evaluation window if
                # open, else its open round (the round's fields kept by the process)
                "read orgs_unit",
                "read evaluation_response",  # identical answers in the last minutes
                "begin",  # the write transaction (a savepoint inside the test's)
                "write evaluation_response",
                "read core_auditevent",  # the audit lane's head
                "write core_auditevent",
                "end",
            ],
            "\n".join(statements),
        )
        locks = [s for s in shapes if s.startswith("lock")]
        self.assertEqual(len(locks), 1 if connection.vendor == "postgresql" else 0, statements)

    def test_past_capacity_a_rating_is_turned_away_at_once_and_nothing_is_stored(self) -> None:
        """A writer of the process has waited 2 s for the database's write lock: the public
        rating API is shed like the rest of the public channel (core/capacity.py), at once,
        instead of queueing behind it until the busy timeout answers "database is locked"."""
        form = self.client.get(f"{self.base}/form").json()
        events = AuditEvent.objects.count()
        waiting = {0: time.monotonic() - 2.0}
        with mock.patch.dict(waits._since, waiting):  # a request of the process waiting
            refused = self.post(
                {"respondent_type": "parent", "overall": 5}, form["idempotency_key"]
            )
            form_again = self.client.get(f"{self.base}/form")
        for response in (refused, form_again):
            self.assertEqual(response.status_code, 503)  # type: ignore[attr-defined]
            self.assertEqual(response["Retry-After"], "5")  # type: ignore[index]
        self.assertFalse(Response.objects.exists())
        self.assertEqual(AuditEvent.objects.count(), events)
        # The queue gone, the same render is taken.
        answer = self.post({"respondent_type": "parent", "overall": 5}, form["idempotency_key"])
        self.assertEqual(answer.status_code, 201)  # type: ignore[attr-defined]
        self.assertEqual(Response.objects.count(), 1)


class ResultsApiTestCase(EvaluationCase):
    def test_results_are_scoped_and_never_carry_the_discipline_comment(self) -> None:
        round_ = self.open_round(area=self.county)
        self.rate(self.school, satisfied=27, dissatisfied=3)
        actions.check_enter_discipline(
            round_, actor=self.inspector, unit=self.school, rating="fair", comment=SECRET
        )
        url = f"/api/evaluation/rounds/{round_.pk}/results"
        office = self.login(self.office_user, Client()).get(url)
        self.assertEqual(office.status_code, 200)
        rows = {r["unit_name"]: r for r in office.json()["results"]}
        self.assertEqual(rows["东城区实验小学"]["base"], 30)
        self.assertEqual(rows["东城区实验小学"]["discipline"], "一般")
        self.assertNotIn(SECRET, office.content.decode())
        self.assertTrue(any("Wilson" in line for line in office.json()["definition"]))
        # The school: nothing before publication; 西山县's school: no such round.
        school = self.login(self.school_admin, Client()).get(url).json()
        self.assertEqual(school["results"], [])
        self.assertEqual(self.login(self.other_school_admin, Client()).get(url).status_code, 404)
        actions.check_close_round(round_, actor=self.office_user)
        actions.check_publish_round(round_, actor=self.office_user)
        published = self.login(self.school_admin, Client()).get(url)
        self.assertEqual([r["unit_name"] for r in published.json()["results"]], ["东城区实验小学"])
        self.assertNotIn(SECRET, published.content.decode())


class StaffActionsApiTestCase(EvaluationCase):
    """The staff actions through the API: the same actions, policy and scope as the pages."""

    def call(self, user: Any, path: str, body: Mapping[str, object] | None = None) -> Any:
        client = self.login(user, Client())
        return client.post(
            f"/api/evaluation/rounds/{path}", body or {}, content_type="application/json"
        )

    def test_the_office_opens_closes_and_publishes_a_round(self) -> None:
        round_ = self.make_round(area=self.county, min_sample=3)
        self.assertEqual(self.call(self.school_admin, f"{round_.pk}/open").status_code, 404)
        opened = self.call(self.office_user, f"{round_.pk}/open")
        self.assertEqual(opened.status_code, 200, opened.content)
        self.assertEqual(opened.json()["status"], "open")
        self.rate(self.school, satisfied=1, dissatisfied=3)
        self.assertEqual(
            self.call(self.office_user, f"{round_.pk}/close").json()["status"], "closed"
        )
        self.assertEqual(Remedial.objects.filter(round=round_).count(), 1)
        again = self.call(self.office_user, f"{round_.pk}/close")
        self.assertEqual(again.status_code, 400)
        self.assertEqual(Remedial.objects.filter(round=round_).count(), 1)  # nothing twice
        self.assertTrue(self.call(self.office_user, f"{round_.pk}/publish").json()["published"])

    def test_the_office_reviews_a_flag_with_a_reason(self) -> None:
        round_ = self.open_round(area=self.county)
        actions.check_submit_rating(
            self.school,
            respondent_type="parent",
            overall=4,
            answers={},
            idempotency_key="api-review-key-0001",
            seconds=1,
        )
        flagged = round_.responses.get()
        path = f"{round_.pk}/responses/{flagged.pk}/review"
        body = {"status": "accepted", "reason": "督导组现场发放，核实为家长本人填写"}
        self.assertEqual(self.call(self.assessor, path, body).status_code, 404)
        answer = self.call(self.office_user, path, body)
        self.assertEqual(answer.json()["status"], "accepted")
        empty = self.call(self.office_user, path, {"status": "excluded", "reason": ""})
        self.assertEqual(empty.status_code, 400)

    def test_scores_are_entered_within_scope_and_the_comment_never_returns(self) -> None:
        round_ = self.open_round(
            area=self.county, indicators=scheme.parse_lines("规范收费｜100｜10")[0]
        )
        path = f"{round_.pk}/units/{self.school.pk}/third-party"
        over = self.call(self.assessor, path, {"indicator": "规范收费", "score": "11"})
        self.assertEqual(over.status_code, 400)
        self.assertIn("超过满分", over.json()["detail"])
        done = self.call(self.assessor, path, {"indicator": "规范收费", "score": "９"})
        self.assertEqual(done.json()["score"], "9.00")
        entry = {"indicator": "规范收费", "score": "9"}
        # Not an assessor: refused by role before any id is looked at, whatever the round.
        self.assertEqual(self.call(self.county_admin, path, entry).status_code, 403)
        self.assertEqual(self.call(self.school_admin, path, entry).status_code, 403)
        missing = f"{2_000_000_000}/units/{self.school.pk}/third-party"
        self.assertEqual(self.call(self.school_admin, missing, entry).status_code, 403)
        elsewhere = f"{round_.pk}/units/{self.other_school.pk}/third-party"
        self.assertEqual(
            self.call(
                self.assessor, elsewhere, {"indicator": "规范收费", "score": "9"}
            ).status_code,
            404,
        )
        review = self.call(
            self.inspector,
            f"{round_.pk}/units/{self.school.pk}/discipline",
            {"rating": "poor", "comment": SECRET, "veto": True},
        )
        self.assertEqual(review.status_code, 200)
        self.assertNotIn(SECRET, review.content.decode())
        self.assertTrue(review.json()["veto"])


def _shape(sql: str) -> str:
    """What a statement does, and to which table: "read orgs_unit", "write …", "begin"."""
    text = sql.lstrip().upper()
    if text.startswith("SAVEPOINT") or text.startswith("BEGIN"):
        return "begin"
    if text.startswith("RELEASE SAVEPOINT") or text.startswith("COMMIT"):
        return "end"
    if "PG_ADVISORY" in text:
        return "lock"
    verb = "read" if text.startswith("SELECT") else "write"
    outer = sql
    while (inner := re.sub(r"\([^()]*\)", "", outer)) != outer:  # subqueries gone
        outer = inner
    table = re.search(r'(?:FROM|INTO|UPDATE)\s+"?(\w+)', outer, re.IGNORECASE)
    return f"{verb} {table[1] if table else sql}"

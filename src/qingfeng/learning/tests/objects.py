"""Objects of 东城区实验小学 for the "another school's id → 404" check of every route with an id
(core/tests/objects.py says the convention). Pledges are 东城区's own and cases its drafts,
so nobody of 西山县 reaches them (published cases are the whole city's library)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from qingfeng.core.tests.objects import Factory, Made
from qingfeng.learning import actions, tokens
from qingfeng.learning.models import Attendance, Case, SelfExam, SessionType
from qingfeng.ledger import actions as ledger_actions
from qingfeng.ledger.models import Category, Problem
from qingfeng.test import BaseTestCase


def _session(case: BaseTestCase, *, hours: float = 2):
    return actions.check_plan_session(
        actor=case.school_admin,
        unit=case.school,
        type=SessionType.objects.get(code="all_staff"),
        starts_at=timezone.now() + timedelta(hours=hours),
        place="会议室",
        chair="校长",
        topic="学习中央八项规定精神",
    )


def unit(case: BaseTestCase) -> Made:
    return Made({"unit_id": case.school.pk}, case.school_admin)


def session(case: BaseTestCase) -> Made:
    return Made({"pk": _session(case).pk}, case.school_admin)


def leave(case: BaseTestCase) -> Made:
    item = _session(case)
    me = case.teacher.person
    row = actions.check_ask_leave(item, person=me, actor=case.teacher, reason="外出培训")
    return Made({"pk": item.pk, "row_id": row.pk}, case.school_admin)


def scan(case: BaseTestCase) -> Made:
    return Made({"token": tokens.make(_session(case, hours=0.1).pk)}, case.teacher)  # type: ignore[dict-item]


def makeup(case: BaseTestCase) -> Made:
    item = _session(case, hours=-1)
    actions.check_hold_session(item, actor=case.school_admin, minutes="学习")
    row = Attendance.objects.get(session=item, person=case.teacher.person)
    return Made({"pk": row.makeup.pk}, case.teacher)


def _problem(case: BaseTestCase) -> Problem:
    return ledger_actions.check_create_problem(
        actor=case.school_admin,
        unit=case.school,
        category=Category.objects.first(),
        list_kind=Problem.ListKind.LEADERSHIP,
        source=Problem.Source.SELF_CHECK,
        title="食堂账目公示不及时",
        description="食堂账目公示不及时",
        rectification_type=Problem.RectificationType.LONG_TERM,
    )


def self_exam(case: BaseTestCase) -> Made:
    exam = actions.check_submit_self_exam(
        actor=case.school_admin,
        unit=case.school,
        kind=SelfExam.Kind.LEADERSHIP,
        title="五查五看自查",
        answers=dict.fromkeys(actions.CHECKS, "已对照检查"),
    )
    return Made({"pk": exam.pk}, case.school_admin)


def _pledge(case: BaseTestCase, year: int = 2026):
    return actions.check_issue_pledge(
        actor=case.bureau_admin,
        issuer=case.county,
        group="all",
        title="廉洁从教承诺书",
        text="严守纪律",
        year=year,
    )


def pledge(case: BaseTestCase) -> Made:
    return Made({"pk": _pledge(case).pk}, case.teacher)


def report(case: BaseTestCase) -> Made:
    signature = actions.check_sign_pledge(
        _pledge(case, 2027),
        person=case.teacher.person,
        actor=case.teacher,
    )
    made = actions.check_report_fulfilment(signature, actor=case.teacher, text="践诺情况")
    return Made({"pk": made.pk}, case.school_admin)


def propose(case: BaseTestCase) -> Made:
    problem = _problem(case)
    Problem.objects.filter(pk=problem.pk).update(status=Problem.Status.CLOSED)
    return Made({"problem_id": problem.pk}, case.school_admin)


def case_(case: BaseTestCase) -> Made:
    item = actions.check_enter_case(
        actor=case.school_admin,
        owner=case.school,
        title="违规收费",
        facts="某校违规收取资料费",
        category=Case.Category.FEES,
        level=Case.Level.LOCAL,
    )
    return Made({"pk": item.pk}, case.school_admin)


def session_type(case: BaseTestCase) -> Made:
    """The study types are the whole city's: no school's, the city bureau's to configure."""
    return Made({"pk": SessionType.objects.get(code="center_group").pk}, case.bureau_admin)


def session_type_api(case: BaseTestCase) -> Made:
    return Made({"type_id": SessionType.objects.get(code="center_group").pk}, case.bureau_admin)


OBJECTS: dict[str, Factory] = {
    "learning:type_edit": session_type,
    "learning:type_active": session_type,
    "learning:session_sheet": session,
    "learning:unit": unit,
    "learning:pledge_rate_qr": unit,
    "learning:pledge_rate_poster": unit,
    "learning:session": session,
    "learning:leave_decide": leave,
    "learning:scan": scan,
    "learning:makeup": makeup,
    "learning:self_exam": self_exam,
    "learning:pledge": pledge,
    "learning:rate": report,
    "learning:propose": propose,
    "learning:case": case_,
    "api:learning_calendar": unit,
}

"""Objects of 东城区实验小学 for the "another school's id → 404" check of every route with an id
(core/tests/objects.py says the convention)."""

from __future__ import annotations

from datetime import date

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from qingfeng.core.tests.objects import Factory, Made
from qingfeng.ledger import actions, excel
from qingfeng.ledger.actions import rechecks
from qingfeng.ledger.models import Category, Problem
from qingfeng.ledger.tests.base import PNG
from qingfeng.orgs.models import Person
from qingfeng.test import BaseTestCase


def rectifying(case: BaseTestCase) -> Problem:
    """The teacher's problem, assigned by the county, with a photo of the fix."""
    problem = actions.check_create_problem(
        actor=case.county_admin,
        unit=case.school,
        list_kind=Problem.ListKind.PERSONAL,
        source=Problem.Source.SELF_CHECK,
        category=Category.objects.get(name="教辅材料违规征订"),
        title="违规推荐教辅材料",
        description="三年级推荐学生购买指定教辅。",
        rectification_type=Problem.RectificationType.TIME_LIMITED,
        deadline_workdays=10,
        responsible_person=Person.objects.get(user=case.teacher),
    )
    actions.check_assign(problem, actor=case.county_admin)
    actions.do_accept(problem, actor=case.teacher)
    photo = SimpleUploadedFile("after.png", PNG, content_type="image/png")
    actions.check_report_progress(
        problem, actor=case.teacher, progress=100, text="已退费", files=[(photo, "after")]
    )
    return problem


def problem(case: BaseTestCase) -> Made:
    return Made({"pk": rectifying(case).pk}, case.school_admin)


def evidence(case: BaseTestCase) -> Made:
    return Made({"pk": rectifying(case).evidence.get().pk}, case.school_admin)


def publication(case: BaseTestCase) -> Made:
    """The problem's notice on the school's board, recorded by the school."""
    problem = rectifying(case)
    photo = SimpleUploadedFile("公示栏.png", PNG, content_type="image/png")
    made = actions.check_record_offline_publication(
        problem,
        actor=case.school_admin,
        channel="notice_board",
        published_on=timezone.localdate(),
        summary="整改情况已在校门口公示栏公示一周",
        upload=photo,
    )
    return Made({"pk": made.pk}, case.school_admin)


def recheck(case: BaseTestCase) -> Made:
    """A closure drawn for the re-check of the next quarter."""
    problem = rectifying(case)
    actions.check_request_closure(problem, actor=case.teacher, text="已完成")
    actions.check_verify(problem, verifier=case.county_admin, outcome="approved", comment="同意")
    today = timezone.localdate()
    month = (today.month - 1) // 3 * 3 + 4
    next_quarter = date(today.year + (month > 12), (month - 1) % 12 + 1, 1)
    (drawn,) = rechecks.draw_rechecks(next_quarter, percent=100)
    return Made({"pk": drawn.pk}, case.supervisor)


def ledger_import(case: BaseTestCase) -> Made:
    upload = SimpleUploadedFile("台账.xlsx", b"PK\x03\x04 not read here")
    return Made(
        {"pk": excel.do_receive_ledger(upload, actor=case.school_admin).pk}, case.school_admin
    )


OBJECTS: dict[str, Factory] = {
    "ledger:detail": problem,
    "ledger:evidence": evidence,
    "ledger:publication": publication,
    "ledger:recheck_decide": recheck,
    "ledger:import_result": ledger_import,
    "ledger:import_apply": ledger_import,
}

"""Objects of 东城区实验小学 for the "another school's id → 404" check of every route with an id
(core/tests/objects.py says the convention): a finished visit of the school with a photo, the
bureau's group with the school's posting, and a draw over the bureau's schools."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from qingfeng.core.tests.objects import Factory, Made
from qingfeng.ledger.tests.base import PNG
from qingfeng.orgs.models import Role, User
from qingfeng.oversight import actions
from qingfeng.oversight.models import DocumentRequest, Group, Round, Visit
from qingfeng.oversight.tests.test_visits import JPEG
from qingfeng.test import BaseTestCase, make_user


def _group(case: BaseTestCase) -> Group:
    return actions.check_create_group(
        actor=case.bureau_admin,
        owner=case.bureau,
        name="第一督导组",
        leader=case.supervisor,
        members=[],
        regions=[case.county],
        stages=[],
    )


def _finished_visit(case: BaseTestCase) -> Visit:
    visit = actions.check_plan_visit(
        actor=case.bureau_admin,
        group=_group(case),
        unit=case.school,
        planned_start=timezone.now() + timedelta(hours=1),
        team=[case.supervisor],
        checklist_items=["fees"],
    )
    with time_machine.travel(visit.planned_start):
        actions.check_start_visit(visit, actor=case.supervisor)
        photo = SimpleUploadedFile("a.jpg", JPEG, content_type="image/jpeg")
        actions.check_add_finding(
            visit, actor=case.supervisor, item="fees", text="收费未公示", photos=[photo]
        )
        actions.check_finish_visit(visit, actor=case.supervisor)
    return visit


def visit(case: BaseTestCase) -> Made:
    return Made({"pk": _finished_visit(case).pk}, case.school_admin)


def photo(case: BaseTestCase) -> Made:
    found = _finished_visit(case)
    photo_id = found.findings.get().photos.get().pk
    return Made({"pk": found.pk, "photo_id": photo_id}, case.school_admin)


def api_visit(case: BaseTestCase) -> Made:
    return Made({"visit_id": _finished_visit(case).pk}, case.school_admin)


def group(case: BaseTestCase) -> Made:
    return Made({"pk": _group(case).pk}, case.bureau_admin)


def posting(case: BaseTestCase) -> Made:
    found = _group(case)
    made = actions.check_attach_school(
        found, actor=case.bureau_admin, supervisor=case.supervisor, school=case.school
    )
    return Made({"pk": found.pk, "posting_id": made.pk}, case.bureau_admin)


def _draw_id(case: BaseTestCase) -> int:
    return actions.check_commit_draw(
        actor=case.bureau_admin,
        owner=case.bureau,
        name="抽查",
        purpose="spot",
        value_note="福彩3D 开奖号码",
        count=1,
        inspectors_per_target=0,
    ).pk


def draw(case: BaseTestCase) -> Made:
    return Made({"pk": _draw_id(case)}, case.bureau_admin)


def api_draw(case: BaseTestCase) -> Made:
    return Made({"draw_id": _draw_id(case)}, case.bureau_admin)


def _round(case: BaseTestCase) -> Round:
    return actions.check_create_round(
        actor=case.bureau_admin,
        owner=case.bureau,
        name="巡察",
        mandate="了解情况",
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate() + timedelta(days=39),
        duty_phone="12345",
        postbox="一楼",
        targets=[case.school],
    )


def round_(case: BaseTestCase) -> Made:
    return Made({"pk": _round(case).pk}, case.school_admin)


def api_round(case: BaseTestCase) -> Made:
    return Made({"round_id": _round(case).pk}, case.school_admin)


def api_group(case: BaseTestCase) -> Made:
    return Made({"group_id": _group(case).pk}, case.bureau_admin)


def document_request(case: BaseTestCase) -> Made:
    found = _round(case)
    # Made once per test case: another route's object reuses the inspectors.
    team = [
        User.objects.filter(username=f"objects_insp{i}").first()
        or make_user(f"objects_insp{i}", unit=case.bureau, role=Role.INSPECTOR, name=f"巡察员{i}")
        for i in range(4)
    ]
    actions.check_set_team(
        found, actor=case.bureau_admin, leader=case.supervisor, deputies=team[:1], members=team[1:]
    )
    for user in [case.supervisor, *team]:
        actions.check_sign_declaration(found, user=user, text="无利害关系")
    actions.check_advance_round(found, actor=case.bureau_admin)
    row = actions.check_request_documents(
        found, actor=case.supervisor, unit=case.school, what="台账", due_on=found.ends_on
    )
    return Made({"pk": found.pk, "request_id": row.pk}, case.school_admin)


def request_file(case: BaseTestCase) -> Made:
    made = document_request(case)
    row = DocumentRequest.objects.get(pk=made.ids["request_id"])
    upload = SimpleUploadedFile("台账.png", PNG, content_type="image/png")
    actions.check_answer_request(row, actor=case.school_admin, response="见附件", files=[upload])
    return Made({**made.ids, "file_id": row.files.get().pk}, case.school_admin)


def observer(case: BaseTestCase) -> Made:
    """A parent representative observing the school (the office ends the appointment)."""
    user = make_user("parent_obs", unit=case.school, role=None, name="家长代表")
    found = actions.check_appoint_observer(
        actor=case.bureau_admin, user=user, area=case.school, kind="parent"
    )
    return Made({"pk": found.pk}, case.bureau_admin)


OBJECTS: dict[str, Factory] = {
    "oversight:observer_end": observer,
    "oversight:round": round_,
    "oversight:request_answer": document_request,
    "oversight:request_file": request_file,
    "oversight:visit": visit,
    "oversight:photo": photo,
    "oversight:group": group,
    "oversight:posting_end": posting,
    "oversight:draw": draw,
    "api:oversight_visit": api_visit,
    "api:oversight_draw_value": api_draw,
    "api:oversight_round": api_round,
    "api:oversight_round_advance": api_round,
    "api:oversight_group": api_group,
}

"""Objects of 东城区实验小学 for the "another school's id → 404" check of every route with an id
(core/tests/objects.py says the convention). The campaign is the bureau's, so every school sees
it; what belongs to 东城区实验小学 — its task, plan, weekly report — nobody of 西山县 reaches."""

from __future__ import annotations

from datetime import date, time

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from qingfeng.campaigns import actions, files, registers
from qingfeng.campaigns.models import Activity, Campaign, Meeting, Task, UnitPlan
from qingfeng.campaigns.rhythm import week_of
from qingfeng.core.tests.objects import Factory, Made
from qingfeng.orgs.models import Unit
from qingfeng.test import BaseTestCase


def _campaign(case: BaseTestCase) -> Campaign:
    return actions.check_create_campaign(
        actor=case.bureau_admin,
        owner=case.county,
        name="东城区作风建设专项",
        starts_on=date(2026, 1, 1),
        ends_on=date(2030, 12, 31),
    )


def campaign(case: BaseTestCase) -> Made:
    return Made({"pk": _campaign(case).pk}, case.county_admin)


def task(case: BaseTestCase) -> Made:
    made = actions.check_issue_task(
        _campaign(case),
        actor=case.county_admin,
        issuer=case.county,
        kind=Task.Kind.COMMON,
        title="校长接待日",
        requirement="每月一次",
        due_workdays=5,
        evidence=Task.Evidence.CONFIRM,
        categories=[Unit.Category.SCHOOL],
    )
    return Made({"pk": made.pk}, case.school_admin)


def assignment(case: BaseTestCase) -> Made:
    made = Task.objects.get(pk=task(case).ids["pk"]).assignments.get(unit=case.school)
    return Made({"pk": made.pk}, case.school_admin)


def plan(case: BaseTestCase) -> Made:
    made = actions.check_submit_plan(
        _campaign(case), unit=case.school, actor=case.school_admin, points="成立专班，每月接待日"
    )
    return Made({"pk": made.pk}, case.county_admin)


def weekly(case: BaseTestCase) -> Made:
    camp = _campaign(case)
    week = week_of(timezone.localdate())
    return Made(
        {"pk": camp.pk, "unit_id": case.school.pk, "week": week.isoformat()},  # type: ignore[dict-item]
        case.school_admin,
    )


def report(case: BaseTestCase) -> Made:
    made = actions.check_file_report(
        _campaign(case),
        unit=case.school,
        week_start=week_of(timezone.localdate()),
        actor=case.school_admin,
    )
    return Made({"pk": made.pk}, case.county_admin)


def _pdf() -> SimpleUploadedFile:
    return SimpleUploadedFile("实施方案.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")


def file(case: BaseTestCase) -> Made:
    plan_pk = plan(case).ids["pk"]
    made = files.check_attach_file(
        UnitPlan.objects.get(pk=plan_pk), actor=case.school_admin, upload=_pdf()
    )
    return Made({"pk": made.pk}, case.county_admin)


def file_upload(case: BaseTestCase) -> Made:
    return Made({"kind": "plan", "pk": plan(case).ids["pk"]}, case.school_admin)  # type: ignore[dict-item]


def meeting(case: BaseTestCase) -> Made:
    """The school's own dispatch meeting (a unit's register); its county reaches it."""
    made = registers.check_hold_meeting(
        _campaign(case),
        actor=case.school_admin,
        unit=case.school,
        held_on=date(2026, 1, 5),
        title="校务会专题调度",
        attendees="校领导班子",
        items=[("公示收费标准", case.school, date(2026, 1, 20))],
    )
    return Made({"pk": made.pk}, case.county_admin)


def item(case: BaseTestCase) -> Made:
    made = Meeting.objects.get(pk=meeting(case).ids["pk"]).items.get()
    return Made({"pk": made.pk}, case.school_admin)


def activity(case: BaseTestCase) -> Made:
    """The school's reception day, announced for today (so every form of its page is open)."""
    made = registers.check_plan_activity(
        actor=case.school_admin,
        unit=case.school,
        kind=Activity.Kind.RECEPTION,
        held_on=timezone.localdate(),
        starts_at=time(14),
        place="学校接待室",
        cadre="校长",
        how_to_come="无需预约",
    )
    return Made({"pk": made.pk}, case.school_admin)


def rule(case: BaseTestCase) -> Made:
    """A rule of the school's register (建章立制); its county reaches it."""
    made = registers.check_adopt_rule(
        actor=case.school_admin,
        unit=case.school,
        title="课后服务收费公示制度",
        kind="new",
        adopted_on=date(2026, 1, 5),
    )
    return Made({"pk": made.pk}, case.school_admin)


OBJECTS: dict[str, Factory] = {
    "campaigns:rule_link": rule,
    "campaigns:activity": activity,
    "campaigns:meeting": meeting,
    "campaigns:item_done": item,
    "campaigns:file": file,
    "campaigns:file_upload": file_upload,
    "campaigns:detail": campaign,
    "campaigns:task": task,
    "campaigns:confirm": assignment,
    "campaigns:plan": plan,
    "campaigns:weekly_fill": weekly,
    "campaigns:report": report,
}

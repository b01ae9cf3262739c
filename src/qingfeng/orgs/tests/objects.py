"""Objects of 东城区实验小学 for the "another school's id → 404" check of every route with an id
(core/tests/objects.py says the convention)."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from qingfeng.core.tests.objects import Factory, Made
from qingfeng.orgs import actions as account_actions
from qingfeng.orgs import roster
from qingfeng.orgs.models import ApiToken, Person
from qingfeng.test import BaseTestCase


def school(case: BaseTestCase) -> Made:
    return Made({"pk": case.school.pk}, case.school_admin)


def teacher(case: BaseTestCase) -> Made:
    return Made({"pk": Person.objects.get(user=case.teacher).pk}, case.school_admin)


def roster_import(case: BaseTestCase) -> Made:
    upload = SimpleUploadedFile("名册.xlsx", b"PK\x03\x04 not read here")
    record = roster.do_receive_roster(upload, actor=case.school_admin)
    return Made({"pk": record.pk}, case.school_admin)


def account(case: BaseTestCase) -> Made:
    return Made({"pk": case.teacher.pk}, case.system_admin)


def role(case: BaseTestCase) -> Made:
    assignment = case.teacher.roles.get()
    return Made({"pk": case.teacher.pk, "role_pk": assignment.pk}, case.system_admin)


def leader(case: BaseTestCase) -> Made:
    return Made({"user_id": case.leader.pk}, case.bureau_admin)


def token(case: BaseTestCase) -> Made:
    account_actions.do_create_api_token(case.school_admin, name="对接")
    return Made({"pk": ApiToken.objects.get(user=case.school_admin).pk}, case.school_admin)


OBJECTS: dict[str, Factory] = {
    "orgs:unit": school,
    "orgs:person": teacher,
    "orgs:roster_result": roster_import,
    "orgs:account": account,
    "orgs:account_revoke": role,
    "orgs:liaison_set": leader,
    "accounts:revoke_token": token,
}

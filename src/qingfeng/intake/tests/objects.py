"""Objects of 东城区实验小学 for the "another school's id → 404" check of every route with an id
(core/tests/objects.py says the convention)."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from qingfeng.core.tests.objects import Factory, Made
from qingfeng.intake import actions
from qingfeng.intake.actions import handling
from qingfeng.intake.models import Ticket, TicketCategory
from qingfeng.ledger.tests.base import PNG
from qingfeng.test import BaseTestCase


def assigned(case: BaseTestCase) -> Ticket:
    """A parent's report about the school, with a photo, accepted and assigned to the school."""
    ticket, _code = actions.check_submit_ticket(
        kind=Ticket.Kind.COMPLAINT,
        category=TicketCategory.objects.get(name="乱收费乱办班乱订资料"),
        unit=case.school,
        title="老师要求购买指定教辅",
        content="三年级老师要求每人购买120元教辅。",
        anonymous=True,
        files=[SimpleUploadedFile("photo.png", PNG, content_type="image/png")],
    )
    handling.do_accept(ticket, actor=case.bureau_admin)
    return handling.check_assign(ticket, actor=case.bureau_admin, unit=case.school)


def ticket(case: BaseTestCase) -> Made:
    return Made({"pk": assigned(case).pk}, case.school_admin)


def attachment(case: BaseTestCase) -> Made:
    return Made({"pk": assigned(case).attachments.get().pk}, case.bureau_admin)


def posters(case: BaseTestCase) -> Made:
    return Made({"unit_id": case.school.pk}, case.school_admin)


OBJECTS: dict[str, Factory] = {
    "intake:detail": ticket,
    "intake:attachment": attachment,
    "intake:poster_png": posters,
}

"""The publication deadline of a visit draw (抽查结果公开期限) on the reminder ladder of
`core.deadlines`, as the ledger's and the channel's deadlines are: the units checked and the
outcome are due on the draw's public notice within QF_OVERSIGHT_PUBLISH_WORKDAYS working days
of its last visit (`selectors.publication_due`, with its light). The daily sweep sends

- 催办 while it is yellow (due within a working day) and 督办 once it is red, to the office
  that runs the draw (专项办 and 局管理员 at the owner unit) and the official who committed it;
- 提级督办 once it is more than QF_LEDGER_ESCALATE_AFTER_DAYS working days overdue, to the
  owner's 分管领导 and the office of the level above.

Each stage is an `Escalation` row per draw and due date written with its notifications in
one transaction (`escalate_once`), so running the sweep twice, or on two workers, sends
nothing twice; a published draw has no deadline and hears nothing."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from qingfeng.core.deadlines import Reminder, escalate_once, ladder_stage
from qingfeng.core.models import Escalation
from qingfeng.orgs.models import Role, Unit, User
from qingfeng.oversight import selectors
from qingfeng.oversight.models import Draw
from qingfeng.oversight.permissions import OFFICE


def _holders(unit_id: int | None, roles: Iterable[str]) -> list[User]:
    if unit_id is None:
        return []
    return list(
        User.objects.filter(
            is_active=True,
            roles__role__in=list(roles),
            roles__unit_id=unit_id,
            roles__revoked_at__isnull=True,
        )
        .distinct()
        .order_by("pk")
    )


def recipients(draw: Draw, stage: str) -> list[User]:
    office = _holders(draw.owner_id, OFFICE)
    if draw.committed_by.is_active and draw.committed_by not in office:
        office.append(draw.committed_by)
    if stage != Escalation.Stage.ESCALATE:
        return office
    owner: Unit = draw.owner
    above = _holders(owner.pk, {Role.LEADER.value}) + _holders(owner.parent_id, OFFICE)
    return above or office


def reminder(draw: Draw, stage: str, due: date) -> Reminder:
    return Reminder(
        title=_("【%(stage)s】%(number)s 抽查结果应于 %(due)s 前公开")
        % {"stage": Escalation.Stage(stage).label, "number": draw.number, "due": due.isoformat()},
        body=_("%(name)s：本次抽取的督导已全部结束，请在期限内公开被抽查单位和检查结果。")
        % {"name": draw.name},
        link=reverse("oversight:draw", args=[draw.pk]),
    )


def waiting() -> QuerySet[Draw]:
    """Visit draws drawn and not yet published that have visits (the deadline's candidates)."""
    return (
        Draw.objects.filter(
            purpose=Draw.Purpose.VISIT,
            status=Draw.Status.DRAWN,
            published_at__isnull=True,
            visits__isnull=False,
        )
        .distinct()
        .select_related("owner", "committed_by")
        .order_by("pk")
    )


def remind_publication(today: date, *, escalate_after: int | None = None) -> int:
    """Send the stage each waiting draw is due today; returns how many were sent now."""
    after = settings.QF_LEDGER_ESCALATE_AFTER_DAYS if escalate_after is None else escalate_after
    sent = 0
    for draw in waiting():
        found = selectors.publication_due(draw, today)
        if found is None:
            continue
        due, light = found
        stage = ladder_stage(light, due, today, escalate_after=int(after))
        if stage is None:
            continue
        if escalate_once(
            draw,
            stage=stage,
            due=due,
            recipients=recipients(draw, stage),
            reminder=reminder(draw, stage, due),
        ):
            sent += 1
    return sent

"""Gap notifications on working days, each gap notified once (a `GapNotice` row per gap):

- a unit behind a study type's cadence: the current period is in its alert window and nothing
  is held yet (即将逾期), or a period that ended in the last month was missed (未落实; for
  第一议题, a meeting held without its first item) — to the unit's administrators;
- a make-up (补课) past its deadline and still open — to the person (or, without an account,
  to the administrators of the session's unit);
- a signed pledge without its quarterly report (践诺) when the quarter has a few working days
  left — to the person;
- a signature near its re-sign day (the anniversary, or the pledge's re-sign period): once
  when re-signing opens (RESIGN_NOTICE_WORKDAYS working days before) and once more when the
  day has passed without a re-sign — to the person.

The daily task enqueues the job `learning.notify_gaps` (registered in apps.py); the job reads
everything first and then writes the notices and their notifications in one short transaction,
so a second run the same day, or a retried job, sends nothing twice.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from qingfeng.core.actions import notify
from qingfeng.core.calendar import get_calendar
from qingfeng.learning import cadence
from qingfeng.learning.actions.pledges import RESIGN_NOTICE_WORKDAYS, quarter
from qingfeng.learning.models import Fulfilment, GapNotice, Makeup, Session
from qingfeng.learning.selectors import active_types, latest_signatures
from qingfeng.lib.workdays import WorkCalendar
from qingfeng.orgs.models import Role, Unit, User

JOB = "learning.notify_gaps"
# Working days before a quarter ends from which a missing pledge report is notified.
REPORT_ALERT_WORKDAYS = 5
# A missed period is notified while it ended no longer ago than this.
MISSED_WITHIN = timedelta(days=31)
K = GapNotice.Kind


@dataclass(frozen=True)
class Gap:
    kind: str
    key: str
    unit_id: int | None
    recipients: tuple[int, ...]
    title: str
    body: str
    link: str


def _unit_admins(unit_ids: set[int]) -> dict[int, tuple[int, ...]]:
    found: dict[int, list[int]] = defaultdict(list)
    rows = (
        User.objects.filter(
            roles__role=Role.UNIT_ADMIN,
            roles__revoked_at__isnull=True,
            roles__unit_id__in=unit_ids,
            is_active=True,
        )
        .values_list("roles__unit_id", "pk")
        .distinct()
    )
    for unit_id, user_id in rows:
        found[unit_id].append(user_id)
    return {k: tuple(sorted(v)) for k, v in found.items()}


def cadence_gaps(today: date, calendar: WorkCalendar) -> list[Gap]:
    """Every unit with an administrator: the cells of the current period in alert, and the
    missed cells of a period that ended in the last month. Three queries in all."""
    admins = _unit_admins(
        set(
            Unit.objects.filter(
                is_active=True,
                role_assignments__role=Role.UNIT_ADMIN,
                role_assignments__revoked_at__isnull=True,
            ).values_list("pk", flat=True)
        )
    )
    if not admins:
        return []
    since = cadence.quarter_of(today - MISSED_WITHIN).starts
    by_unit: dict[int, list[cadence.Held]] = defaultdict(list)
    rows = (
        Session.objects.filter(
            unit_id__in=list(admins),
            starts_at__date__gte=since,
            status__in=[Session.Status.PLANNED, Session.Status.HELD],
        )
        .values_list("unit_id", "type_id", "starts_at", "status", "first_item")
        .order_by()
    )
    for unit_id, type_id, at, status, first in rows:
        by_unit[unit_id].append(
            cadence.Held(
                type_id, timezone.localdate(at), status == Session.Status.HELD, bool(first)
            )
        )
    types = active_types()
    names = dict(Unit.objects.filter(pk__in=list(admins)).values_list("pk", "name"))
    gaps: list[Gap] = []
    for unit_id, recipients in sorted(admins.items()):
        table = cadence.unit_rows(
            types, by_unit.get(unit_id, []), since=since, today=today, calendar=calendar
        )
        for row in table:
            for cell in row.cells:
                missed = cell.state == cadence.State.MISSED and (
                    cell.period.ends >= today - MISSED_WITHIN
                )
                if cell.state != cadence.State.ALERT and not missed:
                    continue
                if cell.state == cadence.State.ALERT:
                    detail = _("即将逾期，剩 %(n)d 个工作日") % {"n": cell.workdays_left}
                else:
                    detail = cell.note or _("未落实")
                gaps.append(
                    Gap(
                        kind=K.CADENCE,
                        key=f"cadence:{unit_id}:{row.type.pk}:{cell.period.starts}:{cell.state}",
                        unit_id=unit_id,
                        recipients=recipients,
                        title=_("【学习提醒】%(unit)s %(type)s %(period)s：%(detail)s")
                        % {
                            "unit": names.get(unit_id, ""),
                            "type": row.type.name,
                            "period": cell.period.label,
                            "detail": detail,
                        },
                        body=_("按要求每期至少 %(n)d 次，已举行 %(held)d 次。")
                        % {"n": row.type.minimum, "held": cell.held},
                        link=f"/learning/u/{unit_id}/",
                    )
                )
    return gaps


def makeup_gaps(today: date) -> list[Gap]:
    late = list(
        Makeup.objects.filter(status=Makeup.Status.OPEN, due_on__lt=today)
        .select_related("person", "attendance__session")
        .order_by("pk")
    )
    admins = _unit_admins({m.attendance.session.unit_id for m in late if m.person.user_id is None})
    gaps: list[Gap] = []
    for makeup in late:
        session = makeup.attendance.session
        if makeup.person.user_id is not None:
            recipients: tuple[int, ...] = (makeup.person.user_id,)
        else:
            recipients = admins.get(session.unit_id, ())
        gaps.append(
            Gap(
                kind=K.MAKEUP,
                key=f"makeup:{makeup.pk}",
                unit_id=session.unit_id,
                recipients=recipients,
                title=_("【补课逾期】%(name)s：%(topic)s（期限 %(due)s）")
                % {"name": makeup.person.name, "topic": session.topic, "due": makeup.due_on},
                body=_("请自学材料并提交心得，或参加后续学习。"),
                link=f"/learning/makeup/{makeup.pk}/",
            )
        )
    return gaps


def fulfilment_gaps(today: date, calendar: WorkCalendar) -> list[Gap]:
    ends = cadence.quarter_of(today).ends
    left = calendar.count_workdays(today, ends) + (1 if calendar.is_workday(today) else 0)
    if left > REPORT_ALERT_WORKDAYS:
        return []
    period = quarter(today)
    reported = Fulfilment.objects.filter(signature=OuterRef("pk"), period=period)
    missing = (
        latest_signatures()
        .filter(pledge__year=today.year, person__is_active=True, user__is_active=True)
        .exclude(Exists(reported))
        .select_related("pledge", "person")
        .order_by("pk")
    )
    return [
        Gap(
            kind=K.FULFILMENT,
            key=f"fulfilment:{s.pk}:{period}",
            unit_id=s.person.unit_id,
            recipients=(s.user_id,),
            title=_("【践诺提醒】请在本季度结束前填报践诺情况：%(t)s") % {"t": s.pledge.title},
            body=_("%(p)s 的践诺情况尚未填报，本季度还剩 %(n)d 个工作日。")
            % {"p": period, "n": left},
            link=f"/learning/pledges/{s.pledge_id}/",
        )
        for s in missing
    ]


def resign_gaps(today: date, calendar: WorkCalendar) -> list[Gap]:
    """Signatures in force whose re-sign day is at most RESIGN_NOTICE_WORKDAYS working days
    away (due) or past (overdue): one notice each, and one more once overdue."""
    horizon = calendar.add_workdays(today, RESIGN_NOTICE_WORKDAYS)
    due = (
        latest_signatures()
        .filter(renew_on__lte=horizon, person__is_active=True, user__is_active=True)
        .select_related("pledge", "person")
        .order_by("renew_on", "pk")
    )
    gaps: list[Gap] = []
    for s in due:
        assert s.renew_on is not None
        overdue = s.renew_on < today
        title = (
            _("【承诺重签】承诺书已于 %(d)s 到期，请重新签署：%(t)s")
            if overdue
            else _("【承诺重签】请在 %(d)s 前重新签署承诺书：%(t)s")
        ) % {"d": s.renew_on.isoformat(), "t": s.pledge.title}
        gaps.append(
            Gap(
                kind=K.RESIGN,
                key=f"resign:{s.pk}:{'overdue' if overdue else 'due'}",
                unit_id=s.person.unit_id,
                recipients=(s.user_id,),
                title=title,
                body=_("您于 %(s)s 签署的承诺书每 %(m)d 个月重新签署一次。")
                % {"s": timezone.localdate(s.signed_at).isoformat(), "m": s.pledge.resign_months},
                link=f"/learning/pledges/{s.pledge_id}/",
            )
        )
    return gaps


def find_gaps(today: date, calendar: WorkCalendar) -> list[Gap]:
    return (
        cadence_gaps(today, calendar)
        + makeup_gaps(today)
        + fulfilment_gaps(today, calendar)
        + resign_gaps(today, calendar)
    )


def notify_gaps(today: date, *, calendar: WorkCalendar | None = None) -> int:
    """The gaps of `today` not notified before: their notices and notifications, written in
    one transaction. Nothing on a day off. Returns the number of new gaps."""
    calendar = calendar or get_calendar()
    if not calendar.is_workday(today):
        return 0
    gaps = find_gaps(today, calendar)
    if not gaps:
        return 0
    with transaction.atomic():
        known = set(
            GapNotice.objects.filter(key__in=[g.key for g in gaps]).values_list("key", flat=True)
        )
        new = [g for g in gaps if g.key not in known]
        GapNotice.objects.bulk_create(
            GapNotice(kind=g.kind, key=g.key, unit_id=g.unit_id, recipients=list(g.recipients))
            for g in new
        )
        users = User.objects.in_bulk({u for g in new for u in g.recipients})
        for gap in new:
            for user_id in gap.recipients:
                if user_id in users:
                    notify(recipient=users[user_id], title=gap.title, body=gap.body, link=gap.link)
    return len(new)


def run_job(payload: dict[str, Any]) -> None:
    """The job handler: the day it was enqueued for (a retried job keeps its day)."""
    notify_gaps(date.fromisoformat(payload["day"]))

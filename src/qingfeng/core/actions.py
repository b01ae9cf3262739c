"""Changes to the working-day calendar and to notifications, audited like any other."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qingfeng.core.audit import record_audit
from qingfeng.core.models import CalendarDay, CalendarYear, Notification
from qingfeng.core.notify import queue_for_notification

if TYPE_CHECKING:
    from qingfeng.orgs.models import User


def validate_calendar_day(*, day: date, is_workday: bool, name: str) -> str:
    """The entry's name, stripped; ValidationError when there is nothing to record (for a
    form that reports it beside its fields, as the admin's does)."""
    name = name.strip()
    if not name:
        raise ValidationError(_("请填写节日或调休名称"))
    plain_workday = day.weekday() < 5
    if is_workday == plain_workday and not CalendarDay.objects.filter(date=day).exists():
        raise ValidationError(
            _("%(day)s 本来就是%(kind)s，无需登记")
            % {"day": day.isoformat(), "kind": _("工作日") if plain_workday else _("休息日")}
        )
    return name


@transaction.atomic
def check_set_calendar_day(*, actor: User, day: date, is_workday: bool, name: str) -> CalendarDay:
    """Record a holiday on a weekday or a make-up working day on a weekend."""
    name = validate_calendar_day(day=day, is_workday=is_workday, name=name)
    existing = CalendarDay.objects.filter(date=day).first()
    before = {"is_workday": existing.is_workday, "name": existing.name} if existing else None
    entry, _created = CalendarDay.objects.update_or_create(
        date=day, defaults={"is_workday": is_workday, "name": name}
    )
    CalendarYear.objects.get_or_create(year=day.year, defaults={"source": _("管理员录入")})
    record_audit(
        actor=actor,
        action="core.calendar.set",
        obj=entry,
        before=before,
        after={"date": day.isoformat(), "is_workday": is_workday, "name": name},
    )
    return entry


@transaction.atomic
def do_remove_calendar_day(entry: CalendarDay, *, actor: User) -> None:
    """Undo a wrong entry; the audit trail keeps what it was."""
    before = {"date": entry.date.isoformat(), "is_workday": entry.is_workday, "name": entry.name}
    record_audit(actor=actor, action="core.calendar.remove", obj=entry, before=before)
    entry.delete()


@transaction.atomic
def do_publish_calendar_year(*, actor: User, year: int, source: str) -> CalendarYear:
    """Mark a year's official schedule as entered, so weekends-only fallback ends."""
    entry, _created = CalendarYear.objects.update_or_create(
        year=year, defaults={"source": source.strip() or _("管理员录入")}
    )
    record_audit(
        actor=actor,
        action="core.calendar.publish_year",
        obj=entry,
        after={"year": year, "source": entry.source},
    )
    return entry


@transaction.atomic
def do_mark_notifications_read(user: User, *, ids: list[int] | None = None) -> int:
    unread = user.notifications.filter(read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())


def notify(*, recipient: User, title: str, body: str = "", link: str = "") -> Notification:
    """An in-app notification (inside the caller's transaction), and its SMS and e-mail for
    the channels that are switched on, sent by the worker only once this commits."""
    notification = Notification.objects.create(
        recipient=recipient, title=title[:200], body=body, link=link[:300]
    )
    if settings.QF_NOTIFY_CHANNELS:
        queue_for_notification(notification)
    return notification

"""The daily reminder sweep of the weekly report (周调度催报): a unit that has not filed a week
hears of it `QF_CAMPAIGN_REMIND_DAYS` working days before the due day (and on it), and once
more the first day after it (逾期通知, its reviewers too). Each stage is a `WeeklyReminder` row
written with its notifications in one transaction, unique per unit and week, so running the
sweep twice — or a worker killed half-way and restarted — sends nothing twice."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from qingfeng.campaigns import selectors
from qingfeng.campaigns.models import Campaign, WeeklyReminder
from qingfeng.campaigns.permissions import ISSUERS
from qingfeng.campaigns.rhythm import due_on, week_of
from qingfeng.core.actions import notify
from qingfeng.core.audit import record_audit
from qingfeng.core.calendar import get_calendar
from qingfeng.orgs.models import Role, RoleAssignment, Unit, User

Stage = WeeklyReminder.Stage


def stage_for(due: date, today: date, *, remind_days: int) -> str | None:
    """Which reminder a missing report is due today: before the deadline within the window,
    late once it has passed, none otherwise."""
    if today > due:
        return Stage.LATE
    if get_calendar().count_workdays(today, due) <= remind_days:
        return Stage.REMIND
    return None


def do_send_weekly_reminders(today: date) -> int:
    """Every running campaign's reminders for today; returns how many units were told now."""
    sent = 0
    for campaign in Campaign.objects.filter(
        starts_on__lte=today, ends_on__gte=today - timedelta(days=21)
    ).select_related("owner"):
        # The week due this week, and the one before it (a late notice after a weekend).
        for week in (week_of(today) - timedelta(days=14), week_of(today) - timedelta(days=7)):
            if week < week_of(campaign.starts_on) or week > campaign.ends_on:
                continue
            sent += _remind_week(campaign, week, today)
    return sent


@transaction.atomic
def _remind_week(campaign: Campaign, week: date, today: date) -> int:
    due = due_on(week, weekday=campaign.report_due_weekday, calendar=get_calendar())
    stage = stage_for(due, today, remind_days=settings.QF_CAMPAIGN_REMIND_DAYS)
    if stage is None:
        return 0
    units = selectors.reporting_units(campaign).exclude(
        pk__in=campaign.reports.filter(week_start=week).values("unit_id")
    )
    told = set(
        campaign.reminders.filter(week_start=week, stage=stage).values_list("unit_id", flat=True)
    )
    missing = [u for u in units.order_by("path") if u.pk not in told]
    if not missing:
        return 0
    admins = _holders({u.pk for u in missing}, {Role.UNIT_ADMIN.value})
    reviewers = _holders({u.parent_id for u in missing if u.parent_id}, ISSUERS)
    rows = []
    for unit in missing:
        recipients = list(admins.get(unit.pk, []))
        if stage == Stage.LATE and unit.parent_id is not None:
            recipients += reviewers.get(unit.parent_id, [])  # the level above reviews it
        title = _title(stage, unit, week, due)
        link = reverse("campaigns:weekly_fill", args=[campaign.pk, unit.pk, week.isoformat()])
        for user in recipients:
            notify(recipient=user, title=title, link=link)
        rows.append(
            WeeklyReminder(
                campaign=campaign,
                unit=unit,
                week_start=week,
                stage=stage,
                due_on=due,
                recipients=[u.pk for u in recipients],
            )
        )
    WeeklyReminder.objects.bulk_create(rows)
    record_audit(
        actor=None,
        action=f"campaigns.report.{stage}",
        obj=campaign,
        after={"week": week.isoformat(), "units": len(rows)},
    )
    return len(rows)


def _title(stage: str, unit: Unit, week: date, due: date) -> str:
    values = {"unit": unit.name, "week": week.isoformat(), "due": due.isoformat()}
    if stage == Stage.REMIND:
        return _("%(unit)s：%(week)s 这一周的周报请于 %(due)s 前报送") % values
    return _("%(unit)s：%(week)s 这一周的周报已逾期（截止 %(due)s），请尽快报送") % values


def _holders(unit_ids: set[int], roles: Collection[str]) -> dict[int, list[User]]:
    """The active users holding one of `roles` at each unit, each once."""
    rows = RoleAssignment.objects.filter(
        unit_id__in=unit_ids, role__in=roles, revoked_at__isnull=True, user__is_active=True
    ).select_related("user")
    result: dict[int, list[User]] = {}
    for row in rows:
        if row.user not in result.setdefault(row.unit_id, []):
            result[row.unit_id].append(row.user)
    return result

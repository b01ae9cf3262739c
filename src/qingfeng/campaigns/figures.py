"""The campaign's own figures (core/registry.py `FigureSource`): tasks done and overdue, and
the forms it asked people to fill — weekly reports and their typed fields, plans, task
confirmations — which the burden meter adds to the other apps' counts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, timedelta

from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qingfeng.campaigns.models import Activity, Assignment, Campaign, PlanEvent, Task, WeeklyReport
from qingfeng.campaigns.rhythm import due_on, week_of
from qingfeng.core.calendar import get_calendar
from qingfeng.core.registry import Figure, FigureSource, Ratio
from qingfeng.lib.dates import day_bounds
from qingfeng.orgs.models import Unit

FIGURES = (
    Figure("tasks_done", _("完成任务")),
    Figure("tasks_overdue", _("逾期未完成任务")),
    Figure("weekly_due", _("应报周报")),
    Figure("weekly_on_time", _("按时报送周报")),
    Figure("weekly_late", _("逾期报送周报")),
    Figure("weekly_reports", _("报送周报"), burden=True),
    Figure("weekly_fields", _("周报填写项"), burden=True),
    Figure("plans_submitted", _("报送实施方案"), burden=True),
    Figure("task_confirmations", _("确认任务完成"), burden=True),
)


def compute(unit_ids: Sequence[int], start: date, end: date) -> Mapping[int, Mapping[str, int]]:
    first, after = day_bounds(start, end, timezone.get_current_timezone())
    result: dict[int, dict[str, int]] = defaultdict(dict)
    done = Q(status=Assignment.Status.DONE, done_at__gte=first, done_at__lt=after)
    rows = (
        Assignment.objects.filter(unit_id__in=unit_ids)
        .values("unit_id")
        .annotate(
            tasks_done=Count("id", filter=done),
            # Open at the period's end (done later, or not yet) with its due day passed.
            tasks_overdue=Count(
                "id",
                filter=Q(task__due_on__lt=end)
                & (Q(status=Assignment.Status.OPEN) | Q(done_at__gte=after)),
            ),
            task_confirmations=Count("id", filter=done & Q(task__evidence=Task.Evidence.CONFIRM)),
        )
    )
    for row in rows:
        result[row.pop("unit_id")].update(row)
    reports = (
        WeeklyReport.objects.filter(unit_id__in=unit_ids, filed_at__gte=first, filed_at__lt=after)
        .values("unit_id")
        .annotate(weekly_reports=Count("id"), weekly_fields=Sum("fields_filled"))
    )
    for row in reports:
        result[row.pop("unit_id")].update(row)
    plans = (
        PlanEvent.objects.filter(
            plan__unit_id__in=unit_ids,
            action__in=("submit", "resubmit"),
            created_at__gte=first,
            created_at__lt=after,
        )
        .values("plan__unit_id")
        .annotate(n=Count("id"))
    )
    for row in plans:
        result[row["plan__unit_id"]]["plans_submitted"] = row["n"]
    _timeliness(unit_ids, start, end, result)
    return result


def _timeliness(
    unit_ids: Sequence[int], start: date, end: date, result: dict[int, dict[str, int]]
) -> None:
    """Weekly reports due in the period (every unit below a running campaign's owner owes one
    a week), and those filed on time and late, counted by their due day."""
    calendar = get_calendar()
    wanted = set(unit_ids)
    campaigns = Campaign.objects.filter(starts_on__lte=end, ends_on__gte=start - timedelta(days=14))
    for campaign in campaigns.select_related("owner"):
        weeks = 0
        week = week_of(max(campaign.starts_on, start - timedelta(days=14)))
        while week <= min(campaign.ends_on, end):
            due = due_on(week, weekday=campaign.report_due_weekday, calendar=calendar)
            weeks += start <= due <= end
            week += timedelta(days=7)
        if not weeks:
            continue
        below = Unit.objects.within(campaign.owner).exclude(pk=campaign.owner_id)
        for pk in below.filter(is_active=True, pk__in=wanted).values_list("pk", flat=True):
            result[pk]["weekly_due"] = result[pk].get("weekly_due", 0) + weeks
    rows = (
        WeeklyReport.objects.filter(unit_id__in=unit_ids, due_on__gte=start, due_on__lte=end)
        .values("unit_id")
        .annotate(
            weekly_on_time=Count("id", filter=Q(late=False)),
            weekly_late=Count("id", filter=Q(late=True)),
        )
    )
    for row in rows:
        result[row.pop("unit_id")].update(row)


SOURCE = FigureSource(
    "campaigns",
    _("专项工作"),
    50,
    FIGURES,
    compute,
    ratios=(Ratio("weekly_on_time_rate", _("周报按时率"), "weekly_on_time", "weekly_due"),),
)


# Open-door and grassroots activities (issue §1b): a source of their own, so the weekly report
# shows them (it leaves out the campaign's own reporting counts, not the work done).
ACTIVITY_FIGURES = (
    Figure("activities", _("接待和下基层活动")),
    Figure("activities_raised", _("活动中群众反映事项")),
)


def compute_activities(
    unit_ids: Sequence[int], start: date, end: date
) -> Mapping[int, Mapping[str, int]]:
    """Activities whose day fell in the period and has come: an announced one counts once its
    day is here unless it was called off (which is only possible up to that day), so a past
    period keeps its count when the record of it is completed later."""
    rows = (
        Activity.objects.filter(
            unit_id__in=unit_ids,
            held_on__gte=start,
            held_on__lte=min(end, timezone.localdate()),
        )
        .exclude(status=Activity.Status.CANCELLED)
        .values("unit_id")
        .annotate(activities=Count("id"), activities_raised=Sum("raised"))
    )
    return {row.pop("unit_id"): row for row in rows}


ACTIVITIES = FigureSource(
    "activities", _("接待和下基层"), 55, ACTIVITY_FIGURES, compute_activities, stage="check"
)

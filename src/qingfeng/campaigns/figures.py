"""The campaign's own figures (core/registry.py `FigureSource`): tasks done and overdue, and
the forms it asked people to fill — weekly reports and their typed fields, plans, task
confirmations, files uploaded — which the burden meter adds to the other apps' counts; and
every app's imports (a ledger workbook, a roster, a score workbook: core/registry.py
`ImportLog`), counted for the unit of the person who uploaded them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.apps import apps
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qingfeng.campaigns.models import (
    Activity,
    Assignment,
    Campaign,
    CampaignFile,
    PlanEvent,
    Task,
    WeeklyReport,
)
from qingfeng.campaigns.rhythm import due_on, week_of
from qingfeng.core import figurelist, registry
from qingfeng.core.calendar import get_calendar
from qingfeng.core.registry import Figure, FigureSource, Ratio
from qingfeng.lib.dates import day_bounds
from qingfeng.orgs.models import Person, Unit

FIGURES = (
    Figure("tasks_done", _("完成任务"), listed=True),
    Figure("tasks_overdue", _("逾期未完成任务"), listed=True),
    Figure("weekly_due", _("应报周报"), listed=True),
    Figure("weekly_on_time", _("按时报送周报"), listed=True),
    Figure("weekly_late", _("逾期报送周报"), listed=True),
    Figure("weekly_reports", _("报送周报"), burden=True),
    Figure("weekly_fields", _("周报填写项"), burden=True),
    Figure("plans_submitted", _("报送实施方案"), burden=True),
    Figure("task_confirmations", _("确认任务完成"), burden=True),
    Figure("campaign_uploads", _("上传方案、任务和周报附件"), burden=True),
    Figure("imports", _("导入表格（台账、名册、评分等）"), burden=True),
)


def _conditions(start: date, end: date) -> figurelist.Conditions:
    """Per counted figure: the model, its unit, and the condition a record meets to be
    counted — one definition for the counts and for the list behind a count (`records`)."""
    first, after = day_bounds(start, end, timezone.get_current_timezone())
    done = Q(status=Assignment.Status.DONE, done_at__gte=first, done_at__lt=after)
    due = Q(due_on__gte=start, due_on__lte=end)
    return {
        "tasks_done": (Assignment, "unit_id", done),
        # Open at the period's end (done later, or not yet) with its due day passed.
        "tasks_overdue": (
            Assignment,
            "unit_id",
            Q(task__due_on__lt=end) & (Q(status=Assignment.Status.OPEN) | Q(done_at__gte=after)),
        ),
        "task_confirmations": (
            Assignment,
            "unit_id",
            done & Q(task__evidence=Task.Evidence.CONFIRM),
        ),
        "weekly_reports": (WeeklyReport, "unit_id", Q(filed_at__gte=first, filed_at__lt=after)),
        "weekly_on_time": (WeeklyReport, "unit_id", due & Q(late=False)),
        "weekly_late": (WeeklyReport, "unit_id", due & Q(late=True)),
        "plans_submitted": (
            PlanEvent,
            "plan__unit_id",
            Q(action__in=("submit", "resubmit"), created_at__gte=first, created_at__lt=after),
        ),
        # A plan file, a task's or a weekly report's evidence, a rule's text: each one a
        # person had to find and upload.
        "campaign_uploads": (
            CampaignFile,
            "unit_id",
            Q(uploaded_at__gte=first, uploaded_at__lt=after),
        ),
    }


_count, _records = figurelist.counted(_conditions)


def compute(unit_ids: Sequence[int], start: date, end: date) -> Mapping[int, Mapping[str, int]]:
    result = _count(unit_ids, start, end)
    first, after = day_bounds(start, end, timezone.get_current_timezone())
    fields = (
        WeeklyReport.objects.filter(unit_id__in=unit_ids, filed_at__gte=first, filed_at__lt=after)
        .values("unit_id")
        .annotate(n=Sum("fields_filled"))
        .order_by()
    )
    for row in fields:
        result[row["unit_id"]]["weekly_fields"] = row["n"]
    for due in weekly_due(set(unit_ids), start, end):
        result[due.unit_id]["weekly_due"] = result[due.unit_id].get("weekly_due", 0) + 1
    for pk, n in imports(unit_ids, start, end).items():
        result[pk]["imports"] = n
    return result


def imports(unit_ids: Sequence[int], start: date, end: date) -> dict[int, int]:
    """Per unit, the imports its people made in these days, of every registered import log:
    one grouped query per log by uploader, and one of the uploaders' units. A person counts
    for the unit they belong to (their roster entry); an account with none counts nowhere."""
    first, after = day_bounds(start, end, timezone.get_current_timezone())
    by_user: dict[int, int] = {}
    for log in registry.import_logs():
        model = apps.get_model(log.model)
        rows = (
            model._default_manager.filter(**{f"{log.at}__gte": first, f"{log.at}__lt": after})
            .values_list(f"{log.by}_id")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for user_id, n in rows:
            by_user[user_id] = by_user.get(user_id, 0) + n
    if not by_user:
        return {}
    wanted = set(unit_ids)
    result: dict[int, int] = {}
    people = Person.objects.filter(user_id__in=by_user, unit_id__in=wanted)
    for user_id, unit_id in people.values_list("user_id", "unit_id"):
        result[unit_id] = result.get(unit_id, 0) + by_user[user_id]
    return result


@dataclass(frozen=True)
class Due:
    """One weekly report a unit owed: every unit below a running campaign's owner owes one a
    week, counted by its due day."""

    unit_id: int
    unit_name: str
    campaign: Campaign
    week_start: date
    due_on: date


def weekly_due(unit_ids: set[int], start: date, end: date) -> list[Due]:
    """The weekly reports due in the period from the units of `unit_ids`, by due day."""
    calendar = get_calendar()
    found = []
    campaigns = Campaign.objects.filter(starts_on__lte=end, ends_on__gte=start - timedelta(days=14))
    for campaign in campaigns.select_related("owner").order_by("starts_on", "pk"):
        weeks = []
        week = week_of(max(campaign.starts_on, start - timedelta(days=14)))
        while week <= min(campaign.ends_on, end):
            due = due_on(week, weekday=campaign.report_due_weekday, calendar=calendar)
            if start <= due <= end:
                weeks.append((week, due))
            week += timedelta(days=7)
        if not weeks:
            continue
        below = Unit.objects.within(campaign.owner).exclude(pk=campaign.owner_id)
        units = below.filter(is_active=True, pk__in=unit_ids).order_by("path")
        for pk, name in units.values_list("pk", "name"):
            found += [Due(pk, name, campaign, week, due) for week, due in weeks]
    return found


def records(key: str, unit_ids: Any, start: date, end: date) -> QuerySet[Any] | list[Due]:
    """The records counted in figure `key` for the days `start` … `end` in the units of
    `unit_ids` (the list behind a dashboard number, core/figurelist.py): the weekly reports
    owed are made from the campaigns and units, the rest are rows."""
    if key == "weekly_due":
        return weekly_due(
            set(Unit.objects.filter(pk__in=unit_ids).values_list("pk", flat=True)), start, end
        )
    return _records(key, unit_ids, start, end)


SOURCE = FigureSource(
    "campaigns",
    _("专项工作"),
    50,
    FIGURES,
    compute,
    records="campaigns:figures",
    own_records=True,
    ratios=(Ratio("weekly_on_time_rate", _("周报按时率"), "weekly_on_time", "weekly_due"),),
)


# Open-door and grassroots activities (issue §1b): a source of their own, so the weekly report
# shows them (it leaves out the campaign's own reporting counts, not the work done).
ACTIVITY_FIGURES = (
    Figure("activities", _("接待和下基层活动"), listed=True),
    Figure("activities_raised", _("活动中群众反映事项")),  # a sum, not a count of records
)


def _activities(start: date, end: date) -> Q:
    """Activities whose day fell in the period and has come: an announced one counts once its
    day is here unless it was called off (which is only possible up to that day), so a past
    period keeps its count when the record of it is completed later."""
    return Q(held_on__gte=start, held_on__lte=min(end, timezone.localdate())) & ~Q(
        status=Activity.Status.CANCELLED
    )


def compute_activities(
    unit_ids: Sequence[int], start: date, end: date
) -> Mapping[int, Mapping[str, int]]:
    rows = (
        Activity.objects.filter(_activities(start, end), unit_id__in=unit_ids)
        .values("unit_id")
        .annotate(activities=Count("id"), activities_raised=Sum("raised"))
        .order_by()
    )
    return {row.pop("unit_id"): row for row in rows}


def activity_records(key: str, unit_ids: Any, start: date, end: date) -> QuerySet[Activity]:
    """The activities counted in figure `key` (the list behind a dashboard number)."""
    assert key == "activities"
    return Activity.objects.filter(_activities(start, end), unit_id__in=unit_ids)


ACTIVITIES = FigureSource(
    "activities",
    _("接待和下基层"),
    55,
    ACTIVITY_FIGURES,
    compute_activities,
    records="campaigns:activity_figures",
    own_records=True,
    stage="check",
)

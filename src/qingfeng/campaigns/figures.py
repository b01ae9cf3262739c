"""The campaign's own figures (core/registry.py `FigureSource`): tasks done and overdue, and
the forms it asked people to fill — weekly reports and their typed fields, plans, task
confirmations — which the burden meter adds to the other apps' counts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date

from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qingfeng.campaigns.models import Assignment, PlanEvent, Task, WeeklyReport
from qingfeng.core.registry import Figure, FigureSource
from qingfeng.lib.dates import day_bounds

FIGURES = (
    Figure("tasks_done", _("完成任务")),
    Figure("tasks_overdue", _("逾期未完成任务")),
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
            tasks_overdue=Count(
                "id", filter=Q(status=Assignment.Status.OPEN, task__due_on__lt=end)
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
    return result


SOURCE = FigureSource("campaigns", _("专项工作"), 50, FIGURES, compute)

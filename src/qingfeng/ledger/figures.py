"""The ledger's figures for the campaign's rhythm (core/registry.py `FigureSource`): problems
new, closed, closed on time, overdue and red by unit, and the forms the ledger asked people
to fill (progress reports, evidence uploads). A few grouped queries, whatever the units."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, datetime

from django.db.models import Case, Count, DateField, F, OuterRef, Q, QuerySet, Subquery, When
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from qingfeng.core.registry import Figure, FigureSource, Ratio
from qingfeng.ledger.models import DeadlineChange, Evidence, Problem, ProgressReport, Transition
from qingfeng.ledger.workflow import WORKFLOW
from qingfeng.lib.dates import day_bounds

S = Problem.Status
NOT_REGISTERED = (S.DRAFT, S.WITHDRAWN)
OPEN = (S.ASSIGNED, S.ACCEPTED, S.RECTIFYING, S.CLOSURE_REQUESTED)
RUNNING = (S.ASSIGNED, S.ACCEPTED, S.RECTIFYING)  # the deadline clock (ledger/deadlines.py)

FIGURES = (
    Figure("problems_new", _("新增问题"), listed=True),
    *(
        Figure(
            f"problems_new_{kind.value}",
            format_lazy("{}：{}", _("新增"), kind.label),
            listed=True,
        )
        for kind in Problem.ListKind
    ),
    Figure("problems_closed", _("销号问题"), listed=True),
    Figure("problems_closed_on_time", _("按期销号"), listed=True),
    Figure("problems_open", _("在改问题"), listed=True),
    Figure("problems_overdue", _("逾期未改"), listed=True),
    Figure("problems_red", _("红灯问题"), listed=True),
    Figure("progress_reports", _("报送整改进展"), burden=True),
    Figure("evidence_uploads", _("上传佐证材料"), burden=True),
)


def deadline_at(moment: datetime) -> Case:
    """The deadline in force at `moment`: the row's own when it has not changed since (most
    rows: no history read at all), else the old date of the first change made after then.
    Only the rows changed since `moment` look into the history."""
    later = DeadlineChange.objects.filter(problem=OuterRef("pk"), changed_at__gte=moment)
    return Case(
        When(
            Q(deadline_changed_at__isnull=True) | Q(deadline_changed_at__lt=moment),
            then=F("deadline"),
        ),
        default=Subquery(later.order_by("changed_at", "id").values("old")[:1]),
        output_field=DateField(),
    )


def _conditions(
    problems: QuerySet[Problem], start: date, end: date
) -> tuple[QuerySet[Problem], dict[str, Q]]:
    """The problems (aliased for a period that is over) and, per figure, the condition a
    problem meets to be counted in it: one definition for the counts and for the list of the
    records behind a count (`narrow`), so the two are equal by construction.

    A period that is over is read as it stood at its end (the status from the problems'
    transitions, the closing time from their last closing, the deadline from its history), so
    a problem closed, reopened, withdrawn or given a new deadline afterwards does not change a
    past week's or quarter's figures.

    The deadline that counts is the one in force at the period's end: overdue and red are
    judged by it, and so is closed on time — for a problem closed in the period that is the
    deadline it was closed against, since a closed problem's deadline cannot change until it
    is reopened (ledger/actions: `record_deadline_change`)."""
    first, after = day_bounds(start, end, timezone.get_current_timezone())
    status, closed_at, deadline = "status", "closed_at", "deadline"
    if after <= timezone.now():
        closing = Transition.objects.filter(
            problem=OuterRef("pk"), to_status=S.CLOSED, created_at__lt=after
        ).order_by("-created_at", "-id")
        problems = problems.alias(
            at_end=WORKFLOW.status_at(after),
            closed_at_end=Coalesce(Subquery(closing.values("created_at")[:1]), F("closed_at")),
            deadline_at_end=deadline_at(after),
        )
        status, closed_at, deadline = "at_end", "closed_at_end", "deadline_at_end"
    existed = Q(created_at__lt=after)
    open_ = existed & Q(**{f"{status}__in": OPEN})
    new = Q(created_at__gte=first, created_at__lt=after) & ~Q(**{f"{status}__in": NOT_REGISTERED})
    closed = Q(**{f"{closed_at}__gte": first, f"{closed_at}__lt": after, status: S.CLOSED})
    closed_on = TruncDate(closed_at, tzinfo=timezone.get_current_timezone())
    on_time = closed & (Q(**{f"{deadline}__isnull": True}) | Q(**{f"{deadline}__gte": closed_on}))
    # Red on the period's last day: the deadline clock ran and its date had passed.
    red = existed & Q(**{f"{status}__in": RUNNING, f"{deadline}__lt": end})
    conditions = {
        "problems_new": new,
        **{f"problems_new_{kind.value}": new & Q(list_kind=kind) for kind in Problem.ListKind},
        "problems_closed": closed,
        "problems_closed_on_time": on_time,
        "problems_open": open_,
        "problems_overdue": open_ & Q(**{f"{deadline}__lt": end}),
        "problems_red": red if status == "at_end" else Q(status__in=OPEN, light=Problem.Light.RED),
    }
    return problems, conditions


def narrow(problems: QuerySet[Problem], key: str, start: date, end: date) -> QuerySet[Problem]:
    """The problems counted in figure `key` for the days `start` … `end` (the list behind a
    dashboard number: `?figure=<key>&from=&to=`)."""
    problems, conditions = _conditions(problems, start, end)
    return problems.filter(conditions[key])


def compute(unit_ids: Sequence[int], start: date, end: date) -> Mapping[int, Mapping[str, int]]:
    """Per unit: registered in the period (by list), closed in it (on time: by the deadline),
    open at its end, open past a deadline that fell before its last day, red on its last day
    (`_conditions`)."""
    first, after = day_bounds(start, end, timezone.get_current_timezone())
    result: dict[int, dict[str, int]] = defaultdict(dict)
    problems, conditions = _conditions(Problem.objects.filter(unit_id__in=unit_ids), start, end)
    # The unit column counted, not the id: the figures index (`ledger_problem_figures`, the
    # unit and every column the current period's conditions read) then answers alone
    # (PostgreSQL: an index-only scan).
    counts = {key: Count("unit_id", filter=condition) for key, condition in conditions.items()}
    for row in problems.values("unit_id").annotate(**counts):
        result[row.pop("unit_id")].update(row)
    for model, key, stamp in (
        (ProgressReport, "progress_reports", "created_at"),
        (Evidence, "evidence_uploads", "uploaded_at"),
    ):
        rows = (
            model.objects.filter(
                problem__unit_id__in=unit_ids, **{f"{stamp}__gte": first, f"{stamp}__lt": after}
            )
            .values("problem__unit_id")
            .annotate(n=Count("id"))
        )
        for row in rows:
            result[row["problem__unit_id"]][key] = row["n"]
    return result


SOURCE = FigureSource(
    "ledger",
    _("整改台账"),
    10,
    FIGURES,
    compute,
    records="ledger:list",
    own_records=True,
    stage="rectify",
    ratios=(
        Ratio("closed_on_time_rate", _("按期销号率"), "problems_closed_on_time", "problems_closed"),
    ),
)

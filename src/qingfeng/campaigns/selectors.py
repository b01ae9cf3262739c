"""Every read of the campaign, scoped to the caller: a campaign is seen from its owner and
below (a school sees the bureau's campaign); tasks, plans and weekly reports of units inside
the caller's scope. Anything else is a 404, exactly as a missing id."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qingfeng.campaigns.models import (
    Activity,
    ActivityMatter,
    Assignment,
    Campaign,
    CampaignFile,
    Meeting,
    MeetingItem,
    Rule,
    Task,
    UnitPlan,
    WeeklyReport,
)
from qingfeng.campaigns.rhythm import week_end
from qingfeng.core import figurelist, registry
from qingfeng.core.registry import Figure, ProblemLink, UnitNotice
from qingfeng.core.scope import scope_paths
from qingfeng.ledger.selectors import problems_visible_to
from qingfeng.orgs.models import Unit, User

OWN_SOURCE = "campaigns"


def campaigns_visible_to(user: User) -> QuerySet[Campaign]:
    paths = scope_paths(user)
    above: set[int] = set()
    query = Q(pk__in=[])
    for path in paths:
        query |= Q(owner__path__startswith=path)
        above.update(int(segment) for segment in path.split("/") if segment)
    return Campaign.objects.filter(query | Q(owner_id__in=above)).select_related("owner")


def get_campaign_for_user(user: User, pk: int) -> Campaign:
    return get_object_or_404(campaigns_visible_to(user), pk=pk)


def scope_units(user: User, campaign: Campaign) -> QuerySet[Unit]:
    """The units below the campaign's owner that lie in the user's scope: those that report."""
    query = Q(pk__in=[])
    for path in scope_paths(user):
        query |= Q(path__startswith=path)
    return (
        Unit.objects.within(campaign.owner)
        .exclude(pk=campaign.owner_id)
        .filter(query, is_active=True)
        .order_by("path")
    )


def reporting_units(campaign: Campaign, root: Unit | None = None) -> QuerySet[Unit]:
    """Every active unit below the campaign's owner (below `root` too when given)."""
    units = Unit.objects.within(campaign.owner).exclude(pk=campaign.owner_id).filter(is_active=True)
    return units.filter(root.subtree_q("")) if root is not None else units


def get_unit_in_campaign(user: User, campaign: Campaign, pk: int) -> Unit:
    return get_object_or_404(scope_units(user, campaign), pk=pk)


def tasks_issued(user: User, campaign: Campaign) -> QuerySet[Task]:
    query = Q(pk__in=[])
    for path in scope_paths(user):
        query |= Q(issuer__path__startswith=path)
    return campaign.tasks.filter(query).select_related("issuer", "project")


def get_task_for_user(user: User, pk: int) -> Task:
    """A task its issuer's scope sees, or one assigned to a unit in the user's scope."""
    query = Q(pk__in=[])
    for path in scope_paths(user):
        query |= Q(issuer__path__startswith=path) | Q(assignments__unit__path__startswith=path)
    tasks = Task.objects.filter(query, campaign__in=campaigns_visible_to(user)).distinct()
    return get_object_or_404(tasks.select_related("issuer", "campaign", "project"), pk=pk)


def assignments_of(unit: Unit, campaign: Campaign) -> QuerySet[Assignment]:
    return (
        Assignment.objects.filter(unit=unit, task__campaign=campaign)
        .select_related("task", "task__issuer", "task__project", "task__campaign")
        .order_by("task__due_on", "task_id")
    )


def assignments_of_task(user: User, task: Task) -> QuerySet[Assignment]:
    query = Q(pk__in=[])
    for path in scope_paths(user):
        query |= Q(unit__path__startswith=path)
    return task.assignments.filter(query).select_related("unit").prefetch_related("files")


def get_assignment_for_user(user: User, pk: int) -> Assignment:
    query = Q(pk__in=[])
    for path in scope_paths(user):
        query |= Q(unit__path__startswith=path)
    rows = Assignment.objects.filter(query).select_related("task", "task__campaign", "unit")
    return get_object_or_404(rows, pk=pk)


def plans_in_scope(user: User, campaign: Campaign) -> QuerySet[UnitPlan]:
    return campaign.plans.filter(unit__in=scope_units(user, campaign)).select_related("unit")


def get_plan_for_user(user: User, pk: int) -> UnitPlan:
    query = Q(pk__in=[])
    for path in scope_paths(user):
        query |= Q(unit__path__startswith=path)
    return get_object_or_404(
        UnitPlan.objects.filter(query).select_related("unit", "campaign"), pk=pk
    )


def plan_of(campaign: Campaign, unit: Unit) -> UnitPlan | None:
    return campaign.plans.filter(unit=unit).first()


def get_report_for_user(user: User, pk: int) -> WeeklyReport:
    query = Q(pk__in=[])
    for path in scope_paths(user):
        query |= Q(unit__path__startswith=path)
    rows = WeeklyReport.objects.filter(query).select_related("unit", "campaign", "filed_by")
    return get_object_or_404(rows, pk=pk)


def report_of(campaign: Campaign, unit: Unit, week_start: date) -> WeeklyReport | None:
    return campaign.reports.filter(unit=unit, week_start=week_start).first()


def _in_scope(user: User) -> Q:
    query = Q(pk__in=[])
    for path in scope_paths(user):
        query |= Q(unit__path__startswith=path)
    return query


def get_file_for_user(user: User, pk: int) -> CampaignFile:
    """A file of a unit in the user's scope (the unit, the levels above it), or a campaign's
    implementation plan wherever the campaign is seen (its owner and every unit below), else
    a 404."""
    of_campaign = Q(kind=CampaignFile.Kind.CAMPAIGN, campaign__in=campaigns_visible_to(user))
    return get_object_or_404(CampaignFile.objects.filter(_in_scope(user) | of_campaign), pk=pk)


# The figures every app supplies (core/registry.py), read for many units at once.


def report_figures() -> list[tuple[str, list[Figure]]]:
    """The figures a weekly report shows, by source: everything but the burden counts."""
    return [
        (str(source.label), [f for f in source.figures if not f.burden])
        for source in registry.figure_sources()
        if source.key != OWN_SOURCE
    ]


def figures_for(
    unit_ids: Sequence[int], start: date, end: date, *, burden: bool = False, own: bool = True
) -> dict[int, dict[str, int]]:
    """Every registered source's figures for these units and days, zeros filled in: the
    report figures, or (`burden`) the counts of forms people had to fill; `own=False` leaves
    out the campaign's own (a weekly report does not report on weekly reports)."""
    result: dict[int, dict[str, int]] = {pk: {} for pk in unit_ids}
    for source in registry.figure_sources():
        keys = [f.key for f in source.figures if f.burden == burden]
        if not keys or (not own and source.key == OWN_SOURCE):
            continue
        computed = source.compute(unit_ids, start, end)
        for pk in unit_ids:
            row = computed.get(pk, {})
            result[pk].update({key: int(row.get(key, 0)) for key in keys})
    return result


def prefill(unit: Unit, week_start: date) -> dict[str, int]:
    """What the system knows of the unit's week: the weekly report's pre-fill."""
    return figures_for([unit.pk], week_start, week_end(week_start), own=False)[unit.pk]


@dataclass
class WeekRow:
    unit: Unit
    report: WeeklyReport | None

    @property
    def state(self) -> str:
        if self.report is None:
            return "missing"
        return "late" if self.report.late else "on_time"


@dataclass
class Rollup:
    week_start: date
    rows: list[WeekRow]
    totals: dict[str, int] = field(default_factory=dict)

    @property
    def expected(self) -> int:
        return len(self.rows)

    @property
    def filed(self) -> int:
        return sum(1 for row in self.rows if row.report is not None)

    @property
    def on_time(self) -> int:
        return sum(1 for row in self.rows if row.state == "on_time")

    @property
    def missing(self) -> list[Unit]:
        return [row.unit for row in self.rows if row.report is None]

    @property
    def reporting_rate(self) -> float | None:
        return percent(self.filed, self.expected)

    @property
    def on_time_rate(self) -> float | None:
        return percent(self.on_time, self.expected)


def percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def shown_figures(report: WeeklyReport) -> dict[str, int]:
    """The report's figures as filed: the system's, with the unit's corrections over them."""
    corrected = {key: int(c["value"]) for key, c in report.corrections.items()}
    return {**report.figures, **corrected}


def rollup(campaign: Campaign, units: Iterable[Unit], week_start: date) -> Rollup:
    """The week's reports of these units: who filed, on time or late, who did not, and the
    filed figures added up (a county's figure is the sum of its units')."""
    units = list(units)
    reports = {
        r.unit_id: r
        for r in campaign.reports.filter(week_start=week_start, unit__in=[u.pk for u in units])
    }
    result = Rollup(week_start, [WeekRow(unit, reports.get(unit.pk)) for unit in units])
    totals: dict[str, int] = defaultdict(int)
    for report in reports.values():
        for key, value in shown_figures(report).items():
            totals[key] += value
    result.totals = dict(totals)
    return result


@dataclass
class Timeliness:
    expected: int = 0
    filed: int = 0
    on_time: int = 0

    @property
    def reporting_rate(self) -> float | None:
        return percent(self.filed, self.expected)

    @property
    def on_time_rate(self) -> float | None:
        return percent(self.on_time, self.expected)


def timeliness(
    campaign: Campaign, unit_ids: Sequence[int], weeks: Sequence[date]
) -> dict[int, Timeliness]:
    """Per unit, over these weeks (each already due): reports expected, filed, filed on time
    — DHIS2's REPORTING_RATE and REPORTING_RATE_ON_TIME."""
    result = {pk: Timeliness(expected=len(weeks)) for pk in unit_ids}
    rows = campaign.reports.filter(unit_id__in=unit_ids, week_start__in=weeks).values_list(
        "unit_id", "late"
    )
    for unit_id, late in rows:
        result[unit_id].filed += 1
        result[unit_id].on_time += 0 if late else 1
    return result


def burden(unit_ids: Sequence[int], start: date, end: date) -> dict[int, dict[str, int]]:
    """The forms the system asked each unit's people to fill in these days, by kind."""
    return figures_for(unit_ids, start, end, burden=True)


def burden_labels() -> list[Figure]:
    return [f for source in registry.figure_sources() for f in source.figures if f.burden]


def label_table() -> Mapping[str, Any]:
    return {f.key: f.label for source in registry.figure_sources() for f in source.figures}


# The registers: meetings and their items, rules, activities — of units in the caller's scope.


def meetings_in_scope(user: User) -> QuerySet[Meeting]:
    """Meetings of units in the caller's scope, and those above that gave it an item."""
    query = Q(pk__in=[])
    for path in scope_paths(user):
        query |= Q(unit__path__startswith=path) | Q(items__unit__path__startswith=path)
    mine = Meeting.objects.filter(query).values("pk")
    return Meeting.objects.filter(pk__in=mine).select_related("unit", "campaign")


def get_meeting_for_user(user: User, pk: int) -> Meeting:
    return get_object_or_404(meetings_in_scope(user), pk=pk)


def get_item_for_user(user: User, pk: int) -> MeetingItem:
    """An item the caller's scope reaches: by its owning unit or by the meeting's unit."""
    query = Q(pk__in=[])
    for path in scope_paths(user):
        query |= Q(unit__path__startswith=path) | Q(meeting__unit__path__startswith=path)
    rows = MeetingItem.objects.filter(query).select_related("unit", "meeting", "meeting__unit")
    return get_object_or_404(rows, pk=pk)


def carried_items(meeting: Meeting) -> QuerySet[MeetingItem]:
    """The agenda's opening: every item of the unit's previous meeting, and those of its earlier
    meetings still open — each with its status now."""
    earlier = Meeting.objects.filter(unit=meeting.unit, held_on__lt=meeting.held_on)
    previous = earlier.order_by("-held_on", "-id").first()
    query = Q(meeting__in=earlier, status=MeetingItem.Status.OPEN)
    if previous is not None:
        query |= Q(meeting=previous)
    return (
        MeetingItem.objects.filter(query).select_related("unit", "meeting").order_by("due_on", "id")
    )


def rules_in_scope(user: User) -> QuerySet[Rule]:
    return (
        Rule.objects.filter(_in_scope(user))
        .select_related("unit")
        .prefetch_related("files", "problems")
    )


def get_rule_for_user(user: User, pk: int) -> Rule:
    return get_object_or_404(rules_in_scope(user), pk=pk)


def rule_links(problem_ids: Sequence[int], viewer: User | None) -> dict[int, list[ProblemLink]]:
    """The ledger's 建章立制 column (`registry.problem_links`): per problem, the rules of the
    register that answer it — title, kind and date — each linking to its row in the register
    where the viewer may see that rule (none in the export, `viewer` None)."""
    through = Rule.problems.through
    rows = (
        through.objects.filter(problem_id__in=problem_ids)
        .select_related("rule")
        .order_by("problem_id", "rule__adopted_on", "rule_id")
    )
    pairs = [(row.problem_id, row.rule) for row in rows]
    seen: set[int] = set()
    if viewer is not None and pairs:
        seen = set(
            rules_in_scope(viewer)
            .filter(pk__in={rule.pk for _p, rule in pairs})
            .values_list("pk", flat=True)
        )
    found: dict[int, list[ProblemLink]] = defaultdict(list)
    for problem_id, rule in pairs:
        text = _("《%(title)s》（%(kind)s，%(day)s）") % {
            "title": rule.title,
            "kind": rule.get_kind_display(),
            "day": rule.adopted_on.isoformat(),
        }
        url = f"{reverse('campaigns:rules')}#rule-{rule.pk}" if rule.pk in seen else ""
        found[problem_id].append(ProblemLink(str(text), url))
    return dict(found)


def openable_problems(user: User, rules: Iterable[Rule]) -> set[int]:
    """The ids of the rules' problems the user may open in the ledger (the rest are listed by
    number only)."""
    ids = {p.pk for rule in rules for p in rule.problems.all()}
    return set(problems_visible_to(user).filter(pk__in=ids).values_list("pk", flat=True))


def activities_in_scope(user: User) -> QuerySet[Activity]:
    return Activity.objects.filter(_in_scope(user)).select_related("unit")


def get_activity_for_user(user: User, pk: int) -> Activity:
    return get_object_or_404(activities_in_scope(user), pk=pk)


def matters_of(activity: Activity) -> list[tuple[ActivityMatter, str, str]]:
    """The matters raised at the activity, each with its ticket's state now and its page
    (read from the channel through the registry's complaint sink; blank without one)."""
    matters = list(activity.matters.all())
    sink = registry.complaint_sink()
    if sink is None:
        return [(m, "", "") for m in matters]
    states = sink.states([m.ticket for m in matters])
    return [(m, states.get(m.ticket, ""), sink.url(m.ticket)) for m in matters]


def activity_tally(user: User, start: date, end: date) -> list[dict[str, Any]]:
    """Held activities in the caller's scope over these days, counted per unit, cadre and
    kind, with the matters raised (the per-cadre count of 四下基层)."""
    return list(
        activities_in_scope(user)
        .filter(status=Activity.Status.HELD, held_on__gte=start, held_on__lte=end)
        .values("unit__name", "unit__path", "cadre", "kind")
        .annotate(n=Count("id"), raised=Sum("raised"))
        .order_by("unit__path", "cadre", "kind")
    )


# Public notices (/notice/reception/): no login, nothing but what the unit announced.


def public_notices(unit: Unit | None = None) -> QuerySet[Activity]:
    """Announced reception days and open weeks not yet over (a called-off one too, so that
    nobody comes in vain), soonest first."""
    today = timezone.localdate()
    rows = Activity.objects.filter(
        Q(ends_on__gte=today) | Q(ends_on__isnull=True, held_on__gte=today),
        kind__in=Activity.PUBLIC_KINDS,
        status__in=(Activity.Status.PLANNED, Activity.Status.CANCELLED),
        unit__is_active=True,
    )
    if unit is not None:
        rows = rows.filter(unit=unit)
    return rows.select_related("unit").order_by("held_on", "starts_at", "id")


def notice_when(activity: Activity) -> str:
    """The notice's day (to its last day, for an open week) and hours, as printed."""
    day = activity.held_on.strftime("%Y-%m-%d")
    if activity.ends_on:
        day += " — " + activity.ends_on.strftime("%Y-%m-%d")
    if activity.starts_at:
        day += " " + activity.starts_at.strftime("%H:%M")
        if activity.ends_at:
            day += "–" + activity.ends_at.strftime("%H:%M")
    return day


def poster_notices(unit_ids: Sequence[int]) -> list[UnitNotice]:
    """The coming reception days and open weeks of those units for their channel posters
    (`registry.unit_notices`): the planned ones only (a poster hangs for weeks; a called-off
    day is told on the notice's page), soonest first, each pointing at its unit's notices."""
    rows = (
        public_notices()
        .filter(unit_id__in=unit_ids, status=Activity.Status.PLANNED)
        .exclude(how_to_come="")
    )
    return [
        UnitNotice(
            unit_id=a.unit_id,
            text=_("%(kind)s %(when)s · %(place)s")
            % {"kind": a.get_kind_display(), "when": notice_when(a), "place": a.place},
            path=reverse("reception:unit", args=[a.unit_id]),
        )
        for a in rows
    ]


def get_public_notice(pk: int) -> Activity:
    """A notice of an announced reception day or open week (also once held or called off, so
    a printed notice's address keeps answering); anything else — an activity recorded only
    afterwards (it never had a notice: no way to come), a cadre's visit — is a 404."""
    rows = Activity.objects.filter(kind__in=Activity.PUBLIC_KINDS).exclude(how_to_come="")
    return get_object_or_404(rows.select_related("unit"), pk=pk)


def figure_units(user: User) -> QuerySet[Unit]:
    """The units whose campaign numbers the user sees on the dashboard."""
    query = Q(pk__in=[])
    for path in scope_paths(user):
        query |= Q(path__startswith=path)
    return Unit.objects.filter(query, is_active=True)


def figure_listing(key: str, unit_ids: Any, start: date, end: date) -> figurelist.Listing:
    """The records behind the campaign's dashboard numbers (campaigns/figures.py `records`):
    task assignments, weekly reports, and the weekly reports owed (made from the campaigns and
    the units below their owners)."""
    from qingfeng.campaigns import figures

    found = figures.records(key, unit_ids, start, end)
    C = figurelist.Column
    if isinstance(found, list):  # weekly_due
        return figurelist.Listing(
            found,
            (
                C(_("单位"), lambda d: d.unit_name),
                C(_("专项工作"), lambda d: d.campaign.name),
                C(_("周次（周一）"), lambda d: d.week_start),
                C(_("报送截止"), lambda d: d.due_on),
            ),
        )
    if key.startswith("weekly_"):
        return figurelist.Listing(
            found.select_related("unit", "campaign").order_by("-due_on", "unit__path", "id"),
            (
                C(_("单位"), lambda r: r.unit.name),
                C(
                    _("周次（周一）"),
                    lambda r: r.week_start,
                    lambda r: reverse("campaigns:report", args=[r.pk]),
                ),
                C(_("报送截止"), lambda r: r.due_on),
                C(
                    _("报送时间"),
                    lambda r: timezone.localtime(r.filed_at).strftime("%Y-%m-%d %H:%M"),
                ),
                C(_("逾期报送"), lambda r: _("是") if r.late else _("否")),
            ),
        )
    return figurelist.Listing(
        found.select_related("unit", "task").order_by("task__due_on", "unit__path", "id"),
        (
            C(
                _("任务"),
                lambda a: a.task.title,
                lambda a: reverse("campaigns:task", args=[a.task_id]),
            ),
            C(_("单位"), lambda a: a.unit.name),
            C(_("完成时限"), lambda a: a.task.due_on),
            C(_("状态"), lambda a: a.get_status_display()),
        ),
    )


def activity_listing(key: str, unit_ids: Any, start: date, end: date) -> figurelist.Listing:
    """The activities behind the dashboard's number of open-door and grassroots activities."""
    from qingfeng.campaigns import figures

    C = figurelist.Column
    return figurelist.Listing(
        figures.activity_records(key, unit_ids, start, end)
        .select_related("unit")
        .order_by("-held_on", "-id"),
        (
            C(_("日期"), lambda a: a.held_on),
            C(_("单位"), lambda a: a.unit.name),
            C(
                _("活动"),
                lambda a: a.get_kind_display(),
                lambda a: reverse("campaigns:activity", args=[a.pk]),
            ),
            C(_("地点"), lambda a: a.place),
            C(_("群众反映事项（件）"), lambda a: a.raised),
        ),
    )

"""Every read of oversight, scoped to the caller (404 outside, as for a missing id)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.db.models import Count, Max, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qingfeng.core import figurelist, registry
from qingfeng.core.calendar import get_calendar
from qingfeng.core.deadlines import light_on
from qingfeng.core.scope import scope_in, scope_q
from qingfeng.ledger.models import Problem
from qingfeng.orgs.models import Liaison, Unit, User
from qingfeng.oversight import figures
from qingfeng.oversight.models import (
    CHECKLIST,
    Draw,
    Finding,
    Group,
    LiaisonLog,
    Observer,
    Participation,
    Posting,
    Round,
    RoundFinding,
    Visit,
)
from qingfeng.oversight.permissions import OFFICE, READERS, UNIT_READERS


def groups_visible_to(user: User) -> QuerySet[Group]:
    """The office's groups over its scope; a supervisor's own groups."""
    query = scope_q(user, "owner__path", roles=OFFICE) | Q(leader=user) | Q(members=user)
    ids = Group.objects.filter(query).values("pk")
    return Group.objects.filter(pk__in=ids).select_related("owner", "leader__person")


def get_group_for_user(user: User, pk: int) -> Group:
    return get_object_or_404(groups_visible_to(user), pk=pk)


def postings_of(group: Group) -> QuerySet[Posting]:
    return (
        group.postings.filter(ended_at__isnull=True)
        .select_related("supervisor__person", "school")
        .order_by("supervisor_id", "school__code")
    )


def draws_visible_to(user: User) -> QuerySet[Draw]:
    """Draws reveal their targets: the office that runs them only. The frozen pool (up to
    every supervisor of a city) is read only where it is used."""
    return (
        Draw.objects.filter(scope_q(user, "owner__path", roles=OFFICE))
        .select_related("owner", "committed_by__person")
        .defer("pool")
    )


def get_draw_for_user(user: User, pk: int) -> Draw:
    return get_object_or_404(draws_visible_to(user), pk=pk)


def visits_visible_to(user: User) -> QuerySet[Visit]:
    """The office over its groups, the group's leader and team; a unit only its own finished
    visits (a sealed visit has no unit, so no unit scope can reach it)."""
    query = (
        scope_q(user, "group__owner__path", roles=OFFICE)
        | Q(group__leader=user)
        | Q(team=user)
        | (scope_in(user, "unit_id", roles=UNIT_READERS) & Q(status=Visit.Status.FINISHED))
    )
    ids = Visit.objects.filter(query).values("pk")
    return (
        Visit.objects.filter(pk__in=ids)
        .select_related("group", "unit")
        .order_by("-planned_start", "-id")
    )


def get_visit_for_user(user: User, pk: int) -> Visit:
    return get_object_or_404(visits_visible_to(user), pk=pk)


def findings_of(visit: Visit) -> QuerySet[Finding]:
    return visit.findings.select_related("problem").prefetch_related("photos")


def liaison_counties(user: User) -> list[Unit]:
    return [
        link.county
        for link in Liaison.objects.filter(leader=user).select_related("county").order_by("pk")
    ]


def liaison_logs(user: User) -> QuerySet[LiaisonLog]:
    return LiaisonLog.objects.filter(leader=user).select_related("county", "unit")


def county_glance(counties: list[Unit]) -> list[dict[str, object]]:
    """Per county: open problems by light and by source (tickets are the channel and hotline
    problems), and this county's oversight — two grouped queries for all the counties."""
    open_statuses = [
        Problem.Status.ASSIGNED,
        Problem.Status.ACCEPTED,
        Problem.Status.RECTIFYING,
        Problem.Status.CLOSURE_REQUESTED,
    ]
    rows = []
    for county in counties:
        problems = Problem.objects.filter(county.subtree_q(), status__in=open_statuses)
        counts = problems.aggregate(
            total=Count("pk"),
            red=Count("pk", filter=Q(light=Problem.Light.RED)),
            yellow=Count("pk", filter=Q(light=Problem.Light.YELLOW)),
            tickets=Count(
                "pk", filter=Q(source__in=[Problem.Source.CHANNEL, Problem.Source.HOTLINE])
            ),
            oversight=Count(
                "pk",
                filter=Q(source__in=[Problem.Source.SUPERVISION, Problem.Source.INSPECTION]),
            ),
        )
        visits = Visit.objects.filter(county.subtree_q(), status=Visit.Status.FINISHED).count()
        rows.append({"county": county, "visits": visits, **counts})
    return rows


def rounds_visible_to(user: User) -> QuerySet[Round]:
    """The office over its scope and the team; a unit the rounds that name it: as a fixed
    target, or by a request or a finding addressed to it (a drawn unit is not told before)."""
    query = scope_q(user, "owner__path", roles=OFFICE) | Q(members__user=user)
    for field in ("targets", "requests__unit_id", "findings__unit_id"):
        query |= scope_in(user, field, roles=UNIT_READERS)
    ids = Round.objects.filter(query).values("pk")
    return Round.objects.filter(pk__in=ids).select_related("owner", "draw")


def get_round_for_user(user: User, pk: int) -> Round:
    return get_object_or_404(rounds_visible_to(user), pk=pk)


def unit_part(user: User, round_: Round) -> Q:
    """What of a round a unit's people see: their own units' rows."""
    return scope_in(user, "unit_id", roles=UNIT_READERS)


def round_findings(user: User, round_: Round, *, whole: bool) -> QuerySet[RoundFinding]:
    """The team and the office see all; a unit its own self-checks, and the round's findings
    about it only from the feedback on."""
    rows = round_.findings.select_related("unit", "problem")
    if whole:
        return rows
    feedback = round_.status not in {
        Round.Status.PREPARING,
        Round.Status.STATIONED,
        Round.Status.INVESTIGATING,
        Round.Status.REPORTING,
    }
    rows = rows.filter(unit_part(user, round_))
    return rows if feedback else rows.filter(kind=RoundFinding.Kind.SELF_CHECK)


def observers_visible_to(user: User) -> QuerySet[Observer]:
    """The office's observers, over the areas in its scope."""
    return Observer.objects.filter(scope_q(user, "area__path", roles=OFFICE)).select_related(
        "user__person", "area"
    )


def get_observer_for_user(user: User, pk: int) -> Observer:
    return get_object_or_404(observers_visible_to(user), pk=pk)


def observer_of(user: User) -> Observer | None:
    """The observer the signed-in person is (in office), or None."""
    return Observer.objects.filter(user=user, ended_at__isnull=True).select_related("area").first()


def participations_of(observer: Observer) -> list[Participation]:
    """What the observer took part in, each suggestion with its ticket's state as `state` and
    the channel's answer, once there is one, as `answer` (the outcome, as its reporter reads it)."""
    rows = list(observer.participations.select_related("visit", "round", "unit"))
    sink = registry.complaint_sink()
    numbers = [r.ticket for r in rows if r.ticket]
    states = sink.states(numbers) if sink is not None and numbers else {}
    answers = sink.answers(numbers) if sink is not None and numbers else {}
    for row in rows:
        row.state = states.get(row.ticket, "")  # type: ignore[attr-defined]
        row.answer = answers.get(row.ticket)  # type: ignore[attr-defined]
    return rows


def area_figures(area: Unit, start: date, end: date) -> list[dict[str, Any]]:
    """Every app's figures (core/registry.py `FigureSource`: the channel's tickets, the
    evaluation's results, the ledger's …) summed over the area, for the observer's read-only
    view: counts only, never a record."""
    unit_ids = list(Unit.objects.within(area).values_list("pk", flat=True))
    found = []
    for source in sorted(registry.figure_sources(), key=lambda s: s.order):
        by_unit = source.compute(unit_ids, start, end)
        totals = {f.key: 0 for f in source.figures}
        for counts in by_unit.values():
            for key, n in counts.items():
                if key in totals:
                    totals[key] += n
        found.append(
            {"label": source.label, "figures": [(f.label, totals[f.key]) for f in source.figures]}
        )
    return found


def area_progress(area: Unit) -> dict[str, int]:
    """The ledger's public progress in the area: problems handed out, closed, open by light."""
    problems = Problem.objects.filter(area.subtree_q()).exclude(
        status__in=[Problem.Status.DRAFT, Problem.Status.WITHDRAWN]
    )
    return problems.aggregate(
        total=Count("pk"),
        closed=Count("pk", filter=Q(status=Problem.Status.CLOSED)),
        red=Count("pk", filter=Q(light=Problem.Light.RED)),
        yellow=Count("pk", filter=Q(light=Problem.Light.YELLOW)),
    )


def visits_to_invite(user: User) -> QuerySet[Visit]:
    """Visits no longer sealed that the user may invite an observer to."""
    mine = scope_q(user, "group__owner__path", roles=OFFICE) | Q(group__leader=user) | Q(team=user)
    ids = Visit.objects.filter(mine, status__in=[Visit.Status.STARTED, Visit.Status.FINISHED])
    return Visit.objects.filter(pk__in=ids.values("pk")).select_related("unit").order_by("-id")


def round_tickets(user: User, round_: Round, units: list[Unit]) -> list[registry.ReceivedTicket]:
    """The channel's tickets tagged to the round: about a unit under inspection (a target, a
    drawn unit or one below them) and received during the round (its first day to its last,
    or today while it runs). Through the channel's registered sink: oversight imports no
    channel. For the team and the office only — the caller decides; a unit never sees them."""
    sink = registry.complaint_sink()
    if sink is None or not units:
        return []
    query = Q(pk__in=[])
    for unit in units:
        query |= unit.subtree_q("")
    unit_ids = list(Unit.objects.filter(query).values_list("pk", flat=True))
    end = min(round_.ends_on, timezone.localdate())
    if end < round_.starts_on:
        return []
    return sink.received(unit_ids=unit_ids, start=round_.starts_on, end=end, viewer=user)


def publication_due(draw: Draw, today: date | None = None) -> tuple[date, str] | None:
    """When a visit draw's checked units and outcome are due on its public notice, and the
    light of `today` (the local date by default): QF_OVERSIGHT_PUBLISH_WORKDAYS working days
    after its last visit ended. None once published, while a visit is still sealed or under
    way, or before any visit."""
    if draw.published_at is not None or draw.purpose != Draw.Purpose.VISIT:
        return None
    visits = draw.visits.exclude(status=Visit.Status.CANCELLED).aggregate(
        open=Count("pk", filter=Q(status__in=[Visit.Status.SEALED, Visit.Status.STARTED])),
        last=Max("finished_at"),
    )
    if visits["open"] or visits["last"] is None:
        return None
    calendar = get_calendar()
    due = calendar.add_workdays(
        timezone.localdate(visits["last"]), settings.QF_OVERSIGHT_PUBLISH_WORKDAYS
    )
    return due, light_on(due, today or timezone.localdate(), yellow_days=1, calendar=calendar)


def figure_units(user: User) -> QuerySet[Unit]:
    """The units whose oversight numbers the reader sees on the dashboard."""
    return Unit.objects.filter(scope_q(user, "path", roles=READERS), is_active=True)


def figure_listing(user: User) -> figurelist.Lister:
    """The records behind oversight's dashboard numbers (oversight/figures.py `records`):
    finished visits and their findings only (a sealed target is never listed), observers'
    participation without the observer's name. A visit links to its page for who may open it."""

    def listing(key: str, unit_ids: Any, start: date, end: date) -> figurelist.Listing:
        found = figures.records(key, unit_ids, start, end)
        opens = visits_visible_to(user).values("pk")

        def visit_link(visit_id: int | None) -> str:
            if visit_id is None or visit_id not in openable:
                return ""
            return reverse("oversight:visit", args=[visit_id])

        C = figurelist.Column
        if key == "visits_finished":
            rows = found.select_related("unit").order_by("-finished_at", "-id")
            columns: tuple[figurelist.Column, ...] = (
                C(_("编号"), lambda v: v.number, lambda v: visit_link(v.pk)),
                C(_("单位"), lambda v: v.unit.name),
                C(_("完成时间"), lambda v: _when(v.finished_at)),
            )
            openable = set(opens.filter(pk__in=found.values("pk")).values_list("pk", flat=True))
        elif key.startswith("visit_findings"):
            rows = found.select_related("visit__unit").order_by("-visit__finished_at", "id")
            columns = (
                C(_("督导"), lambda f: f.visit.number, lambda f: visit_link(f.visit_id)),
                C(_("单位"), lambda f: f.visit.unit.name),
                C(_("检查项目"), lambda f: CHECKLIST.get(f.item, f.item)),
                C(_("发现问题"), lambda f: f.text),
                C(_("立行立改"), lambda f: _("是") if f.fixed_on_spot else _("否")),
            )
            openable = set(
                opens.filter(pk__in=found.values("visit_id")).values_list("pk", flat=True)
            )
        else:
            rows = found.select_related("unit", "visit", "round").order_by("-created_at", "-id")
            columns = (
                C(_("时间"), lambda p: _when(p.created_at)),
                C(_("单位"), lambda p: p.unit.name if p.unit_id else ""),
                C(_("类型"), lambda p: p.get_kind_display()),
                C(
                    _("督导巡察"),
                    lambda p: (
                        p.visit.number if p.visit_id else (p.round.name if p.round_id else "")
                    ),
                    lambda p: visit_link(p.visit_id),
                ),
                C(_("说明"), _participation_note),
            )
            openable = set(
                opens.filter(pk__in=found.values("visit_id")).values_list("pk", flat=True)
            )
        return figurelist.Listing(rows, columns)

    return listing


def _participation_note(row: Participation) -> str:
    """A visit's or round's note as the inviter wrote it; for a suggestion only its ticket's
    number — its title is the ticket's content, which the channel shows on need-to-know
    (the school's own staff read this list, and must not read what was raised about them)."""
    if row.kind == Participation.Kind.SUGGESTION:
        return str(_("工单 %(n)s") % {"n": row.ticket})
    return row.note


def _when(at: Any) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M") if at else ""

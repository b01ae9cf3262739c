"""Every read of learning, scoped to the caller (404 outside, as for a missing id)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qingfeng.core import figurelist, registry
from qingfeng.core.scope import active_roles, has_role, scope_q
from qingfeng.learning import cadence, figures, search
from qingfeng.learning.actions.pledges import G, P, groups_of
from qingfeng.learning.models import (
    Attendance,
    Case,
    Fulfilment,
    Makeup,
    Pledge,
    PledgeRating,
    SelfExam,
    Session,
    SessionType,
    Signature,
)
from qingfeng.learning.permissions import BUREAU, ORGANISERS, READERS, can, person_of
from qingfeng.ledger.models import Problem
from qingfeng.ledger.selectors import problems_visible_to
from qingfeng.lib.dates import day_bounds
from qingfeng.lib.workdays import WorkCalendar
from qingfeng.orgs.models import Person, Unit, User

A = Attendance.Status
PRESENT = (A.PRESENT, A.LATE)


def sessions_visible_to(user: User) -> QuerySet[Session]:
    """Sessions of units in the reader's scope, and those the user is expected at."""
    query = scope_q(user, "unit__path", roles=READERS)
    person = person_of(user)
    if person is not None:
        query |= Q(pk__in=Attendance.objects.filter(person=person).values("session_id"))
    return Session.objects.filter(query).select_related("unit", "type")


def get_session_for_user(user: User, pk: int) -> Session:
    return get_object_or_404(sessions_visible_to(user), pk=pk)


def organises(user: User, unit: Unit) -> bool:
    return can(user, "organise", unit)


def get_session_to_organise(user: User, pk: int) -> Session:
    session = get_session_for_user(user, pk)
    if not organises(user, session.unit):
        raise Http404
    return session


def units_visible_to(user: User) -> QuerySet[Unit]:
    return Unit.objects.filter(scope_q(user, "path", roles=READERS), is_active=True)


def get_unit_for_user(user: User, pk: int) -> Unit:
    return get_object_or_404(units_visible_to(user), pk=pk)


def active_types() -> list[SessionType]:
    """Read at every use (no cache): a type changed on the types page is the cadence of the
    next calendar and of the next gap run."""
    return list(SessionType.objects.filter(is_active=True).order_by("sort_order", "id"))


def all_types() -> QuerySet[SessionType]:
    """Every type, the deactivated ones last: the bureau's configuration page. The types are
    the whole city's (no unit), so there is no scope to apply; the page's guard is the rule."""
    return SessionType.objects.order_by("-is_active", "sort_order", "id")


def get_type(pk: int) -> SessionType:
    return get_object_or_404(all_types(), pk=pk)


def _day_start(day: date) -> datetime:
    """The instant the local day starts: a range on the column, which the (unit, starts_at)
    index serves (a `__date` lookup casts every row of the unit, in Python on SQLite)."""
    return day_bounds(day, day, timezone.get_current_timezone())[0]


def default_since(today: date) -> date:
    """The calendar looks back two quarters before the current one."""
    start = cadence.quarter_of(today).starts
    for _i in range(2):
        start = cadence.quarter_of(start - timedelta(days=1)).starts
    return start


def unit_calendar(
    unit: Unit, *, today: date, calendar: WorkCalendar, since: date | None = None
) -> list[cadence.Row]:
    """The unit's cadence per type and period: two queries, whatever the number of sessions."""
    since = since or default_since(today)
    rows = (
        Session.objects.filter(
            unit=unit,
            starts_at__gte=_day_start(since),
            status__in=[Session.Status.PLANNED, Session.Status.HELD],
        )
        .values_list("type_id", "starts_at", "status", "first_item")
        .order_by()
    )
    held = [
        cadence.Held(t, timezone.localdate(at), s == Session.Status.HELD, bool(f))
        for t, at, s, f in rows
    ]
    return cadence.unit_rows(active_types(), held, since=since, today=today, calendar=calendar)


@dataclass
class Record:
    expected: int
    present: int
    late: int
    leave: int
    absent: int
    makeups_open: int

    @property
    def rate(self) -> float | None:
        counted = self.expected - self.leave
        return (self.present + self.late) / counted if counted else None

    @property
    def rate_text(self) -> str:
        return "—" if self.rate is None else f"{self.rate * 100:.1f}%"


def attendance_record(rows: QuerySet[Attendance], makeups: QuerySet[Makeup]) -> Record:
    """Attendance of held sessions: rate = (出席 + 迟到) / (应到 − 请假)."""
    counts = dict(
        rows.filter(session__status=Session.Status.HELD)
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    return Record(
        expected=sum(counts.values()),
        present=counts.get(A.PRESENT, 0),
        late=counts.get(A.LATE, 0),
        leave=counts.get(A.LEAVE, 0),
        absent=counts.get(A.ABSENT, 0),
        makeups_open=makeups.filter(status=Makeup.Status.OPEN).count(),
    )


def unit_record(unit: Unit, *, since: date) -> Record:
    return attendance_record(
        Attendance.objects.filter(session__unit=unit, session__starts_at__gte=_day_start(since)),
        Makeup.objects.filter(attendance__session__unit=unit),
    )


def person_record(person: Person) -> Record:
    return attendance_record(
        Attendance.objects.filter(person=person), Makeup.objects.filter(person=person)
    )


def person_sessions(person: Person) -> QuerySet[Attendance]:
    return (
        Attendance.objects.filter(person=person)
        .exclude(session__status=Session.Status.CANCELLED)
        .select_related("session__type", "session__unit", "makeup")
        .order_by("-session__starts_at")
    )


def open_makeups(person: Person) -> QuerySet[Makeup]:
    return (
        Makeup.objects.filter(person=person, status=Makeup.Status.OPEN)
        .select_related("attendance__session__type")
        .order_by("due_on", "id")
    )


def get_makeup_for_user(user: User, pk: int) -> Makeup:
    """The user's own make-up, or one of a session they organise."""
    makeup = get_object_or_404(
        Makeup.objects.select_related("attendance__session__unit", "person"), pk=pk
    )
    person = person_of(user)
    if (person is None or makeup.person_id != person.pk) and not organises(
        user, makeup.attendance.session.unit
    ):
        raise Http404
    return makeup


def makeup_candidates(makeup: Makeup) -> QuerySet[Session]:
    """Later held sessions the person attended: what a make-up can point to."""
    return (
        Session.objects.filter(
            status=Session.Status.HELD,
            starts_at__gt=makeup.attendance.session.starts_at,
            attendance__person_id=makeup.person_id,
            attendance__status__in=PRESENT,
        )
        .select_related("type")
        .order_by("-starts_at")[:20]
    )


def self_exams_visible_to(user: User) -> QuerySet[SelfExam]:
    query = scope_q(user, "unit__path", roles=ORGANISERS)
    person = person_of(user)
    if person is not None:
        query |= Q(person=person)
    return SelfExam.objects.filter(query).select_related("unit", "person")


def get_self_exam_for_user(user: User, pk: int) -> SelfExam:
    return get_object_or_404(self_exams_visible_to(user), pk=pk)


def pledges_for(person: Person) -> QuerySet[Pledge]:
    return Pledge.objects.filter(
        issuer_id__in=person.unit.ancestor_ids(include_self=True), group__in=groups_of(person)
    ).order_by("-year", "group")


def pledges_visible_to(user: User) -> QuerySet[Pledge]:
    """Pledges issued in or above the reader's scope."""
    query = Q(pk__in=[])
    for role, path, _unit_id in active_roles(user):
        if role in READERS:
            ids = [int(s) for s in path.split("/") if s]
            query |= Q(issuer_id__in=ids) | Q(issuer__path__startswith=path)
    person = person_of(user)
    if person is not None:
        query |= Q(pk__in=pledges_for(person).values("pk"))
    return Pledge.objects.filter(query).select_related("issuer")


def get_pledge_for_user(user: User, pk: int) -> Pledge:
    return get_object_or_404(pledges_visible_to(user), pk=pk)


def unsigned(pledge: Pledge, unit: Unit) -> QuerySet[Person]:
    """Who in the unit should sign the pledge and has not."""
    people = Person.objects.filter(unit=unit, is_active=True)
    if pledge.group == G.LEADERS:
        people = people.filter(post_type__in=[P.LEADER, P.MIDDLE])
    elif pledge.group == G.PARTY_TEACHERS:
        people = people.filter(
            Q(post_type=P.PARTY_TEACHER) | Q(post_type=P.TEACHER, is_party_member=True)
        )
    elif pledge.group == G.SUPPORT:
        people = people.filter(post_type=P.SUPPORT)
    signed = Signature.objects.filter(pledge=pledge).values("person_id")
    return people.exclude(pk__in=signed).order_by("id")


def signature_of(pledge: Pledge, person: Person) -> Signature | None:
    """The person's signature in force: the latest cycle."""
    return Signature.objects.filter(pledge=pledge, person=person).order_by("-cycle").first()


def latest_signatures() -> QuerySet[Signature]:
    """Signatures not followed by a re-sign of the same pledge and person."""
    newer = Signature.objects.filter(
        pledge=OuterRef("pledge"), person=OuterRef("person"), cycle__gt=OuterRef("cycle")
    )
    return Signature.objects.exclude(Exists(newer))


def not_resigned(pledge: Pledge, unit: Unit, *, today: date) -> QuerySet[Signature]:
    """Who in the unit signed the pledge and has not signed again though the re-sign day has
    come: their signatures in force, the longest overdue first."""
    return (
        latest_signatures()
        .filter(pledge=pledge, person__unit=unit, person__is_active=True, renew_on__lte=today)
        .select_related("person")
        .order_by("renew_on", "person_id")
    )


def cases_visible_to(user: User) -> QuerySet[Case]:
    """Published cases for every reader; the rest to the bureau and to the owning unit's
    organisers."""
    query = Q(status=Case.Status.PUBLISHED) if has_role(user, *READERS) else Q(pk__in=[])
    query |= scope_q(user, "owner__path", roles=BUREAU)
    query |= scope_q(user, "owner__path", roles=ORGANISERS) & ~Q(status=Case.Status.PUBLISHED)
    return Case.objects.filter(query).select_related("owner")


def get_case_for_user(user: User, pk: int) -> Case:
    return get_object_or_404(cases_visible_to(user), pk=pk)


def search_cases(user: User, query: str, *, category: str = "") -> QuerySet[Case]:
    cases = cases_visible_to(user)
    if category:
        cases = cases.filter(category=category)
    if query.strip():
        cases = search.search(cases, query)
    return cases.order_by("-occurred_on", "-id")


def source_visible(user: User, case: Case) -> bool:
    """The private link to the case's source problem, for those who may open the problem."""
    return bool(
        case.source_problem_id
        and problems_visible_to(user).filter(pk=case.source_problem_id).exists()
    )


def closed_items_to_propose(user: User, *, limit: int = 10) -> list[registry.CaseMaterial]:
    """Closed items of other apps (intake's tickets) the organiser may propose, not yet
    proposed (a rejected proposal frees its item again)."""
    found: list[registry.CaseMaterial] = []
    for source in registry.case_sources():
        proposed = (
            Case.objects.filter(source_kind=source.key)
            .exclude(status=Case.Status.REJECTED)
            .values_list("source_id", flat=True)
        )
        found.extend(source.closed(user, exclude=[p for p in proposed if p], limit=limit))
    return found


def source_link(user: User, case: Case) -> str:
    """The private link to the case's source item of another app, for those who may open it."""
    if not case.source_kind or case.source_id is None:
        return ""
    source = registry.case_source(case.source_kind)
    if source is None or not source.visible(user, case.source_id):
        return ""
    return source.url(case.source_id)


def closed_problems_to_propose(user: User) -> QuerySet[Problem]:
    """Closed problems in the organiser's scope not yet proposed as a case."""
    proposed = Case.objects.exclude(status=Case.Status.REJECTED).exclude(
        source_problem__isnull=True
    )
    return (
        problems_visible_to(user)
        .filter(status=Problem.Status.CLOSED)
        .exclude(pk__in=proposed.values("source_problem_id"))
        .order_by("-closed_at", "-id")
    )


@dataclass
class PublicRatings:
    """评诺 by the people served, for a unit and a quarter: counts per rating."""

    period: str
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def good_share(self) -> str:
        """好 and 较好 as a share of all."""
        if not self.total:
            return "—"
        good = self.counts.get("good", 0) + self.counts.get("fair", 0)
        return f"{good * 100 / self.total:.1f}%"

    def rows(self) -> list[tuple[str, int]]:
        choices = Fulfilment.Rating.choices
        return [(str(label), self.counts.get(value, 0)) for value, label in choices]


def public_ratings(unit: Unit, period: str) -> PublicRatings:
    counts = dict(
        PledgeRating.objects.filter(unit=unit, period=period)
        .values_list("rating")
        .annotate(n=Count("id"))
        .order_by()
    )
    return PublicRatings(period, counts)


def figure_listing(key: str, unit_ids: Any, start: date, end: date) -> figurelist.Listing:
    """The records behind one of learning's dashboard numbers (learning/figures.py `records`)
    in the units of `unit_ids` (a subquery of the reader's units, core/figurelist.py)."""
    found = figures.records(key, unit_ids, start, end)
    session_link = figurelist.Column(
        _("学习"), lambda s: s.topic, lambda s: reverse("learning:session", args=[s.pk])
    )
    unit = figurelist.Column(_("单位"), lambda r: r.unit.name)
    if key == "sessions_held":
        return figurelist.Listing(
            found.select_related("unit", "type").order_by("-starts_at", "-id"),
            (
                figurelist.Column(_("时间"), lambda s: _when(s.starts_at)),
                unit,
                figurelist.Column(_("类型"), lambda s: s.type.name),
                session_link,
            ),
        )
    if key.startswith("attendance_"):
        return figurelist.Listing(
            found.select_related("session__unit", "session__type", "person").order_by(
                "-session__starts_at", "session_id", "id"
            ),
            (
                figurelist.Column(_("时间"), lambda a: _when(a.session.starts_at)),
                figurelist.Column(_("单位"), lambda a: a.session.unit.name),
                figurelist.Column(
                    _("学习"),
                    lambda a: a.session.topic,
                    lambda a: reverse("learning:session", args=[a.session_id]),
                ),
                figurelist.Column(_("人员"), lambda a: a.person.name),
                figurelist.Column(_("出勤"), lambda a: a.get_status_display()),
            ),
        )
    return figurelist.Listing(
        found.select_related("attendance__session__unit", "person").order_by("due_on", "id"),
        (
            figurelist.Column(_("单位"), lambda m: m.attendance.session.unit.name),
            figurelist.Column(
                _("缺席的学习"),
                lambda m: m.attendance.session.topic,
                lambda m: reverse("learning:session", args=[m.attendance.session_id]),
            ),
            figurelist.Column(_("人员"), lambda m: m.person.name),
            figurelist.Column(_("补课期限"), lambda m: m.due_on),
            figurelist.Column(_("状态"), lambda m: m.get_status_display()),
        ),
    )


def _when(at: datetime) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M")

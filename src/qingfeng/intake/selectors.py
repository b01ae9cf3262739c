"""Every read of tickets: the staff's, already scoped to the caller, and what the holder of a
receipt code may see of theirs (`public_timeline`; the code is looked up in `receipts`)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from django.db import DEFAULT_DB_ALIAS, router
from django.db.models import (
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Sum,
    prefetch_related_objects,
)
from django.shortcuts import get_object_or_404

from qingfeng.core import listing
from qingfeng.core.deadlines import URGENCY
from qingfeng.core.listing import Unindexed
from qingfeng.core.scope import has_role, scope_in, scope_paths, unit_ids_under
from qingfeng.intake import workflow
from qingfeng.intake.models import (
    TICKET_SEARCH,
    TICKET_TALLY,
    Ticket,
    TicketAttachment,
    TicketDuplicateFlag,
    TicketEvent,
    TicketMessage,
    TicketTally,
)
from qingfeng.intake.permissions import (
    HANDLED,
    INTAKE,
    POSTER_ROLES,
    UNIT_HANDLERS,
    is_root_path,
)
from qingfeng.orgs import selectors as org_selectors
from qingfeng.orgs.models import Role, Unit, User

Cursor = listing.UrgencyCursor
OPEN = (
    Ticket.Status.RECEIVED,
    Ticket.Status.ACCEPTED,
    Ticket.Status.ASSIGNED,
    Ticket.Status.HANDLING,
    Ticket.Status.REPLIED,
)

__all__ = ["Cursor", "TicketFilter", "filter_tickets", "get_ticket_for_user", "page_after"]


# The scope's columns, tested against each row the database walks (its urgency order, or the
# light-count index) rather than used to look rows up: see core.listing.Unindexed.
SCOPED = {
    "s_unit": Unindexed(F("unit_id"), output_field=IntegerField()),
    "s_handling": Unindexed(F("handling_unit_id"), output_field=IntegerField()),
    "s_handler": Unindexed(F("handler_id"), output_field=IntegerField()),
}


def tickets_visible_to(user: User) -> QuerySet[Ticket]:
    """Intake roles: tickets about or handled in their scope. Handlers: tickets assigned to a
    unit in their scope, or to them personally.

    Scope is `unit_id IN (units of the subtree)`, not a join on the unit's path: with 200,000
    tickets the queue then walks its urgency index and the light counts read one index, where
    the joins made the database visit both unit rows of every ticket (bench/README.md, Intake)."""
    if not user.is_authenticated:
        return Ticket.objects.none()
    intake_roles = list(INTAKE)
    intake_paths = scope_paths(user, roles=intake_roles)
    query = Q(pk__in=[])
    if intake_paths:
        units = unit_ids_under(intake_paths)
        query = Q(s_unit__in=units) | Q(s_handling__in=units)
        if any(is_root_path(p) for p in intake_paths):
            query |= Q(s_unit__isnull=True, s_handling__isnull=True)
    handled = [*HANDLED, Ticket.Status.MERGED]
    query |= Q(status__in=handled) & (
        scope_in(user, "s_handling", roles=list(UNIT_HANDLERS)) | Q(s_handler=user.pk)
    )
    return Ticket.objects.alias(**SCOPED).filter(query)


def get_ticket_for_user(user: User, pk: int) -> Ticket:
    """404 for anything outside the user's scope, exactly as for a missing id."""
    return get_object_or_404(
        tickets_visible_to(user).select_related(
            "category", "unit", "handling_unit", "handler__person", "master", "problem"
        ),
        pk=pk,
    )


def get_attachment_for_user(user: User, pk: int) -> TicketAttachment:
    """Files are served only through the ticket's scope: outside it, a 404."""
    attachment = get_object_or_404(TicketAttachment, pk=pk)
    get_ticket_for_user(user, attachment.ticket_id)
    return attachment


def ticket_by_number(user: User, number: str) -> Ticket | None:
    """The ticket with this number among those the user sees (where a merge goes)."""
    return tickets_visible_to(user).filter(number=number.strip()).first() if number else None


def with_staff_details(ticket: Ticket) -> Ticket:
    """The ticket with everything its staff page and the API show, one query per relation:
    the whole timeline (internal notes included) and messages with who wrote them, the files
    sent with the report, the duplicates merged into it."""
    prefetch_related_objects(
        [ticket],
        Prefetch("events", queryset=TicketEvent.objects.select_related("actor__person", "unit")),
        Prefetch(
            "messages",
            queryset=TicketMessage.objects.select_related("author__person").prefetch_related(
                "attachments"
            ),
        ),
        Prefetch("attachments", queryset=TicketAttachment.objects.filter(message__isnull=True)),
        Prefetch("duplicates", queryset=Ticket.objects.order_by("id").only("id", "number")),
    )
    return ticket


def handler_choices(ticket: Ticket) -> QuerySet[User]:
    """People who may be named handler: staff of the county (or the whole tree) around the
    reported unit, never anyone inside the reported unit (the action checks the name too)."""
    unit = ticket.unit or ticket.handling_unit
    people = User.objects.filter(
        is_active=True,
        roles__revoked_at__isnull=True,
        roles__role__in=[Role.UNIT_ADMIN, Role.STAFF],
        person__isnull=False,
    )
    if unit is not None:
        around = unit.parent_path or unit.path  # a root's own tree: nobody outside it
        people = people.filter(Unit.path_subtree_q(around, "person__unit")).exclude(
            unit.subtree_q("person__unit")
        )
    return people.select_related("person__unit").distinct().order_by("person__unit__path", "id")


# ---------------------------------------------------------------- what the reporter may see


@dataclass(frozen=True)
class PublicTimeline:
    """What the holder of a ticket's receipt code sees of it (the follow-up page and the API):
    the public events without who did them, the replies and the reporter's own messages
    (never an internal note), and the files sent with the report."""

    ticket: Ticket
    events: list[dict[str, Any]]
    messages: list[TicketMessage]
    files: list[TicketAttachment]


def public_timeline(ticket: Ticket) -> PublicTimeline:
    """Read afresh (the reporter may just have written or rated). Reasons only where meant for
    the reporter (a decline, their own rating), units only where the ticket was sent."""
    ticket = Ticket.objects.select_related("category", "unit").get(pk=ticket.pk)
    events = []
    for event in ticket.events.filter(public=True).select_related("unit"):
        label = workflow.event_label(event.action)
        show_reason = event.action == "decline" or (
            event.actor_id is None and event.action in {"redo", "escalate", "close"}
        )
        events.append(
            {
                "label": label,
                "at": event.created_at,
                "status": Ticket.Status(event.to_status).label if event.to_status else "",
                "unit": event.unit.name
                if event.unit and event.action in {"assign", "escalate"}
                else "",
                "reason": event.reason if show_reason else "",
            }
        )
    return PublicTimeline(
        ticket=ticket,
        events=events,
        messages=list(ticket.messages.filter(internal=False).prefetch_related("attachments")),
        files=list(ticket.attachments.filter(message__isnull=True)),
    )


@dataclass(frozen=True)
class TicketFilter:
    status: str = ""
    light: str = ""
    category: int | None = None
    kind: str = ""
    channel: str = ""
    unit: Unit | None = None
    text: str = ""
    # A dashboard number's records: the figure's own condition over the period, by the
    # handling unit (as the figure counts), whatever the status filter says.
    figure: str = ""
    period_from: date | None = None
    period_to: date | None = None
    own: bool = False  # the unit's own tickets only, not its subtree's (with `unit`)


def _units(f: TicketFilter) -> Any:
    """The units `f` narrows to: `f.unit` alone (`own`) or its subtree."""
    assert f.unit is not None
    return [f.unit.pk] if f.own else unit_ids_under([f.unit.path])


def filter_tickets(user: User, f: TicketFilter) -> QuerySet[Ticket]:
    """The queue: open tickets unless a status is asked for ("all" for every status).

    Only intake roles search the content: a handler searching it for a name could learn who
    wrote in (the content may hold the reporter's own name, masked on the page)."""
    tickets = tickets_visible_to(user)
    intake_searcher = has_role(user, *INTAKE)
    if f.figure and f.period_from and f.period_to:
        from qingfeng.intake import figures

        units = _units(f) if f.unit is not None else None
        tickets = figures.narrow(tickets, f.figure, f.period_from, f.period_to, units)
        f = replace(f, status="all", unit=None)
    if f.status == "all":
        pass
    elif f.status:
        tickets = tickets.filter(status=f.status)
    else:
        tickets = tickets.filter(status__in=OPEN)
    if f.light and f.light in URGENCY:
        # As its urgency (the same thing as a number): the queue's walk of the urgency index
        # then starts and ends at that light instead of reading past every other one.
        tickets = tickets.filter(urgency=URGENCY[f.light])
    for field, value in (("kind", f.kind), ("channel", f.channel)):
        if value:
            tickets = tickets.filter(**{field: value})
    if f.category:
        tickets = tickets.filter(category_id=f.category)
    if f.unit is not None:
        units = _units(f)
        tickets = tickets.filter(Q(unit_id__in=units) | Q(handling_unit_id__in=units))
    text = f.text.strip()
    if text:
        match = Q(number__icontains=text) | Q(title__contains=text)
        if intake_searcher:
            match |= Q(content__contains=text)
        # The index narrows (never misses a row); the substring test decides.
        tickets = TICKET_SEARCH.narrow(tickets, text).filter(match)
    return tickets


def counts_by_light(tickets: QuerySet[Ticket]) -> dict[str, int]:
    """Red, yellow and green tickets, grouped by light: the light-count index covers it."""
    return listing.count_lights(tickets)


def tallies_visible_to(user: User) -> QuerySet[TicketTally]:
    """`tickets_visible_to` on the kept counts: the same conditions on the same columns (0
    standing for none), so that summing them gives what counting the tickets would."""
    if not user.is_authenticated:
        return TicketTally.objects.none()
    intake_paths = scope_paths(user, roles=list(INTAKE))
    query = Q(pk__in=[])
    if intake_paths:
        units = unit_ids_under(intake_paths)
        query = Q(unit_id__in=units) | Q(handling_unit_id__in=units)
        if any(is_root_path(p) for p in intake_paths):
            query |= Q(unit_id=0, handling_unit_id=0)
    handled = [*HANDLED, Ticket.Status.MERGED]
    query |= Q(status__in=handled) & (
        scope_in(user, "handling_unit_id", roles=list(UNIT_HANDLERS)) | Q(handler_id=user.pk)
    )
    return TicketTally.objects.filter(query, n__gt=0)


def kept_open(user: User) -> dict[tuple[str, int], int]:
    """The open tickets of the user's view, by status and light (urgency), from the kept
    counts: what summing `tallies_visible_to` gives, in O(units in view) for an intake role
    over one subtree (the bureau, a county's office) — that subtree's sums (TicketSubtreeTally
    and what is not folded into it yet, one statement: core/tally.py Rollup), plus in a second
    statement the rows those sums leave out (tickets about no unit, for the whole tree's
    intake; handled tickets of the user's that lie outside the subtree), each read by an index.
    Any other view sums its tally rows."""
    totals: dict[tuple[str, int], int] = {}
    if not user.is_authenticated:
        return totals
    intake_paths = scope_paths(user, roles=list(INTAKE))
    if len(intake_paths) == 1:
        (path,) = intake_paths
        unit = Unit.path_ids(path)[-1]
        using = router.db_for_read(Ticket) or DEFAULT_DB_ALIAS
        rollup = TICKET_TALLY.rollup
        assert rollup is not None
        for status, urgency, n in rollup.sums(TICKET_TALLY, [(unit, path)], using=using)[unit]:
            if status in OPEN:
                totals[(status, urgency)] = totals.get((status, urgency), 0) + n
        rest = _outside_subtree(user, path)
    else:
        rest = tallies_visible_to(user)
    rows = rest.filter(status__in=OPEN).values("status", "urgency").annotate(total=Sum("n"))
    for row in rows.order_by():
        key = (row["status"], row["urgency"])
        totals[key] = totals.get(key, 0) + row["total"]
    return totals


def _outside_subtree(user: User, path: str) -> QuerySet[TicketTally]:
    """The tally rows of the user's view (`tallies_visible_to`) that the sums of the subtree
    at `path`, their intake scope, do not hold: tickets about no unit (a whole tree's intake
    sees them) and handled tickets of theirs about and handled outside it."""
    rest = Q(unit_id=0, handling_unit_id=0) if is_root_path(path) else Q(pk__in=[])
    if not is_root_path(path):  # under the root every other ticket is in its sums
        outside = [
            p for p in scope_paths(user, roles=list(UNIT_HANDLERS)) if p[: len(path)] != path
        ]
        theirs = Q(handler_id=user.pk)
        if outside:
            theirs |= Q(handling_unit_id__in=unit_ids_under(outside))
        units = unit_ids_under([path])
        rest |= (
            Q(status__in=[*HANDLED, Ticket.Status.MERGED])
            & theirs
            & ~Q(unit_id__in=units)
            & ~Q(handling_unit_id__in=units)
        )
    return TicketTally.objects.filter(rest, n__gt=0)


def queue_lights(user: User, f: TicketFilter) -> dict[str, int] | None:
    """The queue's light counts from the kept counts, when its filter is one they hold
    (status, unit); None for any other filter (the queue counts its rows then)."""
    if f.light or f.kind or f.channel or f.category is not None or f.text.strip() or f.figure:
        return None
    tallies = tallies_visible_to(user)
    if f.status == "all":
        pass
    elif f.status:
        tallies = tallies.filter(status=f.status)
    else:
        tallies = tallies.filter(status__in=OPEN)
    if f.unit is not None:
        units = _units(f)
        tallies = tallies.filter(Q(unit_id__in=units) | Q(handling_unit_id__in=units))
    return listing.count_lights(tallies, column="urgency", codes=URGENCY, amount=Sum("n"))


def page_after(
    tickets: QuerySet[Ticket], cursor: Cursor | None, size: int
) -> tuple[list[Ticket], Cursor | None]:
    """Keyset pagination in urgency order (red, yellow, green, none; then the nearest due)."""
    tickets = tickets.select_related("unit", "handling_unit", "category")
    return listing.page_after(tickets, cursor, size, order=Cursor)


def merge_candidates(user: User, ticket: Ticket) -> QuerySet[Ticket]:
    """Open tickets the user sees about the same unit, newest first: where a duplicate goes."""
    candidates = (
        tickets_visible_to(user)
        .filter(status__in=OPEN, master__isnull=True)
        .exclude(pk=ticket.pk)
        .order_by("-created_at")
    )
    if ticket.unit_id is not None:
        candidates = candidates.filter(unit_id=ticket.unit_id)
    return candidates


# A merged or declined ticket is no longer a suspected duplicate of anything (nor a master).
SETTLED = (Ticket.Status.MERGED, Ticket.Status.DECLINED)


def suspected_duplicates(
    user: User, ticket: Ticket, *, limit: int = 10
) -> list[tuple[Ticket, int, str]]:
    """(ticket, similarity %, what the two have in common) of the tickets flagged as
    near-duplicates of this one, in either direction, that the user may see and that are
    still open to a merge: most similar first."""
    if ticket.status in SETTLED:
        return []
    scores: dict[int, tuple[int, str]] = {}
    flags = TicketDuplicateFlag.objects.filter(Q(ticket=ticket) | Q(candidate=ticket))
    for newer, older, score, reason in flags.values_list(
        "ticket_id", "candidate_id", "score", "reason"
    ):
        other = older if newer == ticket.pk else newer
        scores[other] = max(scores.get(other, (0, "")), (score, reason))
    if not scores:
        return []
    others = (
        tickets_visible_to(user)
        .filter(pk__in=scores)
        .exclude(status__in=SETTLED)
        .select_related("unit", "handling_unit")
    )
    ranked = sorted(others, key=lambda t: (-scores[t.pk][0], -t.created_at.timestamp(), -t.pk))
    return [(t, *scores[t.pk]) for t in ranked[:limit]]


def flagged_ids(user: User, rows: list[Ticket]) -> dict[int, str]:
    """Which of the queue's rows have a suspected duplicate the user may see, each with what
    the best-scored such pair has in common (the badge's tooltip): one query for the page,
    however many rows (the other ticket's scope is checked per flag by its key)."""
    ids = [t.pk for t in rows if t.status not in SETTLED]
    if not ids:
        return {}

    def visible(ref: str) -> Exists:
        return Exists(tickets_visible_to(user).exclude(status__in=SETTLED).filter(pk=OuterRef(ref)))

    pairs = TicketDuplicateFlag.objects.filter(
        (Q(ticket_id__in=ids) & Q(visible("candidate_id")))
        | (Q(candidate_id__in=ids) & Q(visible("ticket_id")))
    ).values_list("ticket_id", "candidate_id", "score", "reason")
    wanted = set(ids)
    best: dict[int, tuple[int, str]] = {}
    for newer, older, score, reason in pairs:
        for pk in (newer, older):
            if pk in wanted:
                best[pk] = max(best.get(pk, (-1, "")), (score, reason))
    return {pk: reason for pk, (_score, reason) in best.items()}


def poster_units_visible_to(user: User) -> QuerySet[Unit]:
    """Active units inside the subtrees where the user holds a poster role."""
    return org_selectors.units_visible_to(user, roles=POSTER_ROLES).filter(is_active=True)

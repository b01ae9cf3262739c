"""Every read of the ledger, already scoped to the caller."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import DEFAULT_DB_ALIAS, router
from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from qingfeng.core import listing
from qingfeng.core.listing import Unindexed
from qingfeng.core.scope import scope_paths, unit_ids_under, units_under_q
from qingfeng.ledger.models import (
    PROBLEM_SEARCH,
    PROBLEM_TALLY,
    STAGED,
    Evidence,
    Feedback,
    OfflinePublication,
    Problem,
    ProblemTally,
    ProgressReport,
    Recheck,
    Transition,
    Verification,
)
from qingfeng.ledger.permissions import PERSONAL_READERS, READERS, _roles
from qingfeng.orgs.models import Person, Unit, User
from qingfeng.orgs.selectors import liaison_counties

Cursor = listing.UrgencyCursor
URGENT_FIRST = Cursor.order()
# Disclosed and not withdrawn: what the public progress pages show, of a problem or a unit's.
PUBLISHED = Q(disclosure=Problem.Disclosure.PUBLISHED) & ~Q(status=Problem.Status.WITHDRAWN)

# The filterable columns under the names the filters use (Problem.objects.alias(**FILTERED)):
# checked inside the list index (ledger_problem_list) while it is walked in urgency order.
FILTERED = {
    "f_unit": Unindexed(F("unit_id"), output_field=IntegerField()),
    "f_person": Unindexed(F("responsible_person_id"), output_field=IntegerField()),
    "f_category": Unindexed(F("category_id"), output_field=IntegerField()),
    "f_list_kind": Unindexed(F("list_kind")),
    "f_source": Unindexed(F("source")),
    "f_status": Unindexed(F("status")),
    "f_deadline": Unindexed(F("deadline")),
}


def problems_visible_to(user: User) -> QuerySet[Problem]:
    """Problems in the user's scope, plus the user's own items (a teacher's personal list).

    Personal-list items (个人整改清单) are need-to-know: within a scope only the roles of
    PERSONAL_READERS (the unit's admins and the levels above) see them, so a teacher reads
    the school's other lists and their own personal items, never a colleague's.

    Scope and ownership are subqueries (unit_id IN …, responsible_person_id IN …), not joins:
    with 500,000 problems the list then walks its index in urgency order and checks each row
    against two small sets, where a join made the database read and sort every problem in the
    scope (bench/README.md, section Ledger)."""
    paths = scope_paths(user, roles=_roles(READERS))
    personal_paths = scope_paths(user, roles=_roles(PERSONAL_READERS))
    # A scope that is the whole tree is every problem with a unit (core/scope.py).
    visible = units_under_q(user, "f_unit", paths) if paths else Q(pk__in=[])
    if paths != personal_paths:
        visible &= ~Q(f_list_kind=Problem.ListKind.PERSONAL)
        if personal_paths:
            visible |= units_under_q(user, "f_unit", personal_paths)
    if user.is_authenticated:
        visible |= Q(f_person__in=Person.objects.filter(user=user).values("pk"))
    return Problem.objects.alias(**FILTERED).filter(visible)


def get_problem_for_user(user: User, pk: int) -> Problem:
    """404 for anything outside the user's scope, exactly as for a missing id."""
    return get_object_or_404(
        problems_visible_to(user).select_related(
            "unit", "category", "responsible_person__user", "responsible_leader", "parent"
        ),
        pk=pk,
    )


def _current_evidence() -> QuerySet[Evidence]:
    return Evidence.objects.filter(withdrawn_at__isnull=True)


def _details() -> list[str | Prefetch[Any]]:
    """What every view of one problem shows, one query per relation."""
    return [
        "measures",
        Prefetch("cooperating_units", queryset=Unit.objects.order_by("path")),
        Prefetch("transitions", queryset=Transition.objects.select_related("actor__person")),
        Prefetch("reports", queryset=ProgressReport.objects.select_related("reporter__person")),
        Prefetch(
            "verifications", queryset=Verification.objects.select_related("decided_by__person")
        ),
        Prefetch(
            "feedback", queryset=Feedback.objects.select_related("recipient", "created_by__person")
        ),
        Prefetch(
            "offline_publications",
            queryset=OfflinePublication.objects.select_related(
                "recorded_by__person", "decided_by__person"
            ),
        ),
    ]


def with_details(problem: Problem) -> Problem:
    """The problem as the API's detail shows it: its current evidence listed by itself."""
    evidence = _current_evidence().select_related("uploaded_by__person")
    prefetch_related_objects([problem], *_details(), Prefetch("evidence", queryset=evidence))
    return problem


def with_page_details(problem: Problem, *, viewer: User) -> Problem:
    """The problem as its page shows it: each report with its current evidence, and the
    problems under this one that the viewer may see."""
    children = problems_visible_to(viewer).select_related("unit")
    prefetch_related_objects(
        [problem],
        *_details(),
        Prefetch("reports__evidence", queryset=_current_evidence()),
        Prefetch("children", queryset=children),
    )
    return problem


def get_publication_for_user(user: User, pk: int) -> OfflinePublication:
    """An offline publication's evidence, of a problem in the user's sight; else a 404."""
    return get_object_or_404(
        OfflinePublication.objects.filter(problem__in=problems_visible_to(user).values("pk")),
        pk=pk,
    )


def get_evidence_for_user(user: User, pk: int) -> Evidence:
    """Current evidence of a problem in the user's sight; anything else is a 404."""
    return get_object_or_404(
        _current_evidence().filter(problem__in=problems_visible_to(user).values("pk")), pk=pk
    )


def responsible_candidates(unit: Unit, *, below: bool = False) -> QuerySet[Person]:
    """Active people who may answer for a problem of `unit`: its own and those of the units
    above it (the forms' choices), and with `below` those of the units under it too (all that
    `actions` accepts)."""
    line = Q(unit_id__in=unit.ancestor_ids(include_self=True))
    if below:
        line |= unit.subtree_q()
    return Person.objects.filter(line, is_active=True).select_related("unit")


def parent_candidates(user: User) -> QuerySet[Problem]:
    """Open leadership and department-risk problems in the user's sight: what a problem may
    hang under."""
    return (
        problems_visible_to(user)
        .filter(list_kind__in=[Problem.ListKind.LEADERSHIP, Problem.ListKind.DEPARTMENT_RISK])
        .exclude(status__in=[Problem.Status.CLOSED, Problem.Status.WITHDRAWN])
    )


def liaison_overview(user: User) -> list[dict[str, Any]]:
    """包片: per county of the leader's liaison areas, its problems' counts and the red items
    first (a leader's counties, whatever their roles' scope)."""
    rows = []
    for county in liaison_counties(user):
        problems = Problem.objects.filter(county.subtree_q()).exclude(
            status=Problem.Status.WITHDRAWN
        )
        stats = problems.aggregate(
            total=Count("id"),
            closed=Count("id", filter=Q(status=Problem.Status.CLOSED)),
            red=Count("id", filter=Q(light="red")),
            yellow=Count("id", filter=Q(light="yellow")),
        )
        red_items = (
            problems.filter(light="red").select_related("unit").order_by("due_key", "id")[:10]
        )
        rows.append({"county": county, "stats": stats, "red_items": red_items})
    return rows


def rechecks_visible_to(user: User) -> QuerySet[Recheck]:
    """回头看 re-checks of the problems in the user's sight."""
    return Recheck.objects.filter(problem__in=problems_visible_to(user))


def get_recheck_for_user(user: User, pk: int) -> Recheck:
    """404 for a re-check of a problem outside the user's sight, as for a missing id."""
    return get_object_or_404(
        rechecks_visible_to(user).select_related(
            "problem__unit", "problem__category", "problem__responsible_person__user"
        ),
        pk=pk,
    )


def published_units(text: str = "") -> QuerySet[Unit]:
    """Active units with published problems, with how many and how many closed (the public
    progress index: anyone may read it). Each unit's two counts are read from the disclosure
    index for that unit alone, for the units the page shows: a join of every published
    problem to its unit, counted distinct, took most of a second at province size."""
    published = Problem.objects.filter(PUBLISHED, unit=OuterRef("pk")).values("unit").order_by()
    units = (
        Unit.objects.filter(Exists(published), is_active=True)
        .annotate(
            published=Subquery(published.annotate(n=Count("id")).values("n")),
            closed=Coalesce(
                Subquery(
                    published.filter(status=Problem.Status.CLOSED)
                    .annotate(n=Count("id"))
                    .values("n")
                ),
                0,
            ),
        )
        .order_by("path")
    )
    if text:
        units = units.filter(Q(name__contains=text) | Q(short_name__contains=text))
    return units


def published_problems(unit: Unit) -> QuerySet[Problem]:
    """A unit's published problems, only the fields its public card shows (never the internal
    description, names or phone numbers)."""
    return (
        Problem.objects.filter(PUBLISHED, unit=unit)
        .select_related("category")
        .only(
            "number",
            "public_text",
            "status",
            "progress",
            "updated_at",
            "category__name",
            "light",
            "deadline",
        )
        .order_by("-updated_at")
    )


@dataclass(frozen=True)
class LedgerFilter:
    unit: Unit | None = None
    list_kind: str = ""
    source: str = ""
    category: int | None = None
    status: str = ""
    light: str = ""
    deadline_from: date | None = None
    deadline_to: date | None = None
    responsible: str = ""
    text: str = ""
    # A dashboard number's records: the figure's own condition over the period.
    figure: str = ""
    period_from: date | None = None
    period_to: date | None = None
    own: bool = False  # the unit's own problems only, not its subtree's (with `unit`)


def filter_problems(user: User, f: LedgerFilter) -> QuerySet[Problem]:
    problems = problems_visible_to(user)
    if f.figure and f.period_from and f.period_to:
        from qingfeng.ledger import figures

        problems = figures.narrow(problems, f.figure, f.period_from, f.period_to)
    if f.unit is not None and f.own:
        problems = problems.filter(Q(f_unit=f.unit.pk))
    elif f.unit is not None:
        problems = problems.filter(Q(f_unit__in=unit_ids_under([f.unit.path])))
    for field, value in (
        ("f_list_kind", f.list_kind),
        ("f_source", f.source),
        ("f_status", f.status),
    ):
        if value:
            problems = problems.filter(Q(**{field: value}))
    if f.light and f.light in Problem.URGENCY:
        # The urgency column is the light as a number (set together, always): filtering on it
        # starts the walk of the list index at that light.
        problems = problems.filter(urgency=Problem.URGENCY[f.light])
    elif f.light:
        problems = problems.filter(light=f.light)
    if f.status == "" and not f.figure:
        problems = problems.exclude(Q(f_status=Problem.Status.WITHDRAWN))
    if f.category:
        problems = problems.filter(Q(f_category=f.category))
    if f.deadline_from:
        problems = problems.filter(Q(f_deadline__gte=f.deadline_from))
    if f.deadline_to:
        problems = problems.filter(Q(f_deadline__lte=f.deadline_to))
    if f.responsible.strip():
        problems = problems.filter(responsible_person__name__contains=f.responsible.strip())
    if f.text.strip():
        text = f.text.strip()
        # The index narrows (never misses a row); the substring test below decides.
        problems = PROBLEM_SEARCH.narrow(problems, text).filter(
            Q(title__contains=text) | Q(description__contains=text) | Q(number__icontains=text)
        )
    return problems


def my_items(user: User) -> QuerySet[Problem]:
    return (
        Problem.objects.filter(responsible_person__user=user)
        .exclude(status__in=[Problem.Status.WITHDRAWN, Problem.Status.DRAFT])
        .select_related("unit", "category")
        .order_by(*URGENT_FIRST)
    )


def counts_by_light(problems: QuerySet[Problem]) -> dict[str, int]:
    """How many of the problems are red, yellow and green (those without a light are not
    counted). Grouped by urgency, the light as a number, so that the count reads the list
    index alone: 500,000 problems cost tens of milliseconds, not a pass over the table."""
    return listing.count_lights(
        problems.filter(urgency__lt=Problem.URGENCY[""]), column="urgency", codes=Problem.URGENCY
    )


def page_after(
    problems: QuerySet[Problem], cursor: Cursor | None, size: int
) -> tuple[list[Problem], Cursor | None]:
    """Keyset pagination in urgency order: the next `size` problems after the cursor, and the
    cursor after them."""
    problems = problems.select_related("unit", "category", "responsible_person")
    return listing.page_after(problems, cursor, size, order=Cursor)


NOT_COUNTED = (Problem.Status.WITHDRAWN, Problem.Status.DRAFT)  # in the overviews' counts

# A kept count's combination: (list, status, urgency).
Kept = tuple[str, str, int]


def _whole_units(user: User) -> list[str] | None:
    """The paths of the user's scope when their view of the ledger is whole units: every
    problem of the units in scope and no other. None when it is not — someone who reads a
    unit's lists but only their own personal items (a teacher), or whose own items lie outside
    their scope — and the caller counts the problems themselves (a small set)."""
    paths = scope_paths(user, roles=_roles(READERS))
    if not paths or paths != scope_paths(user, roles=_roles(PERSONAL_READERS)):
        return None
    mine = Person.objects.filter(user=user).values("pk")
    # The units of the user's own items (a handful), checked against the scope here: no
    # subquery over the units' paths.
    own = Problem.objects.filter(responsible_person__in=mine).values_list("unit__path").distinct()
    if any(not any(path.startswith(p) for p in paths) for (path,) in own):
        return None
    return paths


def tallies_visible_to(user: User) -> QuerySet[ProblemTally] | None:
    """The kept per-unit counts (core/tally.py) behind the user's view of the ledger, when
    that view is whole units (`_whole_units`); else None. For sums over subtrees read
    `kept_sums`: one row per unit asked for, not every unit's rows below it."""
    paths = _whole_units(user)
    if paths is None:
        return None
    # The counts keep the rows an import is still writing under their staged status.
    return ProblemTally.objects.filter(unit__in=unit_ids_under(paths), n__gt=0).exclude(
        status__startswith=STAGED
    )


def _tops(paths: list[str], unit: Unit | None) -> list[str]:
    """The subtrees whose sums make the scope's counts under `unit` (all of it when None): the
    unit's own when it lies in the scope, else the scope's roots below it."""
    if unit is None:
        return paths
    if any(unit.path.startswith(p) for p in paths):
        return [unit.path]
    return [p for p in paths if p.startswith(unit.path)]


def kept_sums(user: User, units: Sequence[Unit | None]) -> list[dict[Kept, int]] | None:
    """The kept counts of the user's view under each of `units` (None: the whole view), summed
    over the subtrees (ProblemSubtreeTally and what is not folded into it yet, in one
    statement): O(units asked for), whatever lies below them. None when the view is not whole
    units (`_whole_units`). Rows an import is still writing are not counted."""
    paths = _whole_units(user)
    if paths is None:
        return None
    tops = [_tops(paths, unit) for unit in units]
    wanted = {Unit.path_ids(path)[-1]: path for top in tops for path in top}
    # Raw SQL, so the router is asked here: inside replica.reads() the replica's (dashboards).
    using = router.db_for_read(Problem) or DEFAULT_DB_ALIAS
    rows = (
        PROBLEM_TALLY.rollup.sums(PROBLEM_TALLY, wanted.items(), using=using)  # type: ignore[union-attr]
        if wanted
        else {}
    )
    ids = {path: pk for pk, path in wanted.items()}
    result: list[dict[Kept, int]] = []
    for top in tops:
        sums: dict[Kept, int] = {}
        for path in top:
            for list_kind, status, urgency, n in rows.get(ids[path], []):
                if not status.startswith(STAGED):
                    key = (list_kind, status, urgency)
                    sums[key] = sums.get(key, 0) + n
        result.append(sums)
    return result


def kept_lights(
    sums: dict[Kept, int],
    *,
    list_kind: str = "",
    status: str = "",
    urgency: int | None = None,
    exclude: Iterable[str] = (),
) -> dict[str, int]:
    """`counts_by_light` from summed kept counts (`kept_sums`), of a list, a status and a
    light (as its urgency)."""
    names = {code: light for light, code in Problem.URGENCY.items()}
    result = dict.fromkeys(("red", "yellow", "green"), 0)
    left_out = set(exclude)
    for (kind, state, code), n in sums.items():
        if (list_kind and kind != list_kind) or (status and state != status):
            continue
        light = names.get(code)
        if (urgency is None or code == urgency) and state not in left_out and light in result:
            result[light] += n
    return result


def list_lights(user: User, f: LedgerFilter) -> dict[str, int] | None:
    """The ledger list's light counts from the kept counts, when its filter is one they hold
    (unit, list, status, light); None for any other filter (the list counts its rows then)."""
    if f.source or f.category or f.deadline_from or f.deadline_to or f.figure:
        return None
    if f.responsible.strip() or f.text.strip() or (f.light and f.light not in Problem.URGENCY):
        return None
    urgency = Problem.URGENCY[f.light] if f.light else None
    exclude = () if f.status else (Problem.Status.WITHDRAWN,)
    if f.unit is not None and f.own:
        tallies = tallies_visible_to(user)
        if tallies is None:
            return None
        tallies = tallies.filter(unit=f.unit)
        if f.list_kind:
            tallies = tallies.filter(list_kind=f.list_kind)
        if f.status:
            tallies = tallies.filter(status=f.status)
        if urgency is not None:
            tallies = tallies.filter(urgency=urgency)
        return tally_lights(tallies.exclude(status__in=exclude))
    found = kept_sums(user, [f.unit])
    if found is None:
        return None
    return kept_lights(
        found[0], list_kind=f.list_kind, status=f.status, urgency=urgency, exclude=exclude
    )


def tally_lights(tallies: QuerySet[ProblemTally]) -> dict[str, int]:
    """`counts_by_light` from the kept counts: O(units in scope), not O(problems)."""
    return listing.count_lights(tallies, column="urgency", codes=Problem.URGENCY, amount=Sum("n"))


def overview_by_child_unit(
    user: User,
    root: Unit,
    *,
    kept: list[dict[Kept, int]] | None = None,
    children: list[Unit] | None = None,
) -> list[dict[str, Any]]:
    """Per direct child of `root` (and `root` itself): problems, closed, red, yellow.

    From the kept subtree sums when the caller has them — `kept_sums(user, [root, *children])`
    with `children` as `overview_children(root)` lists them — one row per unit and
    combination; else one grouped query answered from the list index alone, summed per
    branch here by the units' paths. Grouping by a piece of the unit's path in SQL joined
    every problem to its unit: seconds for a city of 500,000 problems."""
    children = overview_children(root) if children is None else children
    keys = ("total", "closed", "red", "yellow")
    red, yellow = Problem.URGENCY[Problem.Light.RED], Problem.URGENCY[Problem.Light.YELLOW]
    result: list[dict[str, object]] = []
    if kept is not None:

        def figures(sums: dict[Kept, int]) -> dict[str, int]:
            counted = {k: n for k, n in sums.items() if k[1] not in NOT_COUNTED}
            return {
                "total": sum(counted.values()),
                "closed": sum(n for k, n in counted.items() if k[1] == Problem.Status.CLOSED),
                "red": sum(n for k, n in counted.items() if k[2] == red),
                "yellow": sum(n for k, n in counted.items() if k[2] == yellow),
            }

        whole, *branches = (figures(sums) for sums in kept)
        own = {key: whole[key] - sum(b[key] for b in branches) for key in keys}
        if any(own.values()):
            result.append({"unit": root, **own})
        for unit, counts in zip(children, branches, strict=True):
            result.append({"unit": unit, **counts})
        return result
    width = len(root.path) + len(Unit.segment(0))
    subtree = unit_ids_under([root.path])
    rows = (
        problems_visible_to(user)
        .filter(Q(f_unit__in=subtree))
        .exclude(Q(f_status__in=NOT_COUNTED))
        .values("unit")
        .annotate(
            total=Count("id"),
            closed=Count("id", filter=Q(status=Problem.Status.CLOSED)),
            red=Count("id", filter=Q(urgency=red)),
            yellow=Count("id", filter=Q(urgency=yellow)),
        )
        .order_by()
    )
    paths = dict(subtree.values_list("pk", "path"))
    stats: dict[str, dict[str, int]] = {}
    for row in rows:
        branch = stats.setdefault(paths[row["unit"]][:width], dict.fromkeys(keys, 0))
        for key in keys:
            branch[key] += row[key]
    by_path = {u.path: u for u in children}
    own = dict.fromkeys(keys, 0)
    for branch_path, counts in stats.items():
        if branch_path not in by_path:  # the root's own problems (its path is shorter)
            for key in own:
                own[key] += counts[key]
    if any(own.values()):
        result.append({"unit": root, **own})
    for unit in children:
        found = stats.get(unit.path)
        result.append({"unit": unit, **(found or dict.fromkeys(keys, 0))})
    return result


def overview_children(root: Unit) -> list[Unit]:
    """The units `overview_by_child_unit` shows a row for: the active direct children."""
    return list(Unit.objects.filter(parent=root, is_active=True).order_by("sort_order", "code"))

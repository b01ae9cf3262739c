"""Every read of the ledger, already scoped to the caller."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    DateField,
    F,
    Func,
    IntegerField,
    Model,
    Q,
    QuerySet,
)
from django.db.models.expressions import RawSQL
from django.shortcuts import get_object_or_404

from qingfeng.core.scope import scope_paths, unit_ids_under
from qingfeng.ledger.models import Problem
from qingfeng.ledger.permissions import READERS, _roles
from qingfeng.orgs.models import Person, Unit, User

URGENT_FIRST = ("urgency", "due_key", "id")


class Unindexed(Func):
    """A column as it is, except on SQLite, where a unary + stops the planner from answering
    the condition through that column's own index (sqlite.org/optoverview.html, "disqualifying
    WHERE clause terms using unary +"). The ledger's filters are checked inside the list index
    (ledger_problem_list) while it is walked in urgency order; SQLite, left to itself, would
    fetch every row of a status or a deadline window through another index and sort them."""

    template = "%(expressions)s"

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return super().as_sql(compiler, connection, template="+%(expressions)s", **extra)


# The filterable columns under the names the filters use (Problem.objects.alias(**FILTERED)).
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

    Scope and ownership are subqueries (unit_id IN …, responsible_person_id IN …), not joins:
    with 500,000 problems the list then walks its index in urgency order and checks each row
    against two small sets, where a join made the database read and sort every problem in the
    scope (bench/README.md, section Ledger)."""
    paths = scope_paths(user, roles=_roles(READERS))
    visible = Q(f_unit__in=unit_ids_under(paths)) if paths else Q(pk__in=[])
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


def filter_problems(user: User, f: LedgerFilter) -> QuerySet[Problem]:
    problems = problems_visible_to(user)
    if f.unit is not None:
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
    if f.status == "":
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
        problems = problems.filter(
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
    lights = {urgency: light for light, urgency in Problem.URGENCY.items() if light}
    rows = (
        problems.filter(urgency__lt=Problem.URGENCY[""])
        .values("urgency")
        .annotate(n=Count("id"))
        .order_by()
    )
    result = dict.fromkeys(lights.values(), 0)
    for row in rows:
        result[lights[row["urgency"]]] = row["n"]
    return result


@dataclass(frozen=True)
class Cursor:
    """Where a page of the urgency-ordered ledger ends: (urgency, due_key, id)."""

    urgency: int
    due_key: date
    pk: int

    def encode(self) -> str:
        return f"{self.urgency}.{self.due_key.isoformat()}.{self.pk}"

    @classmethod
    def decode(cls, text: str) -> Cursor | None:
        try:
            urgency, due, pk = text.split(".")
            return cls(int(urgency), date.fromisoformat(due), int(pk))
        except ValueError:
            return None


def page_after(
    problems: QuerySet[Problem], cursor: Cursor | None, size: int
) -> tuple[list[Problem], Cursor | None]:
    """Keyset pagination: the next `size` problems after the cursor, and the cursor after them."""
    if cursor is not None:
        problems = problems.filter(rows_after(cursor, Problem))
    rows = list(
        problems.select_related("unit", "category", "responsible_person").order_by(*URGENT_FIRST)[
            : size + 1
        ]
    )
    more = len(rows) > size
    rows = rows[:size]
    last = rows[-1] if rows and more else None
    return rows, (Cursor(last.urgency, last.due_key, last.pk) if last else None)


def rows_after(cursor: Cursor, model: type[Model]) -> RawSQL:
    """(urgency, due_key, id) > cursor as one row-value comparison, which both databases turn
    into the start of an index range: page 1,000 then costs what page 1 costs. Spelled out as
    ORs (Django's fallback on SQLite) it made them scan every row before the cursor. For any
    model ordered by those three columns (problems, tickets)."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(f"{table}.{quote(name)}" for name in URGENT_FIRST)
    field = model._meta.get_field("due_key")
    assert isinstance(field, DateField)
    due_key = field.get_db_prep_value(cursor.due_key, connection, prepared=False)
    return RawSQL(  # noqa: S611 - the names are the model's, quoted; values are parameters
        f"({columns}) > (%s, %s, %s)",
        (cursor.urgency, due_key, cursor.pk),
        output_field=BooleanField(),
    )


def overview_by_child_unit(user: User, root: Unit) -> list[dict[str, Any]]:
    """Per direct child of `root` (and `root` itself): problems, closed, red, yellow.

    One grouped query per unit, answered from the list index alone, then summed per branch
    here by the units' paths (one more small query). Grouping by a piece of the unit's path
    in SQL joined every problem to its unit: seconds for a city of 500,000 problems."""
    children = {
        u.path: u
        for u in Unit.objects.filter(parent=root, is_active=True).order_by("sort_order", "code")
    }
    width = len(root.path) + len(Unit.segment(0))
    subtree = unit_ids_under([root.path])
    keys = ("total", "closed", "red", "yellow")
    rows = (
        problems_visible_to(user)
        .filter(Q(f_unit__in=subtree))
        .exclude(Q(f_status__in=[Problem.Status.WITHDRAWN, Problem.Status.DRAFT]))
        .values("unit")
        .annotate(
            total=Count("id"),
            closed=Count("id", filter=Q(status=Problem.Status.CLOSED)),
            red=Count("id", filter=Q(urgency=Problem.URGENCY[Problem.Light.RED])),
            yellow=Count("id", filter=Q(urgency=Problem.URGENCY[Problem.Light.YELLOW])),
        )
        .order_by()
    )
    paths = dict(subtree.values_list("pk", "path"))
    stats: dict[str, dict[str, int]] = {}
    for row in rows:
        branch = stats.setdefault(paths[row["unit"]][:width], dict.fromkeys(keys, 0))
        for key in keys:
            branch[key] += row[key]
    result: list[dict[str, object]] = []
    own = dict.fromkeys(keys, 0)
    for branch_path, counts in stats.items():
        if branch_path not in children:  # the root's own problems (its path is shorter)
            for key in own:
                own[key] += counts[key]
    if any(own.values()):
        result.append({"unit": root, **own})
    for path, unit in children.items():
        found = stats.get(path)
        result.append({"unit": unit, **(found or dict.fromkeys(keys, 0))})
    return result

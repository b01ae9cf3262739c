"""Every read of the ledger, already scoped to the caller."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404

from qingfeng.core.scope import scope_q
from qingfeng.ledger.models import Problem
from qingfeng.ledger.permissions import READERS, _roles
from qingfeng.orgs.models import Unit, User

URGENT_FIRST = ("urgency", "due_key", "id")


def problems_visible_to(user: User) -> QuerySet[Problem]:
    """Problems in the user's scope, plus the user's own items (a teacher's personal list)."""
    own = Q(responsible_person__user=user) if user.is_authenticated else Q(pk__in=[])
    return Problem.objects.filter(scope_q(user, "unit__path", roles=_roles(READERS)) | own)


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
        problems = problems.filter(unit__path__startswith=f.unit.path)
    for field, value in (
        ("list_kind", f.list_kind),
        ("source", f.source),
        ("status", f.status),
        ("light", f.light),
    ):
        if value:
            problems = problems.filter(**{field: value})
    if f.status == "":
        problems = problems.exclude(status=Problem.Status.WITHDRAWN)
    if f.category:
        problems = problems.filter(category_id=f.category)
    if f.deadline_from:
        problems = problems.filter(deadline__gte=f.deadline_from)
    if f.deadline_to:
        problems = problems.filter(deadline__lte=f.deadline_to)
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
    rows = problems.values("light").annotate(n=Count("id")).order_by()
    result = {"red": 0, "yellow": 0, "green": 0, "": 0}
    for row in rows:
        result[row["light"]] = row["n"]
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
        problems = problems.filter(
            Q(urgency__gt=cursor.urgency)
            | Q(urgency=cursor.urgency, due_key__gt=cursor.due_key)
            | Q(urgency=cursor.urgency, due_key=cursor.due_key, id__gt=cursor.pk)
        )
    rows = list(
        problems.select_related("unit", "category", "responsible_person").order_by(*URGENT_FIRST)[
            : size + 1
        ]
    )
    more = len(rows) > size
    rows = rows[:size]
    last = rows[-1] if rows and more else None
    return rows, (Cursor(last.urgency, last.due_key, last.pk) if last else None)


def overview_by_child_unit(user: User, root: Unit) -> list[dict[str, object]]:
    """Per direct child of `root` (and `root` itself): problems, closed, red, yellow — in one
    grouped query over the subtree, whatever its size."""
    from django.db.models.functions import Substr

    children = {
        u.path: u
        for u in Unit.objects.filter(parent=root, is_active=True).order_by("sort_order", "code")
    }
    width = len(root.path) + len(Unit.segment(0))
    rows = (
        problems_visible_to(user)
        .filter(unit__path__startswith=root.path)
        .exclude(status__in=[Problem.Status.WITHDRAWN, Problem.Status.DRAFT])
        .annotate(branch=Substr("unit__path", 1, width))
        .values("branch")
        .annotate(
            total=Count("id"),
            closed=Count("id", filter=Q(status=Problem.Status.CLOSED)),
            red=Count("id", filter=Q(light="red")),
            yellow=Count("id", filter=Q(light="yellow")),
        )
        .order_by()
    )
    stats = {row["branch"]: row for row in rows}
    result: list[dict[str, object]] = []
    own = dict.fromkeys(("total", "closed", "red", "yellow"), 0)
    for branch, row in stats.items():
        if branch not in children:  # the root's own problems (its path is shorter)
            for key in own:
                own[key] += row[key]
    if any(own.values()):
        result.append({"unit": root, **own})
    for path, unit in children.items():
        found = stats.get(path)
        result.append(
            {"unit": unit, **({k: found[k] for k in own} if found else dict.fromkeys(own, 0))}
        )
    return result

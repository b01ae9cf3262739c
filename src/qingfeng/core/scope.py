"""The scoping base every app uses: a user acts within the unit subtrees of their roles.

    Problem.objects.filter(scope_q(user, "unit__path"))

Anything outside gives a 404 through the app's selector, exactly as a missing id would.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

from django.apps import apps
from django.conf import settings
from django.db.models import Q, QuerySet

if TYPE_CHECKING:
    from qingfeng.orgs.models import User

# Roles whose scope never covers organisation data or case content (三权分立): the auditor
# reads the audit trail and nothing else.
NO_CONTENT_ROLES = frozenset({"auditor"})


def active_roles(user: User) -> list[tuple[str, str, int]]:
    """(role, unit path, unit id) of the user's active role assignments, cached per object."""
    cached = getattr(user, "_qf_roles", None)
    if cached is None:
        if not user.is_authenticated or not user.is_active:
            cached = []
        else:
            cached = list(
                user.roles.filter(revoked_at__isnull=True, unit__is_active=True).values_list(
                    "role", "unit__path", "unit_id"
                )
            )
        user._qf_roles = cached  # type: ignore[attr-defined]
    return cached


def role_names(user: User) -> set[str]:
    return {role for role, _path, _unit in active_roles(user)}


def has_role(user: User, *roles: str) -> bool:
    return bool(role_names(user) & set(roles))


def _minimal(paths: Iterable[str]) -> list[str]:
    """Drop paths inside another path of the list: a county under a scope already held."""
    result: list[str] = []
    for path in sorted(set(paths)):
        if not result or not path.startswith(result[-1]):
            result.append(path)
    return result


def scope_paths(user: User, *, roles: Iterable[str] | None = None) -> list[str]:
    wanted = set(roles) if roles is not None else None
    return _minimal(
        path
        for role, path, _unit in active_roles(user)
        if role not in NO_CONTENT_ROLES and (wanted is None or role in wanted)
    )


def scope_q(user: User, field: str = "unit__path", *, roles: Iterable[str] | None = None) -> Q:
    """A filter for rows whose unit lies inside the user's scope; matches nothing if none."""
    paths = scope_paths(user, roles=roles)
    if not paths:
        return Q(pk__in=[])
    query = Q()
    for path in paths:
        query |= Q(**{f"{field}__startswith": path})
    return query


def unit_ids_under(paths: Iterable[str]) -> QuerySet[Any]:
    """The ids of the units in these subtrees, as a subquery: `unit_id IN (…)` lets a big
    table keep walking its own index (its sort order, its filters) and test each row against a
    small set, where a join on the unit's path makes the database read and sort the scope."""
    unit_model = apps.get_model(settings.QF_UNIT_MODEL)
    paths = list(paths)
    if not paths:
        return cast("QuerySet[Any]", unit_model.objects.none().values("pk"))
    query = Q()
    for path in paths:
        query |= Q(path__startswith=path)
    return cast("QuerySet[Any]", unit_model.objects.filter(query).values("pk"))


def holds_whole_tree(user: User, paths: Iterable[str]) -> bool:
    """Whether these subtrees of the user's scope hold every unit there is: each root of the
    unit tree is one of them (a bureau's, a province's scope). One small query, the roots,
    asked only when a path is a root's and kept on the user object for the request."""
    tops = {path for path in paths if path.count("/") == 1}
    if not tops:
        return False
    roots = getattr(user, "_qf_tree_roots", None)
    if roots is None:
        unit_model = apps.get_model(settings.QF_UNIT_MODEL)
        roots = set(unit_model.objects.filter(parent__isnull=True).values_list("path", flat=True))
        user._qf_tree_roots = roots  # type: ignore[attr-defined]
    return roots <= tops


def units_under_q(user: User, field: str, paths: list[str]) -> Q:
    """Rows whose unit (`field`) lies in these subtrees of the user's scope:
    `field IN unit_ids_under(paths)`, or when the subtrees hold the whole tree, where that set
    would be every unit id there is (thousands, built and probed per row for nothing), just
    `field IS NOT NULL` — a condition still, so that it combines with others as one (an empty
    Q would vanish from an OR)."""
    if holds_whole_tree(user, paths):
        return Q(**{f"{field}__isnull": False})
    return Q(**{f"{field}__in": unit_ids_under(paths)})


def scope_in(user: User, field: str = "unit_id", *, roles: Iterable[str] | None = None) -> Q:
    """`scope_q` as a subquery on the unit id field (see unit_ids_under)."""
    paths = scope_paths(user, roles=roles)
    if not paths:
        return Q(pk__in=[])
    return Q(**{f"{field}__in": unit_ids_under(paths)})


def in_scope(user: User, unit_path: str, *, roles: Iterable[str] | None = None) -> bool:
    return any(unit_path.startswith(p) for p in scope_paths(user, roles=roles))

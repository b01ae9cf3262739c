"""Every read of units and people, already scoped to the caller."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import DEFAULT_DB_ALIAS, router
from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.shortcuts import get_object_or_404

from qingfeng.core.fields import blind_index
from qingfeng.core.scope import in_scope, scope_paths, scope_q
from qingfeng.orgs.models import (
    PERSON_TALLY,
    UNIT_TALLY,
    ApiToken,
    Liaison,
    LoginThrottle,
    Person,
    PersonTally,
    Role,
    RoleAssignment,
    Unit,
    User,
)


def units_visible_to(user: User, *, roles: Iterable[str] | None = None) -> QuerySet[Unit]:
    """The units of the user's scope (of the given roles only, if any are named)."""
    return Unit.objects.filter(scope_q(user, "path", roles=roles))


def active_unit(pk: int) -> Unit | None:
    """An active unit by id, for the public pages, where any unit may be named (reported on,
    or its published progress read): None for a missing or deactivated one."""
    return Unit.objects.filter(pk=pk, is_active=True).first()


def get_unit_for_user(user: User, pk: int) -> Unit:
    """404 for anything outside the user's scope, exactly as for a missing id."""
    return get_object_or_404(units_visible_to(user).select_related("parent"), pk=pk)


def scope_roots(user: User) -> QuerySet[Unit]:
    """The top units of the user's scope (one per disjoint subtree)."""
    return Unit.objects.filter(path__in=scope_paths(user)).order_by("path")


def scope_root_units(user: User) -> list[Unit]:
    """`scope_roots` read once per user object (a page's cards each ask for them)."""
    cached: list[Unit] | None = getattr(user, "_qf_scope_roots", None)
    if cached is None:
        cached = list(scope_roots(user))
        user._qf_scope_roots = cached  # type: ignore[attr-defined]
    return cached


def children_of(user: User, unit: Unit) -> QuerySet[Unit]:
    return (
        units_visible_to(user)
        .filter(parent=unit)
        .annotate(child_count=Count("children", distinct=True))
        .order_by("sort_order", "code")
    )


def search_units(user: User, text: str, *, kind: str = "", limit: int = 50) -> QuerySet[Unit]:
    units = units_visible_to(user)
    text = text.strip()
    if text:
        units = units.filter(
            Q(name__icontains=text)
            | Q(short_name__icontains=text)
            | Q(aliases__icontains=text)
            | Q(code__iexact=text)
        )
    if kind:
        units = units.filter(kind=kind)
    return units.select_related("parent").order_by("depth", "path")[:limit]


def ancestors_of(unit: Unit) -> list[Unit]:
    ids = unit.ancestor_ids()
    by_id = Unit.objects.in_bulk(ids)
    return [by_id[i] for i in ids if i in by_id]


def unit_people_counts(user: User, unit: Unit) -> tuple[int, int]:
    """Active people in sight in the unit itself, and in it and every unit below it: from the
    kept counts (one tally row, one subtree sum) when the unit lies in the user's scope."""
    if not in_scope(user, unit.path):
        people = people_visible_to(user).filter(is_active=True)
        return people.filter(unit=unit).count(), people.filter(unit.subtree_q()).count()
    own = PersonTally.objects.filter(unit=unit, is_active=True).aggregate(n=Sum("n"))["n"] or 0
    return own, kept_people([unit.path])[0][0]


def kept_people(paths: Sequence[str]) -> list[tuple[int, int]]:
    """Active people and active party members in the subtree at each of `paths`, from the
    counts kept per subtree (PersonSubtreeTally and what is not folded into it yet, in one
    statement, core/tally.py Rollup): O(paths asked for), whatever lies below them; equal to
    a count of the people at any moment."""
    wanted = {Unit.path_ids(path)[-1]: path for path in paths}
    if not wanted:
        return []
    # Raw SQL, so the router is asked here: inside replica.reads() the replica's (dashboards).
    using = router.db_for_read(Person) or DEFAULT_DB_ALIAS
    rollup = PERSON_TALLY.rollup
    assert rollup is not None
    rows = rollup.sums(PERSON_TALLY, wanted.items(), using=using)
    result: list[tuple[int, int]] = []
    for path in paths:
        people = party = 0
        for active, member, n in rows.get(Unit.path_ids(path)[-1], []):
            if active:
                people += n
                party += n if member else 0
        result.append((people, party))
    return result


def liaisons_of(county: Unit) -> QuerySet[Liaison]:
    """包片: the leaders assigned to a county."""
    return county.liaisons.select_related("leader__person")


def roles_of(account: User) -> QuerySet[RoleAssignment]:
    """An account's roles in force, with their units (its own profile, or the account page
    of a system admin who found it through `get_account_for_user`)."""
    return account.roles.filter(revoked_at__isnull=True).select_related("unit")


def active_token(key_hash: str) -> ApiToken | None:
    """The token with this hash, if it is not revoked and its account is active."""
    return (
        ApiToken.objects.select_related("user")
        .filter(key_hash=key_hash, revoked_at__isnull=True, user__is_active=True)
        .first()
    )


def tokens_of(user: User) -> QuerySet[ApiToken]:
    """The user's own API tokens not revoked."""
    return user.api_tokens.filter(revoked_at__isnull=True)


def login_lock(account: User) -> LoginThrottle | None:
    """The account's sign-in lock, if one was ever set and not cleared."""
    return LoginThrottle.objects.filter(
        username_key=LoginThrottle.key_for(account.get_username()), locked_until__isnull=False
    ).first()


def active_accounts() -> QuerySet[User]:
    """Every active account with its person and unit: the names a form may parse (who may
    actually be named is the action's rule, with its own message)."""
    return User.objects.filter(is_active=True).select_related("person__unit")


def people_visible_to(user: User) -> QuerySet[Person]:
    return Person.objects.filter(scope_q(user, "unit__path"))


def get_person_for_user(user: User, pk: int) -> Person:
    return get_object_or_404(people_visible_to(user).select_related("unit", "user"), pk=pk)


def filter_people(
    user: User,
    *,
    unit: Unit | None = None,
    text: str = "",
    post_type: str = "",
    party: str = "",
    active: str = "1",
) -> QuerySet[Person]:
    people = people_visible_to(user)
    if unit is not None:
        people = people.filter(unit.subtree_q())
    text = text.strip()
    if text:
        if text.isdigit() and len(text) >= 7:
            people = people.filter(phone_index=blind_index(text))
        else:
            people = people.filter(name__contains=text)
    if post_type:
        people = people.filter(post_type=post_type)
    if party in {"1", "0"}:
        people = people.filter(is_party_member=party == "1")
    if active in {"1", "0"}:
        people = people.filter(is_active=active == "1")
    return people.select_related("unit")


def liaison_counties(user: User) -> QuerySet[Unit]:
    return Unit.objects.filter(liaisons__leader=user).order_by("path")


def leaders_visible_to(user: User) -> QuerySet[User]:
    """Accounts holding the leader role on a unit inside the user's scope."""
    return (
        User.objects.filter(
            scope_q(user, "roles__unit__path"),
            roles__role=Role.LEADER,
            roles__revoked_at__isnull=True,
        )
        .select_related("person")
        .distinct()
        .order_by("username")
    )


def counties_visible_to(user: User) -> QuerySet[Unit]:
    return (
        units_visible_to(user)
        .filter(kind=Unit.Kind.COUNTY, is_active=True)
        .order_by("sort_order", "code")
    )


def liaison_map(leaders: QuerySet[User]) -> dict[int, list[Unit]]:
    result: dict[int, list[Unit]] = {}
    for liaison in (
        Liaison.objects.filter(leader__in=leaders).select_related("county").order_by("county__code")
    ):
        result.setdefault(liaison.leader_id, []).append(liaison.county)
    return result


def liaisons_visible_to(user: User) -> QuerySet[Liaison]:
    return Liaison.objects.filter(scope_q(user, "county__path")).select_related("leader", "county")


def scope_counts(user: User) -> dict[str, int]:
    """Real counts for the home page: units by kind and people in the user's scope, from the
    counts kept per subtree (one row per scope root and combination, core/tally.py Rollup),
    never a count of every unit or person in the scope (5,800 units and 245,000 people at
    province size): two statements, whatever the scope holds."""
    roots = scope_root_units(user)
    by_kind = kept_unit_kinds(roots)
    sums = kept_people([root.path for root in roots])
    return {
        "units": sum(by_kind.values()),
        "counties": by_kind.get(Unit.Kind.COUNTY, 0),
        "schools": by_kind.get(Unit.Kind.SCHOOL, 0) + by_kind.get(Unit.Kind.KINDERGARTEN, 0),
        "departments": by_kind.get(Unit.Kind.DEPARTMENT, 0),
        "people": sum(n for n, _party in sums),
        "party_members": sum(party for _n, party in sums),
    }


def kept_unit_kinds(roots: Sequence[Unit]) -> dict[str, int]:
    """How many units of each kind the subtrees of `roots` (disjoint: a scope's roots) hold,
    the roots included: the roots' own kinds plus, in one statement, the units counted below
    each root (UnitSubtreeTally and what is not folded into it yet, core/tally.py Rollup).
    Equal to a count of the units at any moment."""
    result: dict[str, int] = {}
    for root in roots:
        result[root.kind] = result.get(root.kind, 0) + 1
    if not roots:
        return result
    using = router.db_for_read(Unit) or DEFAULT_DB_ALIAS
    rollup = UNIT_TALLY.rollup
    assert rollup is not None
    below = rollup.sums(UNIT_TALLY, [(root.pk, root.path) for root in roots], using=using)
    for rows in below.values():
        for kind, n in rows:
            result[kind] = result.get(kind, 0) + n
    return result


def accounts_visible_to(user: User) -> QuerySet[User]:
    """Login accounts of people inside the user's scope."""
    return User.objects.filter(scope_q(user, "person__unit__path")).select_related("person__unit")


def get_account_for_user(user: User, pk: int) -> User:
    return get_object_or_404(accounts_visible_to(user), pk=pk)


def filter_accounts(
    user: User, *, text: str = "", role: str = "", status: str = ""
) -> QuerySet[User]:
    accounts = accounts_visible_to(user)
    text = text.strip()
    if text:
        accounts = accounts.filter(Q(username__icontains=text) | Q(person__name__contains=text))
    if role:
        accounts = accounts.filter(roles__role=role, roles__revoked_at__isnull=True)
    if status == "active":
        accounts = accounts.filter(is_active=True)
    elif status == "disabled":
        accounts = accounts.filter(is_active=False)
    return (
        accounts.prefetch_related(
            Prefetch(
                "roles",
                queryset=RoleAssignment.objects.filter(revoked_at__isnull=True).select_related(
                    "unit"
                ),
                to_attr="active_roles",
            )
        )
        .distinct()
        .order_by("person__unit__path", "username")
    )


def people_without_account(user: User, text: str, *, limit: int = 20) -> QuerySet[Person]:
    return (
        people_visible_to(user)
        .filter(user__isnull=True, is_active=True, name__contains=text.strip())
        .select_related("unit")[:limit]
    )


def roster_names(unit: Unit) -> list[str]:
    """The names of the people the system knows around a unit — everyone in it and below it,
    and the staff of the units above it (the county bureau, the city bureau) — for masking:
    the public never sees them, the unit itself may (lib.redact's ``roster``). One query."""
    people = Person.objects.filter(unit.subtree_q() | Q(unit_id__in=unit.ancestor_ids()))
    return sorted(set(people.values_list("name", flat=True)))

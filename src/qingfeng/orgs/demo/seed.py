"""Writing a demo plan: bulk inserts in one transaction, the demo logins, one audit event."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import timezone

from qingfeng.core.audit import record_audit
from qingfeng.core.fields import blind_index
from qingfeng.orgs import actions
from qingfeng.orgs.demo.plan import People, Plan, build_plan
from qingfeng.orgs.models import Person, Role, Unit, User

DEMO_PASSWORD = "Qingfeng@Demo2026"  # noqa: S105 - the demo's own, printed by `make run`

DEMO_LOGINS_HELP = f"""
演示账号（密码均为 {DEMO_PASSWORD}）/ Demo logins (password {DEMO_PASSWORD}):
  demo_school     学校管理员 / school admin
  demo_teacher    教师（同一所学校）/ teacher at that school
  demo_county     县区管理员（该校所在县区）/ county admin of that school's county
  demo_bureau     局管理员（需动态口令）/ bureau admin (TOTP)
  demo_leader     分管领导，包片 1–2 个县区（需动态口令）/ leader with 1–2 liaison counties (TOTP)
  demo_supervisor 督导组成员（需动态口令）/ supervisor (TOTP)
  demo_hotline    热线接线员 / hotline operator
  demo_auditor    安全审计员（需动态口令）/ security auditor (TOTP)
  demo_sysadmin   系统管理员（需动态口令）/ system admin (TOTP)
需动态口令的账号首次登录时绑定手机验证器 / TOTP accounts pair an authenticator app at first login.
"""

BATCH = 2000
P = Person.PostType


# --- Writing a plan -----------------------------------------------------------------------
@dataclass(frozen=True)
class SeedSummary:
    size: str
    seed: int
    units: int
    people: int
    accounts: tuple[str, ...]


class DemoAlreadySeeded(Exception):
    pass


# (username, role, where the role applies, where the person works, their post type and a
# position they must hold, if any; plan marks as in Plan.marks)
DEMO_ACCOUNTS: tuple[tuple[str, str, str, str, str, str], ...] = (
    ("demo_school", Role.UNIT_ADMIN, "school", "school", P.MIDDLE, "办公室主任"),
    ("demo_teacher", Role.STAFF, "school", "school", P.TEACHER, ""),
    ("demo_county", Role.UNIT_ADMIN, "county", "county", P.CIVIL, ""),
    ("demo_bureau", Role.BUREAU_ADMIN, "root", "office", P.CIVIL, ""),
    ("demo_leader", Role.LEADER, "root", "root", P.LEADER, ""),
    ("demo_supervisor", Role.SUPERVISOR, "root", "supervision", P.CIVIL, ""),
    ("demo_hotline", Role.HOTLINE_OPERATOR, "root", "office", P.CIVIL, ""),
    ("demo_auditor", Role.AUDITOR, "root", "it", P.CIVIL, ""),
    ("demo_sysadmin", Role.SYSTEM_ADMIN, "root", "it", P.CIVIL, ""),
)


def _insert_units(plan: Plan) -> list[Unit]:
    """Ids allocated up front in tree order, so paths are computed before any INSERT."""
    now = timezone.now()
    units: list[Unit] = []
    for spec in plan.units:
        parent = units[spec.parent] if spec.parent is not None else None
        pk = spec.index + 1
        units.append(
            Unit(
                id=pk,
                parent_id=parent.pk if parent else None,
                path=(parent.path if parent else "") + Unit.segment(pk),
                depth=parent.depth + 1 if parent else 0,
                name=spec.name,
                short_name=spec.short_name,
                aliases=spec.aliases,
                code=spec.code,
                kind=spec.kind,
                category=spec.category,
                stage=spec.stage,
                locale=spec.locale,
                sort_order=spec.sort_order,
                created_at=now,
            )
        )
    Unit.objects.bulk_create(units, batch_size=BATCH)
    # Explicit ids leave PostgreSQL's sequence behind; the next unit created must not clash.
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [Unit]):
            cursor.execute(sql)
    return units


_PERSON_COLUMNS = (
    "unit",
    "name",
    "post_type",
    "position",
    "is_party_member",
    "phone",
    "phone_index",
    "is_active",
    "created_at",
)


def _insert_people(plan: Plan, units: list[Unit]) -> int:
    """People go in with executemany: for 60,000 rows bulk_create spends most of the
    seeding time building SQL, while this stays in the driver. Values still pass through
    each field's get_db_prep_save, so the phone is encrypted exactly as the ORM would."""
    by_name = {f.name: f for f in Person._meta.concrete_fields}
    fields = [by_name[name] for name in _PERSON_COLUMNS]
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 - names from the model
        quote(Person._meta.db_table),
        ", ".join(quote(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    phone_field = fields[_PERSON_COLUMNS.index("phone")]
    created_at = fields[-1].get_db_prep_save(timezone.now(), connection)
    people = People(plan.seed)
    rows: list[tuple[Any, ...]] = []
    total = 0
    with connection.cursor() as cursor:
        for spec, unit in zip(plan.units, units, strict=True):
            for p in people.for_unit(spec):
                phone = phone_field.get_db_prep_save(p.phone, connection)
                rows.append(
                    (
                        unit.pk,
                        p.name,
                        str(p.post_type),
                        p.position,
                        p.is_party_member,
                        phone,
                        blind_index(p.phone),
                        p.is_active,
                        created_at,
                    )
                )
            if len(rows) >= BATCH:
                cursor.executemany(sql, rows)
                total += len(rows)
                rows = []
        cursor.executemany(sql, rows)
    return total + len(rows)


def _create_accounts(plan: Plan, units: list[Unit]) -> dict[str, User]:
    now = timezone.now()
    users: dict[str, User] = {}
    taken: set[int] = set()
    for username, role, scope, home, post_type, position in DEMO_ACCOUNTS:
        user = User(
            username=username,
            is_staff=role == Role.SYSTEM_ADMIN,
            must_change_password=False,
            password_changed_at=now,
        )
        user.set_password(DEMO_PASSWORD)
        user.save()
        candidates = Person.objects.filter(
            unit=units[plan.marks[home]], post_type=post_type, is_active=True
        ).exclude(pk__in=taken)
        if position:
            candidates = candidates.filter(position=position)
        elif post_type == P.LEADER:
            candidates = candidates.filter(position__startswith="副")  # 分管领导, not the head
        person = candidates.order_by("id").first()
        if person is not None:
            taken.add(person.pk)
            Person.objects.filter(pk=person.pk).update(user=user)
        actions.do_grant_role(user, actor=None, role=role, unit=units[plan.marks[scope]])
        users[username] = user
    counties = [units[i] for i in plan.counties[:2]]
    actions.check_set_liaisons(users["demo_leader"], actor=None, counties=counties)
    return users


def _analyse() -> None:
    """Planner statistics for the tables just filled. SQLite has none until ANALYZE runs,
    and without them it joins people to units by scanning every person and sorting: the
    people list of a city then takes ~100-200 ms per page instead of a few ms."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model in (Unit, Person, User):
            cursor.execute(f"ANALYZE {quote(model._meta.db_table)}")


@transaction.atomic(durable=True)
def do_seed_demo(*, size: str, seed: int) -> SeedSummary:
    """Load a demo installation into an empty database (no units, no demo accounts).

    One audit event summarises the load; role grants and 包片 go through their actions and
    are audited as usual.
    """
    if Unit.objects.exists() or User.objects.filter(username__startswith="demo_").exists():
        raise DemoAlreadySeeded
    plan = build_plan(size=size, seed=seed)
    units = _insert_units(plan)
    people = _insert_people(plan, units)
    users = _create_accounts(plan, units)
    _analyse()
    summary = SeedSummary(
        size=size, seed=seed, units=len(units), people=people, accounts=tuple(users)
    )
    after: dict[str, Any] = {
        "size": size,
        "seed": seed,
        "units": summary.units,
        "people": people,
        "accounts": list(summary.accounts),
    }
    record_audit(actor=None, action="orgs.demo.seed", obj=units[0], after=after)
    return summary


def demo_accounts_exist() -> bool:
    """Whether this is a demo installation (`seed_demo` ran): the other apps' demo records
    are made by these accounts."""
    return User.objects.filter(username="demo_bureau").exists()

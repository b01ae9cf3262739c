"""Every change to units, people, roles and liaison areas: one function each, in one
transaction, writing its audit event."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from qingfeng.core.audit import record_audit
from qingfeng.core.fields import blind_index
from qingfeng.core.tally import rebuild_rollups
from qingfeng.orgs.models import Liaison, Person, Role, RoleAssignment, Unit, User

UNIT_FIELDS = (
    "name",
    "short_name",
    "aliases",
    "code",
    "kind",
    "category",
    "stage",
    "locale",
    "sort_order",
)
PERSON_FIELDS = ("name", "post_type", "position", "is_party_member", "is_active")


def _snapshot(obj: Unit | Person, fields: Sequence[str]) -> dict[str, Any]:
    return {f: getattr(obj, f) for f in fields}


def _set_path(unit: Unit) -> None:
    parent_path = unit.parent.path if unit.parent is not None else ""
    unit.path = parent_path + Unit.segment(unit.pk)
    unit.depth = unit.parent.depth + 1 if unit.parent is not None else 0


@transaction.atomic
def do_create_unit(*, actor: User | None, parent: Unit | None, **fields: Any) -> Unit:
    unit = Unit(parent=parent, path=f"new-{timezone.now().timestamp()}-{id(fields)}", **fields)
    unit.full_clean(exclude=["path"])
    unit.save()
    _set_path(unit)
    unit.save(update_fields=["path", "depth"])
    record_audit(
        actor=actor, action="orgs.unit.create", obj=unit, after=_snapshot(unit, UNIT_FIELDS)
    )
    return unit


@transaction.atomic
def do_update_unit(unit: Unit, *, actor: User, **changes: Any) -> Unit:
    before = _snapshot(unit, UNIT_FIELDS)
    for name, value in changes.items():
        if name not in UNIT_FIELDS:
            raise ValueError(f"not an editable unit field: {name}")
        setattr(unit, name, value)
    unit.full_clean()
    unit.save(update_fields=list(changes))
    record_audit(
        actor=actor,
        action="orgs.unit.update",
        obj=unit,
        before=before,
        after=_snapshot(unit, UNIT_FIELDS),
    )
    return unit


@transaction.atomic
def check_move_unit(unit: Unit, *, actor: User, new_parent: Unit) -> Unit:
    """Move a subtree under another unit; every path below is rewritten in one statement."""
    if new_parent.is_within(unit):
        raise ValidationError(_("不能把单位移动到它自己或它的下级单位之下"))
    old_path, old_depth, old_parent = unit.path, unit.depth, unit.parent
    subtree = Unit.objects.within(unit)  # taken before the path changes
    unit.parent = new_parent
    _set_path(unit)
    subtree.update(
        path=Concat(Value(unit.path), Substr("path", len(old_path) + 1)),
        depth=F("depth") + (unit.depth - old_depth),
    )
    Unit.objects.filter(pk=unit.pk).update(parent=new_parent)
    # The counts kept per subtree (core/tally.py Rollup) follow the tree's new shape.
    rebuild_rollups()
    unit.refresh_from_db()
    record_audit(
        actor=actor,
        action="orgs.unit.move",
        obj=unit,
        before={"parent": old_parent.pk if old_parent else None, "path": old_path},
        after={"parent": new_parent.pk, "path": unit.path},
    )
    return unit


@transaction.atomic
def do_set_unit_active(unit: Unit, *, actor: User, active: bool, reason: str) -> None:
    """Units are deactivated, never deleted: problems and tickets keep pointing at them."""
    if not reason.strip():
        raise ValidationError(_("请填写停用或启用的原因"))
    Unit.objects.within(unit).update(is_active=active)
    record_audit(
        actor=actor,
        action="orgs.unit.activate" if active else "orgs.unit.deactivate",
        obj=unit,
        after={"reason": reason, "subtree": True},
    )


def _set_phone(person: Person, phone: str) -> None:
    person.phone = phone.strip()
    person.phone_index = blind_index(person.phone)


@transaction.atomic
def do_create_person(*, actor: User | None, unit: Unit, phone: str = "", **fields: Any) -> Person:
    person = Person(unit=unit, **fields)
    _set_phone(person, phone)
    person.full_clean()
    person.save()
    # The phone number never enters the audit trail in clear; the blind index suffices.
    record_audit(
        actor=actor, action="orgs.person.create", obj=person, after=_snapshot(person, PERSON_FIELDS)
    )
    return person


@transaction.atomic
def do_update_person(
    person: Person,
    *,
    actor: User,
    phone: str | None = None,
    unit: Unit | None = None,
    **changes: Any,
) -> Person:
    before = {**_snapshot(person, PERSON_FIELDS), "unit": person.unit_id}
    for name, value in changes.items():
        if name not in PERSON_FIELDS:
            raise ValueError(f"not an editable person field: {name}")
        setattr(person, name, value)
    if unit is not None:
        person.unit = unit
    phone_changed = phone is not None and phone.strip() != person.phone
    if phone is not None:
        _set_phone(person, phone)
    person.full_clean()
    person.save()
    after = {
        **_snapshot(person, PERSON_FIELDS),
        "unit": person.unit_id,
        "phone_changed": phone_changed,
    }
    record_audit(actor=actor, action="orgs.person.update", obj=person, before=before, after=after)
    return person


@transaction.atomic
def do_grant_role(user: User, *, actor: User | None, role: str, unit: Unit) -> RoleAssignment:
    if role not in Role.values:
        raise ValidationError(_("未知角色：%(role)s") % {"role": role})
    assignment, created = RoleAssignment.objects.get_or_create(
        user=user, role=role, unit=unit, revoked_at=None, defaults={"granted_by": actor}
    )
    if created:
        record_audit(
            actor=actor,
            action="orgs.role.grant",
            obj=user,
            unit=unit,
            after={"role": role, "unit": unit.pk},
        )
        _sync_staff(user)
    return assignment


def _sync_staff(user: User) -> None:
    """is_staff (the Django admin's door) follows the system_admin role, nothing else."""
    staff = user.roles.filter(role=Role.SYSTEM_ADMIN, revoked_at__isnull=True).exists()
    if user.is_staff != staff:
        user.is_staff = staff
        user.save(update_fields=["is_staff"])


@transaction.atomic
def do_revoke_role(assignment: RoleAssignment, *, actor: User) -> None:
    if assignment.revoked_at is not None:
        return
    assignment.revoked_at = timezone.now()
    assignment.save(update_fields=["revoked_at"])
    record_audit(
        actor=actor,
        action="orgs.role.revoke",
        obj=assignment.user,
        unit=assignment.unit,
        before={"role": assignment.role, "unit": assignment.unit_id},
    )
    _sync_staff(assignment.user)


@transaction.atomic
def check_set_liaisons(
    leader: User, *, actor: User | None, counties: Sequence[Unit]
) -> list[Liaison]:
    """包片: a leader gets one or two counties, replacing what they had."""
    if not RoleAssignment.objects.filter(
        user=leader, role=Role.LEADER, revoked_at__isnull=True
    ).exists():
        raise ValidationError(_("只有具有“分管领导”角色的账号才能分配包片县区"))
    unique = {c.pk: c for c in counties}
    if not 1 <= len(unique) <= 2:
        raise ValidationError(
            _("每位领导须包片 1 至 2 个县区，当前为 %(n)d 个") % {"n": len(unique)}
        )
    wrong = [c.name for c in unique.values() if c.kind != Unit.Kind.COUNTY]
    if wrong:
        raise ValidationError(
            _("包片单位必须是县区教育局：%(names)s") % {"names": "、".join(wrong)}
        )
    before = sorted(Liaison.objects.filter(leader=leader).values_list("county_id", flat=True))
    Liaison.objects.filter(leader=leader).delete()
    created = [
        Liaison.objects.create(leader=leader, county=c, assigned_by=actor) for c in unique.values()
    ]
    record_audit(
        actor=actor,
        action="orgs.liaison.set",
        obj=leader,
        before={"counties": before},
        after={"counties": sorted(unique)},
    )
    return created

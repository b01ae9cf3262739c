"""Study types (学习类型) as the bureau configures them: add, edit, deactivate, reactivate.

The cadence calendar, the gap notifications and the session form read the active types at
each request, so a change here is the cadence from the next page or the next morning's run:
nothing is stored per period that would need recomputing. Sessions already planned keep the
attendees they were drawn with (the session's own `post_types`)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from qingfeng.core.audit import record_audit
from qingfeng.learning.models import SessionType
from qingfeng.orgs.models import Person, User

C = SessionType.Cadence
MAX_MINIMUM = 31
MAX_ALERT_WORKDAYS = 60
FIELDS = (
    "name",
    "cadence",
    "minimum",
    "audience",
    "post_types",
    "first_item_required",
    "alert_workdays",
    "sort_order",
)


def _snapshot(item: SessionType) -> dict[str, Any]:
    return {f: getattr(item, f) for f in (*FIELDS, "is_active")}


def _clean(
    item: SessionType | None,
    *,
    name: str,
    cadence: str,
    minimum: int,
    audience: str,
    post_types: Sequence[str],
    alert_workdays: int,
) -> dict[str, Any]:
    """Every field checked at once; the messages are keyed by field for the form."""
    errors: dict[str, str] = {}
    name = " ".join(name.split())
    if not name:
        errors["name"] = _("请填写学习类型名称")
    elif len(name) > 50:
        errors["name"] = _("名称不能超过 50 个字")
    else:
        same = SessionType.objects.filter(name=name)
        if item is not None:
            same = same.exclude(pk=item.pk)
        if same.exists():
            errors["name"] = _("已有名为“%(n)s”的学习类型") % {"n": name}
    was_per_meeting = item is not None and item.cadence == C.PER_MEETING
    if cadence not in C.values:
        errors["cadence"] = _("请选择频次")
    elif was_per_meeting and cadence != C.PER_MEETING:
        errors["cadence"] = _("第一议题随每次会议检查，频次不能修改")
    elif cadence == C.PER_MEETING and not was_per_meeting:
        errors["cadence"] = _("“每次会议”只用于第一议题，请选择每月、每季度或不定期")
    if not 1 <= minimum <= MAX_MINIMUM:
        errors["minimum"] = _("每期至少次数须在 1 到 %(n)d 之间") % {"n": MAX_MINIMUM}
    if audience not in SessionType.Audience.values:
        errors["audience"] = _("请选择参加人员")
    chosen = [p for p in dict.fromkeys(post_types) if p]
    unknown = [p for p in chosen if p not in Person.PostType.values]
    if unknown:
        errors["post_types"] = _("岗位类型无效：%(p)s") % {"p": "、".join(unknown)}
    if not 0 <= alert_workdays <= MAX_ALERT_WORKDAYS:
        errors["alert_workdays"] = _("提前提醒的工作日须在 0 到 %(n)d 之间") % {
            "n": MAX_ALERT_WORKDAYS
        }
    if errors:
        raise ValidationError(errors)
    return {
        "name": name,
        "cadence": cadence,
        "minimum": minimum,
        "audience": audience,
        # In the choices' order, so an unchanged set compares equal in the audit row.
        "post_types": [p for p in Person.PostType.values if p in chosen],
        "alert_workdays": alert_workdays,
    }


@transaction.atomic
def check_save_session_type(
    item: SessionType | None,
    *,
    actor: User,
    name: str,
    cadence: str,
    minimum: int,
    audience: str,
    post_types: Sequence[str] = (),
    first_item_required: bool = False,
    alert_workdays: int = 5,
    sort_order: int = 0,
) -> SessionType:
    """Add a type (`item` None) or change one. Bad input changes nothing."""
    values = _clean(
        item,
        name=name,
        cadence=cadence,
        minimum=minimum,
        audience=audience,
        post_types=post_types,
        alert_workdays=alert_workdays,
    )
    values.update(first_item_required=first_item_required, sort_order=sort_order)
    if item is None:
        item = SessionType(code=f"custom-{secrets.token_hex(5)}", **values)
        item.save()
        record_audit(
            actor=actor, action="learning.session_type.create", obj=item, after=_snapshot(item)
        )
        return item
    item = SessionType.objects.select_for_update().get(pk=item.pk)
    before = _snapshot(item)
    for field, value in values.items():
        setattr(item, field, value)
    after = _snapshot(item)
    changed = [f for f in FIELDS if before[f] != after[f]]
    if changed:
        item.save(update_fields=changed)
        record_audit(
            actor=actor,
            action="learning.session_type.edit",
            obj=item,
            before={f: before[f] for f in changed},
            after={f: after[f] for f in changed},
        )
    return item


@transaction.atomic
def check_set_session_type_active(item: SessionType, *, actor: User, active: bool) -> SessionType:
    """Deactivate (停用: gone from the calendar, the gap alerts and the session form; its held
    sessions stay in the records) or reactivate a type."""
    item = SessionType.objects.select_for_update().get(pk=item.pk)
    if item.is_active == active:
        raise ValidationError(_("该学习类型已启用") if active else _("该学习类型已停用"))
    if not active and item.cadence == C.PER_MEETING:
        raise ValidationError(_("第一议题是每次党委（党组）会议的必备议程，不能停用"))
    item.is_active = active
    item.save(update_fields=["is_active"])
    record_audit(
        actor=actor,
        action="learning.session_type.activate" if active else "learning.session_type.deactivate",
        obj=item,
        before={"is_active": not active},
        after={"is_active": active},
    )
    return item

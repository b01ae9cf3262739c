"""The audit trail: every change writes one event, in the same transaction as the change.

If the audit write fails, the transaction — and with it the business action — fails too.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import Model, Q, QuerySet
from django.utils import timezone

from qingfeng.core.context import current_request
from qingfeng.core.models import AuditEvent
from qingfeng.core.scope import active_roles

if TYPE_CHECKING:
    from qingfeng.orgs.models import Unit, User

GENESIS = "0" * 64
# An arbitrary constant that names "the audit chain" among PostgreSQL advisory locks.
_PG_CHAIN_LOCK = 7_114_251


def _jsonable(value: Any) -> Any:
    """What the JSON column gives back, so the hash covers exactly what is stored."""
    if value is None:
        return None
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False))


def compute_hash(payload: dict[str, Any]) -> str:
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _lock_chain() -> None:
    # SQLite write transactions are IMMEDIATE, so writers are already serialised there.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_CHAIN_LOCK])


def record_audit(
    *,
    actor: User | None,
    action: str,
    obj: Model | None = None,
    unit: Unit | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    outcome: str = AuditEvent.Outcome.SUCCESS,
    object_repr: str | None = None,
) -> AuditEvent:
    """Append one event to the chain. Staff actions record the source address; actions
    without a signed-in actor (public submissions, the system) never do."""
    info = current_request.get()
    if unit is None and obj is not None:
        unit = getattr(obj, "unit", None) if not _is_unit(obj) else obj  # type: ignore[assignment]
    with transaction.atomic():
        _lock_chain()
        last = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
        event = AuditEvent(
            actor=actor,
            actor_label=(actor.get_username() if actor is not None else "system")[:150],
            unit=unit,
            action=action,
            object_type=obj._meta.label_lower if obj is not None else "",
            object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
            object_repr=(object_repr if object_repr is not None else str(obj or ""))[:200],
            outcome=outcome,
            before=_jsonable(before),
            after=_jsonable(after),
            request_id=info.request_id,
            source_ip=info.source_ip if actor is not None else "",
            prev_hash=last or GENESIS,
        )
        event.hash = compute_hash(event.chain_payload())
        event.save(force_insert=True)
    return event


def _is_unit(obj: Model) -> bool:
    return obj._meta.label_lower == settings.QF_UNIT_MODEL.lower()


@dataclass(frozen=True)
class ChainReport:
    """The result of walking the chain: how many events held, and the first that did not."""

    checked: int
    broken: AuditEvent | None = None
    reason: str = ""  # "link": prev_hash is not the previous row's hash; "hash": row altered


def check_chain(*, batch_size: int = 5000) -> ChainReport:
    """Walk the whole chain in id order and stop at the first event that does not hold."""
    previous = GENESIS
    checked = 0
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=batch_size):
        if event.prev_hash != previous:
            return ChainReport(checked, event, "link")
        if compute_hash(event.chain_payload()) != event.hash:
            return ChainReport(checked, event, "hash")
        previous = event.hash
        checked += 1
    return ChainReport(checked)


def verify_chain(*, batch_size: int = 5000) -> AuditEvent | None:
    """The first event whose hash or link is wrong, or None when the whole chain holds."""
    return check_chain(batch_size=batch_size).broken


# --- Reading the trail (the auditor's page) ------------------------------------------------


def audit_events_visible_to(user: User) -> QuerySet[AuditEvent]:
    """The events an auditor may read: everything for an auditor at a top-level unit, else
    the events of units inside their auditor scope. Nobody else reads the trail (三权分立)."""
    paths = [path for role, path, _unit in active_roles(user) if role == "auditor"]
    events = AuditEvent.objects.select_related("unit")
    if not paths:
        return events.none()
    if any(path.count("/") == 1 for path in paths):  # one path segment: a root unit
        return events
    query = Q()
    for path in paths:
        query |= Q(unit__path__startswith=path)
    return events.filter(query)


@dataclass(frozen=True)
class AuditFilter:
    start: date | None = None
    end: date | None = None
    actor: str = ""
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    outcome: str = ""


def filter_audit_events(events: QuerySet[AuditEvent], flt: AuditFilter) -> QuerySet[AuditEvent]:
    """Apply the auditor's search; dates are whole local days, both ends included."""
    if flt.start is not None:
        events = events.filter(created_at__gte=_local_midnight(flt.start))
    if flt.end is not None:
        events = events.filter(created_at__lt=_local_midnight(flt.end + timedelta(days=1)))
    if flt.actor:
        events = events.filter(Q(actor_label__iexact=flt.actor) | Q(actor__person__name=flt.actor))
    if flt.action:
        events = events.filter(action__startswith=flt.action)
    if flt.object_type:
        events = events.filter(object_type=flt.object_type)
    if flt.object_id:
        events = events.filter(object_id=flt.object_id)
    if flt.outcome:
        events = events.filter(outcome=flt.outcome)
    return events


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))

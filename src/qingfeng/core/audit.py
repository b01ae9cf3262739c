"""The audit trail: every change writes one event, in the same transaction as the change.

If the audit write fails, the transaction — and with it the business action — fails too.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import Model

from qingfeng.core.context import current_request
from qingfeng.core.models import AuditEvent

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
    return obj._meta.label_lower == "orgs.unit"


def verify_chain(*, batch_size: int = 5000) -> AuditEvent | None:
    """The first event whose hash or link is wrong, or None when the whole chain holds."""
    previous = GENESIS
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=batch_size):
        if event.prev_hash != previous or compute_hash(event.chain_payload()) != event.hash:
            return event
        previous = event.hash
    return None

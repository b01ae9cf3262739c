"""Re-chain an existing audit trail under the key (QF_AUDIT_KEY) from a recorded point.

Events written before the chain was keyed carry plain SHA-256 hashes, and the append-only
triggers keep them as they are. This appends one keyed event, `core.audit.rechain`, whose
`after` names the last of them (`legacy_through`) and its hash; `check_chain` verifies the
events up to that id with SHA-256 and every later one with the key. The old events are then
protected by the keyed event linked after them: rewriting any of them changes the hash that
marker covers. A fresh database has nothing to re-chain and writes nothing.

The payload and the HMAC are spelled out here rather than imported (a migration must not
change meaning when the app's code does); they equal AuditEvent.chain_payload and
core.audit.compute_hash as of this migration.
"""

import hashlib
import hmac
import json
from datetime import UTC

from django.conf import settings
from django.db import migrations
from django.utils import timezone

ACTION = "core.audit.rechain"


def payload(event):
    return {
        "created_at": event.created_at.astimezone(UTC).isoformat(),
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "unit_id": event.unit_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_repr": event.object_repr,
        "outcome": event.outcome,
        "before": event.before,
        "after": event.after,
        "request_id": event.request_id,
        "source_ip": event.source_ip,
        "prev_hash": event.prev_hash,
    }


def keyed(data):
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hmac.new(settings.QF_AUDIT_KEY, text.encode("utf-8"), hashlib.sha256).hexdigest()


def forwards(apps, schema_editor):
    AuditEvent = apps.get_model("core", "AuditEvent")
    last = AuditEvent.objects.order_by("-id").first()
    if last is None or AuditEvent.objects.filter(action=ACTION).exists():
        return
    marker = AuditEvent(
        created_at=timezone.now(),
        actor_label="system",
        action=ACTION,
        object_repr="审计链启用密钥 (audit chain keyed)",
        outcome="success",
        after={"legacy_through": last.pk, "legacy_head": last.hash},
        prev_hash=last.hash,
    )
    marker.hash = keyed(payload(marker))
    marker.save(force_insert=True)


class Migration(migrations.Migration):
    dependencies = [("core", "0008_audit_refuse_truncate")]
    # The marker is part of the append-only trail: there is nothing to undo.
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

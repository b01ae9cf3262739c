"""The audit trail: every change writes one event, in the same transaction as the change.

If the audit write fails, the transaction — and with it the business action — fails too.

Each event carries an HMAC (key `QF_AUDIT_KEY`, never in the database) over its columns and
the previous event's hash, so whoever can write the database but lacks the key can neither
alter a row nor recompute the chain after it. Cutting rows from the end or wiping the table
keeps a chain that holds, so the head is also anchored outside the database: one line per
event in an append-only file (`QF_AUDIT_ANCHOR_FILE`), a daily line in the log, and a line in
each backup (`anchor_for_backup`). `check_chain` holds the chain against those anchors.

A trail begun before the chain was keyed is re-chained from a recorded point: migration
`core.0009_fill_audit_rechain` appends a keyed `core.audit.rechain` event naming the last
unkeyed event; the events up to it verify with plain SHA-256 and are protected from then on by
the keyed events linked after them. Without that keyed marker every event must be keyed.

The chain has lanes (`QF_AUDIT_LANES`, 8 by default): each event links to the previous event
of its own lane, and one writer at a time appends to a lane, so that writers of different
lanes do not wait for each other's commit (on PostgreSQL a single chain admitted about 55
writes a second under a burst of public ratings, whatever else the machine could do). A
transaction appends to one lane, chosen by its process and thread, so it never waits for two.
Every event is still anchored outside the database by its id, so an event cut from the end
of any lane is named missing. The events written before lanes (lane empty) are one lane of
their own and verify as they always did.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import Model, Q, QuerySet
from django.utils import timezone

from qingfeng.core.context import current_request
from qingfeng.core.locks import hold_for_transaction
from qingfeng.core.models import AuditEvent
from qingfeng.core.scope import active_roles

if TYPE_CHECKING:
    from qingfeng.orgs.models import Unit, User

log = logging.getLogger(__name__)

GENESIS = "0" * 64
RECHAIN = "core.audit.rechain"


def _jsonable(value: Any) -> Any:
    """What the JSON column gives back, so the hash covers exactly what is stored."""
    if value is None:
        return None
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False))


def _canonical(payload: dict[str, Any]) -> bytes:
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8")


def compute_hash(payload: dict[str, Any]) -> str:
    """The keyed hash of one event: HMAC-SHA256 under `QF_AUDIT_KEY`."""
    return hmac.new(settings.QF_AUDIT_KEY, _canonical(payload), hashlib.sha256).hexdigest()


def legacy_hash(payload: dict[str, Any]) -> str:
    """The unkeyed SHA-256 of the events written before the chain was keyed."""
    return hashlib.sha256(_canonical(payload)).hexdigest()


def _lane() -> int:
    """The lane this thread appends to: the same for every event of one transaction (a
    transaction runs in one thread), spread over the lanes across processes and threads (and
    across the greenlets of a gevent worker, which are threads to `threading`)."""
    lanes = max(1, int(settings.QF_AUDIT_LANES))
    return 1 + hash((os.getpid(), threading.get_ident())) % lanes


def _lock_lane(lane: int) -> None:
    """Serialise appends to one lane of the chain until this transaction ends.

    SQLite write transactions are IMMEDIATE, so writers are already serialised there. On
    PostgreSQL a named advisory lock per lane does it, held to the commit; every other writer
    of the lane waits for it. Under the gevent web worker a wait on the database socket lets
    the other requests of the process run, so the holder would sit on the lock until the
    process came back to it, and a burst of public submissions would queue behind that
    (the rating burst of issue 13 shed half its requests this way). While the lock is held
    the connection therefore waits without yielding (`_wait_without_yielding`): the few
    statements up to the commit take a fraction of a millisecond each on the server, so the
    other requests of the process lose far less than the writers waiting for the lock."""
    if connection.vendor != "postgresql":
        return
    hold_for_transaction(f"core.audit.lane.{lane}")
    _wait_without_yielding(connection.connection)


def _lane_head(lane: int) -> str:
    """The hash of the lane's newest event, or the genesis hash for a lane not yet used."""
    last = AuditEvent.objects.filter(lane=lane).order_by("-id").values_list("hash", flat=True)
    return last.first() or GENESIS


def _wait_without_yielding(conn: Any) -> None:
    """Until the connection's transaction ends, its waits block the process instead of
    yielding to other greenlets. Without gevent psycopg already waits this way."""
    from psycopg import pq, waiting

    blocking = getattr(waiting, "wait_c", None)  # the C build's poll(), which gevent leaves
    if blocking is None or waiting.wait is blocking or "wait" in vars(conn):
        return

    def wait(gen: Any, interval: float = 0.1, timeout: float | None = None) -> Any:
        try:
            return blocking(gen, conn.pgconn.socket, interval, timeout)
        finally:
            if conn.pgconn.transaction_status == pq.TransactionStatus.IDLE:
                vars(conn).pop("wait", None)  # committed or rolled back: yield again

    conn.wait = wait


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
    without a signed-in actor (public submissions, the system) never do. Once the change
    commits, the new head is appended to the anchor file."""
    lane = _lane()
    # No savepoint of its own: a failed audit write fails the action around it anyway, and
    # the two round trips of a savepoint are most of what a burst waits for under the lock.
    with transaction.atomic(savepoint=False):
        _lock_lane(lane)
        event = _event(actor, action, obj, unit, before, after, outcome, object_repr)
        event.lane = lane
        event.prev_hash = _lane_head(lane)
        event.hash = compute_hash(event.chain_payload())
        event.save(force_insert=True)
        anchor = Anchor(event.pk, event.hash, event.created_at)
        # Only a committed head is anchored: a rolled-back event never existed.
        transaction.on_commit(lambda: append_anchor(anchor))
    return event


def record_audits(
    *,
    actor: User | None,
    action: str,
    changes: Iterable[tuple[Model, dict[str, Any] | None, dict[str, Any] | None]],
    batch_size: int = 500,
) -> int:
    """One event per (object, before, after), as `record_audit` writes each, appended to the
    chain in a few INSERT statements instead of a round trip per event: for an action that
    changes thousands of rows in one transaction (a confirmed re-import). How many."""
    lane = _lane()
    with transaction.atomic(savepoint=False):
        _lock_lane(lane)
        previous = _lane_head(lane)
        events = []
        for obj, before, after in changes:
            event = _event(actor, action, obj, None, before, after, AuditEvent.Outcome.SUCCESS)
            event.lane = lane
            event.prev_hash = previous
            event.hash = previous = compute_hash(event.chain_payload())
            events.append(event)
        if not events:
            return 0
        AuditEvent.objects.bulk_create(events, batch_size=batch_size)
        head = AuditEvent.objects.order_by("-id").values_list("id", "hash").get(hash=previous)
        anchor = Anchor(head[0], head[1], events[-1].created_at)
        transaction.on_commit(lambda: append_anchor(anchor))
    return len(events)


def _event(
    actor: User | None,
    action: str,
    obj: Model | None,
    unit: Unit | None,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    outcome: str,
    object_repr: str | None = None,
) -> AuditEvent:
    """An event not yet linked into the chain. Staff actions record the source address;
    actions without a signed-in actor (public submissions, the system) never do."""
    info = current_request.get()
    if unit is None and obj is not None:
        unit = getattr(obj, "unit", None) if not _is_unit(obj) else obj  # type: ignore[assignment]
    return AuditEvent(
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
    )


def _is_unit(obj: Model) -> bool:
    return obj._meta.label_lower == settings.QF_UNIT_MODEL.lower()


# --- Anchors: the head, kept outside the database --------------------------------------------


@dataclass(frozen=True)
class Anchor:
    """The chain's head at one moment: the id of the newest event, its hash, and when."""

    seq: int
    head: str
    at: datetime

    def line(self) -> str:
        return f"{self.seq} {self.head} {self.at.astimezone(UTC).isoformat()}\n"


def append_anchor(anchor: Anchor, path: Path | None = None) -> None:
    """Append one line to the anchor file. One short write to a file opened for appending
    lands whole even with several processes writing; a failure is logged, never raised (the
    change it anchors has committed), and shows later as an anchor missing, not as an error."""
    target = Path(path or settings.QF_AUDIT_ANCHOR_FILE)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            os.write(fd, anchor.line().encode("ascii"))
        finally:
            os.close(fd)
    except OSError:
        log.exception("audit anchor not written to %s", target)


def current_head() -> Anchor:
    """The newest event as an anchor; sequence 0 and the genesis hash for an empty trail."""
    last = AuditEvent.objects.order_by("-id").values_list("id", "hash").first()
    now = timezone.now()
    return Anchor(last[0], last[1], now) if last else Anchor(0, GENESIS, now)


def anchor_head(*, reason: str) -> Anchor:
    """Write the current head to the anchor file and to the log (the daily job, a backup)."""
    anchor = current_head()
    append_anchor(anchor)
    log.warning("audit anchor (%s): %s", reason, anchor.line().strip())
    return anchor


def anchor_for_backup() -> Anchor:
    """What the backup command calls: the head to store inside the backup (as `anchor.line()`,
    for `verify_audit --anchors FILE`), also written to the anchor file and the log."""
    return anchor_head(reason="backup")


def read_anchors(paths: Iterable[Path]) -> tuple[dict[int, str], int]:
    """The anchored heads by sequence number from the given files (a missing file holds
    none), and how many lines could not be read as an anchor."""
    anchors: dict[int, str] = {}
    unreadable = 0
    for path in paths:
        if not Path(path).is_file():
            continue
        with Path(path).open(encoding="ascii", errors="replace") as handle:
            for line in handle:
                parts = line.split()
                if len(parts) != 3 or not parts[0].isdigit() or len(parts[1]) != 64:
                    unreadable += 1
                    continue
                if int(parts[0]) > 0:
                    anchors[int(parts[0])] = parts[1]
    return anchors, unreadable


# --- Verifying the chain -----------------------------------------------------------------------


@dataclass(frozen=True)
class ChainReport:
    """The result of walking the chain: how many events held, and the first that did not;
    then what the anchors outside the database say about the rows that are gone."""

    checked: int
    broken: AuditEvent | None = None
    reason: str = ""  # "link": prev_hash is not the previous row's hash; "hash": row altered
    last_id: int = 0
    anchored: int = 0  # anchors compared
    forged: list[int] = field(default_factory=list)  # ids whose hash differs from their anchor
    missing: list[int] = field(default_factory=list)  # anchored ids inside the trail, absent
    cut_after: int | None = None  # the trail ends here while anchors name later events
    cut_to: int = 0  # the highest anchored id
    wiped: bool = False  # anchors exist but the table is empty
    unreadable_anchors: int = 0

    @property
    def ok(self) -> bool:
        return (
            self.broken is None
            and not self.forged
            and not self.missing
            and self.cut_after is None
            and not self.wiped
        )


def _legacy_through() -> int:
    """The last unkeyed event, as named by a keyed re-chain marker; 0 without one."""
    marker = AuditEvent.objects.filter(action=RECHAIN).order_by("id").first()
    if marker is None or compute_hash(marker.chain_payload()) != marker.hash:
        return 0
    through = (marker.after or {}).get("legacy_through")
    return through if isinstance(through, int) and through < marker.pk else 0


def check_chain(*, batch_size: int = 5000, anchor_files: Iterable[Path] = ()) -> ChainReport:
    """Walk the whole chain in id order, each event against the one before it in its lane,
    stop at the first event that does not hold, and compare it with the anchors (the anchor file and any further `anchor_files`)."""
    anchors, unreadable = read_anchors([settings.QF_AUDIT_ANCHOR_FILE, *anchor_files])
    legacy_through = _legacy_through()
    previous: dict[int | None, str] = {}  # each lane's head so far
    checked = 0
    last_id = 0
    anchored = 0
    forged: list[int] = []
    seen: set[int] = set()
    broken: AuditEvent | None = None
    reason = ""
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=batch_size):
        last_id = event.pk
        if event.pk in anchors:
            seen.add(event.pk)
            anchored += 1
            if anchors[event.pk] != event.hash:
                forged.append(event.pk)
        if broken is not None:
            continue
        digest = legacy_hash if event.pk <= legacy_through else compute_hash
        if event.prev_hash != previous.get(event.lane, GENESIS):
            broken, reason = event, "link"
        elif digest(event.chain_payload()) != event.hash:
            broken, reason = event, "hash"
        else:
            previous[event.lane] = event.hash
            checked += 1
    top = max(anchors, default=0)
    missing = sorted(seq for seq in anchors if seq <= last_id and seq not in seen)
    return ChainReport(
        checked,
        broken,
        reason,
        last_id=last_id,
        anchored=anchored,
        forged=forged,
        missing=missing,
        cut_after=last_id if top > last_id and last_id else None,
        cut_to=top,
        wiped=bool(anchors) and last_id == 0,
        unreadable_anchors=unreadable,
    )


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


# --- A verifiable export (JSON lines) ----------------------------------------------------------
# `manage.py export_audit` writes the trail as JSON lines: a start line, one line per event (its
# chained columns, id and hash, exactly as `chain_payload` hashes them), an end line. The start
# and end lines carry an HMAC under QF_AUDIT_KEY over what they say (where the export begins and
# the hash it links to, how many events it holds and its last hash), so `verify_audit --export
# FILE` — offline, with the key and without the database — finds an edited line (its hash), a
# deleted, reordered, duplicated or inserted line (the links, the count), a cut end (no end
# line, or an end line that does not match) and a cut start (the start line's link).

EXPORT_FORMAT = "qingfeng-audit-export/2"
# Version 1 had one lane: its start line's `prev_hash` is the only link, its end line's `head`
# the only head. `verify_export` reads both versions.
EXPORT_FORMATS = ("qingfeng-audit-export/1", EXPORT_FORMAT)
LEGACY_LANE = "0"  # the lane key, in an export, of the events written before lanes


def _lane_key(lane: int | None) -> str:
    return str(lane) if lane else LEGACY_LANE


def _export_mac(fields: dict[str, Any]) -> str:
    return hmac.new(
        settings.QF_AUDIT_KEY, b"qingfeng-audit-export:" + _canonical(fields), hashlib.sha256
    ).hexdigest()


def _sealed(fields: dict[str, Any]) -> str:
    return json.dumps({**fields, "mac": _export_mac(fields)}, ensure_ascii=False) + "\n"


def export_lines(events: QuerySet[AuditEvent], *, batch_size: int = 5000) -> Iterator[str]:
    """The export of `events` (a contiguous stretch of the chain, in id order) as lines. The
    start line names, for each lane, the hash its first event in the stretch links to; the
    end line each lane's last hash."""
    events = events.order_by("id")
    first = events.values("id", "prev_hash").first()
    links = {}
    lanes = events.order_by().values_list("lane", flat=True).distinct()  # a few rows, not all
    for lane in sorted(lanes, key=_lane_key):
        opening = events.filter(lane=lane) if lane is not None else events.filter(lane=None)
        links[_lane_key(lane)] = opening.values_list("prev_hash", flat=True).first()
    yield _sealed(
        {
            "format": EXPORT_FORMAT,
            "kind": "start",
            "exported_at": timezone.now().astimezone(UTC).isoformat(),
            "from_id": first["id"] if first else 0,
            "prev_hash": first["prev_hash"] if first else GENESIS,
            "links": links,
            "legacy_through": _legacy_through(),
        }
    )
    count, last_id, head = 0, 0, first["prev_hash"] if first else GENESIS
    heads = dict(links)
    for event in events.iterator(chunk_size=batch_size):
        line = {"kind": "event", "id": event.pk, **event.chain_payload(), "hash": event.hash}
        yield json.dumps(line, ensure_ascii=False, cls=DjangoJSONEncoder) + "\n"
        count, last_id, head = count + 1, event.pk, event.hash
        heads[_lane_key(event.lane)] = event.hash
    yield _sealed(
        {
            "format": EXPORT_FORMAT,
            "kind": "end",
            "events": count,
            "last_id": last_id,
            "head": head,
            "heads": heads,
        }
    )


@dataclass(frozen=True)
class ExportReport:
    """What `verify_export` found: the events that held, and the first problem (a sentence,
    Chinese first, naming the line) or "" when the whole file holds."""

    checked: int
    problem: str = ""
    line: int = 0
    from_id: int = 0
    last_id: int = 0
    head: str = ""
    anchored: int = 0  # anchors compared with the file's events
    forged: list[int] = field(default_factory=list)  # ids whose hash differs from their anchor

    @property
    def ok(self) -> bool:
        return not self.problem


_EVENT_KEYS = {
    "kind", "id", "hash", "created_at", "actor_id", "actor_label", "unit_id", "action",
    "object_type", "object_id", "object_repr", "outcome", "before", "after", "request_id",
    "source_ip", "prev_hash",
}  # fmt: skip


def verify_export(lines: Iterable[str], anchors: dict[int, str] | None = None) -> ExportReport:
    """Check an export line by line against QF_AUDIT_KEY alone (no database), and the
    events it holds against the anchored heads given (`read_anchors`)."""
    checked, previous, last_id, legacy_through, anchored = 0, GENESIS, 0, 0, 0
    lanes: dict[str, str] = {}  # each lane's head so far
    start: dict[str, Any] | None = None
    ended = False
    anchors = anchors or {}
    forged: list[int] = []

    def fail(number: int, text: str) -> ExportReport:
        return ExportReport(
            checked,
            f"第 {number} 行 (line {number}): {text}",
            number,
            from_id=start["from_id"] if start else 0,
            last_id=last_id,
            head=previous,
            anchored=anchored,
            forged=forged,
        )

    number = 0
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            return fail(number, "空行，文件被改动过 (an empty line: the file was edited)")
        try:
            row = json.loads(raw)
        except ValueError:
            return fail(number, "不是 JSON，文件被改动或截断 (not JSON: edited or cut)")
        if not isinstance(row, dict):
            return fail(number, "不是 JSON 对象 (not a JSON object)")
        if ended:
            return fail(number, "结束行之后还有内容 (lines after the end line)")
        kind = row.get("kind")
        if start is None:
            mac = row.pop("mac", "")
            if kind != "start" or row.get("format") not in EXPORT_FORMATS:
                return fail(number, "不是审计导出文件的开头 (not the start of an audit export)")
            if not hmac.compare_digest(str(mac), _export_mac(row)):
                return fail(
                    number,
                    "开头行的校验码不符：文件被改动，或密钥（QF_AUDIT_KEY）不是导出时的 "
                    "(the start line's MAC does not hold: edited, or not the exporting key)",
                )
            start, previous = row, str(row["prev_hash"])
            links = row.get("links", {LEGACY_LANE: previous})
            if not isinstance(links, dict):
                return fail(number, "开头行的链接不可读 (the start line's links are unreadable)")
            lanes = {str(lane): str(link) for lane, link in links.items()}
            legacy_through = int(row.get("legacy_through") or 0)
            continue
        if kind == "end":
            mac = row.pop("mac", "")
            if not hmac.compare_digest(str(mac), _export_mac(row)):
                return fail(number, "结束行的校验码不符 (the end line's MAC does not hold)")
            if row.get("events") != checked or row.get("head") != previous:
                return fail(
                    number,
                    f"结束行记有 {row.get('events')} 条记录，文件中完好的有 {checked} 条：记录被删除"
                    f"或插入 (the end line names {row.get('events')} events, the file holds "
                    f"{checked}: lines deleted or inserted)",
                )
            if "heads" in row and row["heads"] != lanes:
                return fail(
                    number,
                    "结束行记的各通道末条哈希与文件不符：记录被删除或插入 "
                    "(the end line's lane heads differ from the file: lines deleted or inserted)",
                )
            ended = True
            continue
        if (
            kind != "event"
            or set(row) - {"lane"} != _EVENT_KEYS
            or not isinstance(row["id"], int)
            or ("lane" in row and (not isinstance(row["lane"], int) or row["lane"] < 1))
        ):
            return fail(number, "不是审计记录行 (not an audit event line)")
        if row["id"] <= last_id:
            return fail(number, f"记录 id={row['id']} 顺序不对 (event out of order)")
        payload = {k: v for k, v in row.items() if k not in ("kind", "id", "hash")}
        digest = legacy_hash if row["id"] <= legacy_through else compute_hash
        lane = _lane_key(row.get("lane"))
        if lane not in lanes:
            return fail(
                number,
                f"记录 id={row['id']} 所在通道 {lane} 在开头行中没有链接：此行系插入 "
                f"(the start line names no link for lane {lane}: the line was inserted)",
            )
        if row["prev_hash"] != lanes[lane]:
            return fail(
                number,
                f"记录 id={row['id']} 与上一行的链接断开：之前的行被删除、插入或调换 "
                "(the link to the line before is broken: a line deleted, inserted or moved)",
            )
        if digest(payload) != row["hash"]:
            return fail(
                number,
                f"记录 id={row['id']} 的内容与哈希不符，被修改过或系伪造 "
                "(the event does not match its hash: edited or forged)",
            )
        previous, last_id = row["hash"], row["id"]
        lanes[lane] = previous
        if last_id in anchors:
            anchored += 1
            if anchors[last_id] != previous:
                forged.append(last_id)
        checked += 1
    if start is None:
        return fail(max(number, 1), "文件是空的 (the file is empty)")
    if not ended:
        return fail(number + 1, "没有结束行：文件末尾被截掉 (no end line: the file was cut short)")
    if forged:
        return ExportReport(
            checked,
            f"记录与锚点的哈希不符，系重写或伪造 (events differ from their anchor: rewritten or "
            f"forged): id {', '.join(str(i) for i in forged[:10])}",
            from_id=start["from_id"],
            last_id=last_id,
            head=previous,
            anchored=anchored,
            forged=forged,
        )
    return ExportReport(
        checked, from_id=start["from_id"], last_id=last_id, head=previous, anchored=anchored
    )

"""The import itself: store the upload, check it, then write all of it or nothing."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from qingfeng.core.audit import record_audit
from qingfeng.core.models import AuditEvent
from qingfeng.core.progress import current
from qingfeng.core.tasks import optimize_database
from qingfeng.lib.xlsx import RowError, WorkbookError
from qingfeng.orgs import actions
from qingfeng.orgs.models import PERSON_TALLY, Person, RosterImport, User
from qingfeng.orgs.roster.checking import Plan, plan_import
from qingfeng.orgs.roster.columns import PEOPLE, UNITS
from qingfeng.orgs.roster.reading import SheetData, read_roster
from qingfeng.orgs.roster.workbooks import build_error_workbook

logger = logging.getLogger(__name__)

ERRORS_KEPT = 1000  # on the import row; the error workbook has all of them
# Up to this many person writes go through the per-row actions (one audit event each, with
# before/after). Past it they are bulk writes, audited by the import's one summary event: it
# names the import row (whose stored file holds exactly what was written), the ids created
# and, for each person updated, which fields changed.
PER_ROW_LIMIT = 200


class _Rejected(Exception):
    pass


@dataclass
class _Counts:
    units_created: int = 0
    units_updated: int = 0
    people_created: int = 0
    people_updated: int = 0
    updated_people: dict[int, list[str]] = field(default_factory=dict)
    created_range: tuple[int, int] | None = None  # ids of bulk-created people


def _write_units(plan: Plan, actor: User, counts: _Counts) -> None:
    moved = False  # after a move, cached paths below the moved unit are stale
    for p in plan.units:
        if p.existing is None:
            parent = plan.unit_by_code[p.parent_code or ""]
            if moved:
                parent.refresh_from_db(fields=["path", "depth"])
            plan.unit_by_code[p.code] = actions.do_create_unit(
                actor=actor, parent=parent, **p.fields
            )
            counts.units_created += 1
            continue
        if not p.changes:
            continue
        unit = p.existing
        if moved:
            unit.refresh_from_db()
        changes = {k: v for k, v in p.changes.items() if k != "parent"}
        if changes:
            actions.do_update_unit(unit, actor=actor, **changes)
        if "parent" in p.changes:
            new_parent = plan.unit_by_code[p.changes["parent"]]
            new_parent.refresh_from_db(fields=["path", "depth"])
            actions.check_move_unit(unit, actor=actor, new_parent=new_parent)
            moved = True
        counts.units_updated += 1


def _write_people(plan: Plan, actor: User, counts: _Counts) -> None:
    new = [p for p in plan.people if p.existing is None]
    changed = [p for p in plan.people if p.existing is not None and p.changes]
    counts.people_created, counts.people_updated = len(new), len(changed)
    units = plan.unit_by_code
    if len(new) + len(changed) <= PER_ROW_LIMIT:
        for p in new:
            actions.do_create_person(
                actor=actor, unit=units[p.unit_code], name=p.name, phone=p.phone, **p.fields
            )
        # The ids come from the scoped preload in Checker.match_people.
        found = Person.objects.in_bulk([p.existing.id for p in changed if p.existing])
        for p in changed:
            assert p.existing is not None
            changes = dict(p.changes)
            actions.do_update_person(
                found[p.existing.id], actor=actor, phone=changes.pop("phone", None), **changes
            )
        return
    now = timezone.now()
    created = Person.objects.bulk_create(
        [
            Person(
                unit=units[p.unit_code],
                name=p.name,
                phone=p.phone,
                phone_index=p.index,
                created_at=now,
                **{"position": "", "is_party_member": False, "is_active": True, **p.fields},
            )
            for p in new
        ],
        batch_size=1000,
    )
    if created and created[0].pk is not None:
        counts.created_range = (created[0].pk, created[-1].pk)
    # People who changed the same way (post type, party membership …) are one UPDATE each
    # 500 ids: a roster has few such groups, and bulk_update's CASE per row is far slower.
    groups: dict[tuple[tuple[str, Any], ...], list[int]] = defaultdict(list)
    for p in changed:
        assert p.existing is not None
        counts.updated_people[p.existing.id] = sorted(p.changes)
        if "phone" in p.changes:
            Person.objects.filter(pk=p.existing.id).update(
                phone=p.changes["phone"], phone_index=p.index
            )
        if same := tuple(sorted((k, v) for k, v in p.changes.items() if k != "phone")):
            groups[same].append(p.existing.id)
    for same, ids in groups.items():
        for start in range(0, len(ids), 500):
            Person.objects.filter(pk__in=ids[start : start + 500]).update(**dict(same))


@transaction.atomic
def do_receive_roster(upload: UploadedFile, *, actor: User) -> RosterImport:
    """Store the uploaded workbook before anything reads it: nothing submitted is lost."""
    record = RosterImport(uploaded_by=actor, original_name=(upload.name or "")[:255])
    record.file.save("roster.xlsx", upload, save=False)
    record.save()
    return record


def do_import_roster(record: RosterImport, *, actor: User) -> RosterImport:
    """Validate every row, then write all of it in one transaction, or nothing.

    Validation runs inside the write transaction, so the rows are checked against the same
    state they are written to. On errors the record gets the error list and an annotated
    workbook, and one audit event with outcome "failure".
    """
    progress = current()
    progress.step(0, None, _("读取工作簿"))
    with record.file.open("rb") as handle:
        data = handle.read()
    try:
        sheets, errors = read_roster(data)
    except WorkbookError as exc:
        return _reject(record, actor, [], [RowError("", 0, "", exc.message)])
    record.unit_rows = sum(len(s.records) for s in sheets if s.kind == UNITS)
    record.people_rows = sum(len(s.records) for s in sheets if s.kind == PEOPLE)
    if errors:
        return _reject(record, actor, sheets, errors)
    rows = record.unit_rows + record.people_rows
    progress.step(0, rows, _("校验并写入 %(n)d 行") % {"n": rows})
    try:
        with transaction.atomic(durable=True):
            plan, errors = plan_import(actor, sheets)
            if errors:
                raise _Rejected
            counts = _Counts()
            _write_units(plan, actor, counts)
            _write_people(plan, actor, counts)
            _finish(record, actor, counts)
            if counts_large(counts):
                # Fresh statistics, or SQLite plans the next queries as full scans.
                transaction.on_commit(lambda: optimize_database("orgs_person", "orgs_unit"))
                # The new counts into the subtree sums now, not at the next minute's fold
                # (exact either way: a reader adds what is not folded yet).
                transaction.on_commit(PERSON_TALLY.fold)
    except _Rejected:
        return _reject(record, actor, sheets, errors)
    except (IntegrityError, ValidationError) as exc:
        # Only a concurrent writer gets here, e.g. the same new code created a moment earlier
        # by someone else (PostgreSQL does not serialise the two imports).
        logger.warning("roster import %s failed: %s", record.pk, exc)
        message = _(
            "导入时数据发生冲突（可能有人同时修改了相同的单位），未写入任何数据，请重新上传"
        )
        if isinstance(exc, ValidationError):
            message += "：" + "；".join(exc.messages)
        return _reject(record, actor, [], [RowError("", 0, "", message)], failed=True)
    except Exception:
        # A bug: the record still says what happened, then the error goes up as usual.
        message = _("导入时发生系统错误，未写入任何数据，请联系管理员")
        _reject(record, actor, [], [RowError("", 0, "", message)], failed=True)
        raise
    return record


def counts_large(counts: _Counts) -> bool:
    return sum(v for v in vars(counts).values() if isinstance(v, int)) >= 1000


def _finish(record: RosterImport, actor: User, counts: _Counts) -> None:
    record.status = RosterImport.Status.IMPORTED
    record.finished_at = timezone.now()
    record.units_created, record.units_updated = counts.units_created, counts.units_updated
    record.people_created, record.people_updated = counts.people_created, counts.people_updated
    record.save()
    after: dict[str, Any] = {
        "file": record.original_name,
        "unit_rows": record.unit_rows,
        "people_rows": record.people_rows,
        "units_created": counts.units_created,
        "units_updated": counts.units_updated,
        "people_created": counts.people_created,
        "people_updated": counts.people_updated,
        "people_bulk": counts.people_created + counts.people_updated > PER_ROW_LIMIT,
    }
    if counts.created_range:
        after["created_people_ids"] = list(counts.created_range)
    if counts.updated_people:
        after["updated_people"] = {str(k): v for k, v in counts.updated_people.items()}
    record_audit(actor=actor, action="orgs.roster.import", obj=record, after=after)


def mark_import_failed(record: RosterImport, actor: User, reason: str) -> RosterImport:
    """An import whose work will not finish (its job failed): ended, with the reason."""
    return _reject(record, actor, [], [RowError("", 0, "", reason)], failed=True)


def _reject(
    record: RosterImport,
    actor: User,
    sheets: list[SheetData],
    errors: list[RowError],
    *,
    failed: bool = False,
) -> RosterImport:
    errors = sorted(errors, key=lambda e: (e.sheet != "单位", e.sheet, e.row))
    with transaction.atomic():
        record.status = RosterImport.Status.FAILED if failed else RosterImport.Status.REJECTED
        record.finished_at = timezone.now()
        record.error_count = len(errors)
        record.errors = [e.as_dict() for e in errors[:ERRORS_KEPT]]
        if sheets:
            content = ContentFile(build_error_workbook(sheets, errors))
            record.error_file.save("errors.xlsx", content, save=False)
        record.save()
        record_audit(
            actor=actor,
            action="orgs.roster.import",
            obj=record,
            outcome=AuditEvent.Outcome.FAILURE,
            after={"file": record.original_name, "errors": len(errors)},
        )
    return record


def imports_of(user: User) -> QuerySet[RosterImport]:
    return RosterImport.objects.filter(uploaded_by=user)


def get_import_for_user(user: User, pk: int) -> RosterImport:
    """An import is seen only by the person who uploaded it; anyone else gets a 404."""
    return get_object_or_404(imports_of(user), pk=pk)

"""The import itself: store the upload, check every row, then write all of it or nothing.

Checking reads only (the file, the names in scope, the problems it matches) and runs outside
any write transaction, so on SQLite nobody waits for it. The writing is short transactions:

- up to PER_ROW_LIMIT new rows: one transaction through the ledger's actions;
- more: batches of STAGE_BATCH rows, each in its own transaction with its audit event, under
  the status "staged-<import id>" that no page, list, count or export shows (models.STAGED);
  then one short transaction re-checks what may have changed since the check and gives every
  staged row its real status at once (one UPDATE) — or, on a conflict or any failure, the
  staged rows are removed and nothing of the import was ever seen;
- a confirmed re-import: its changed rows in the last transaction, after their values are
  read again and found as they were checked (a problem someone changed in the meantime is
  named, and nothing is written: never overwritten).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Max, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from qingfeng.core.audit import record_audit
from qingfeng.core.calendar import get_calendar
from qingfeng.core.models import AuditEvent, Notification
from qingfeng.core.progress import current
from qingfeng.core.scope import scope_q
from qingfeng.core.tasks import optimize_database
from qingfeng.ledger import actions
from qingfeng.ledger.deadlines import light_on
from qingfeng.ledger.excel.checking import RowPlan, check_ledger
from qingfeng.ledger.excel.matching import (
    Kind,
    RowMatch,
    _chunks,
    compared,
    match_rows,
    normalise_text,
)
from qingfeng.ledger.excel.reading import ParsedLedger, read_ledger_workbook
from qingfeng.ledger.excel.workbooks import build_error_workbook
from qingfeng.ledger.models import (
    PROBLEM_TALLY,
    Category,
    Feedback,
    LedgerImport,
    Measure,
    Problem,
    ProblemSubtreeTally,
    ProblemTally,
    Transition,
    staged_status,
)
from qingfeng.ledger.permissions import REGISTRARS, _roles
from qingfeng.lib.xlsx import RowError, WorkbookError
from qingfeng.orgs.models import Person, Unit, User

logger = logging.getLogger(__name__)

ERRORS_KEPT = 1000  # on the import row; the error workbook has all of them
# Up to this many rows go through the ledger's actions, one audit event per problem. Past it
# the rows are bulk writes (see _write_bulk), audited by the import's one summary event.
PER_ROW_LIMIT = 200
BATCH = 1000
# New rows per staging transaction: short enough that a public submission waiting for
# SQLite's write lock waits a fraction of a second, long enough to keep the import's pace.
STAGE_BATCH = 250


@dataclass
class ImportOutcome:
    """What an import did: the import row (stored file, status, counts), every error and
    warning, the annotated error workbook when rejected, and the ids of the new problems."""

    record: LedgerImport
    errors: list[RowError]
    warnings: list[RowError]
    error_workbook: bytes | None = None
    problem_ids: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.record.status == LedgerImport.Status.IMPORTED

    @property
    def preview(self) -> bool:
        """A re-import waiting for the user to confirm its rows (`do_apply_reimport`)."""
        return self.record.status == LedgerImport.Status.PREVIEW


class _Rejected(Exception):
    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors


class _AlreadyDone(ValidationError):
    """Another run finished this import first: its outcome stands, this one writes nothing."""


@transaction.atomic
def do_receive_ledger(upload: UploadedFile, *, actor: User, assign: bool = False) -> LedgerImport:
    """Store the uploaded workbook before anything reads it: nothing submitted is lost."""
    name = (upload.name or "ledger.xlsx")[:255]
    record = LedgerImport(uploaded_by=actor, original_name=name, assign=assign)
    record.file.save(name, upload, save=False)
    record.save()
    return record


def do_import_ledger(record: LedgerImport, *, actor: User, requirement: str = "") -> ImportOutcome:
    """Check every row, then create every problem, or none.

    The problems land as drafts, or — when the import was received with assign=True —
    assigned (交办) with the requirement notice (`requirement`, or the default wording).
    On errors the import row gets the error list and the error workbook. The check reads
    outside any write transaction; what it relied on is checked again when the rows become
    visible (`_changed_since`), so a problem registered meanwhile is never registered twice.

    When rows are problems already in the ledger (a ledger sent again), nothing is written:
    the import stops at a preview of new / changed / unchanged rows, and
    `do_apply_reimport` writes the rows the user confirms.
    """
    if record.status != LedgerImport.Status.RECEIVED:
        # A retried request must not create every problem a second time.
        raise ValidationError(_("该文件已经处理过，请重新上传"))
    parsed = _read(record, actor)
    if isinstance(parsed, ImportOutcome):
        return parsed
    record.row_count = parsed.row_count

    def work(warnings: list[RowError]) -> ImportOutcome:
        since = _Since.now()
        plans, errors, found = check_ledger(actor, parsed)
        warnings += found
        matches, unmatched = match_rows(actor, plans)
        if errors or unmatched:
            raise _Rejected(errors + unmatched)
        if any(m.kind != Kind.NEW for m in matches):
            with transaction.atomic(durable=True):
                _hold_for_preview(record, actor, matches, warnings, requirement)
            return ImportOutcome(record, [], warnings)
        current().step(0, len(plans), _("核对完成，正在写入"))
        new = _New(plans, record=record, actor=actor, requirement=requirement)
        new.stage()
        with transaction.atomic(durable=True):
            _lock_import(record, LedgerImport.Status.RECEIVED)
            conflicts = _changed_since(actor, plans, since)
            if conflicts:
                raise _Rejected(conflicts)
            ids = new.write()
            _finish(record, actor, ids, warnings, bulk=new.bulk)
        return ImportOutcome(record, [], warnings, None, ids)

    return _attempt(record, actor, parsed, work)


def do_apply_reimport(record: LedgerImport, *, actor: User, selected: set[str]) -> ImportOutcome:
    """Write the rows of a re-import preview that the user confirmed (keys of
    `record.preview["rows"]`): new rows are created, changed rows updated as
    check_reimport_problem updates one (one audit row each), all or none.

    The stored file is checked and matched again; each confirmed row must come out exactly
    as it was previewed (the same problem, the same values before and after), or nothing
    is written and the import is rejected, saying which rows changed in between. The changed
    problems are read once more in the transaction that writes them (a stamp of each row and
    its measures, taken before the match): one changed by someone while this ran is named
    the same way, and nothing is written.

    New rows are staged in short transactions and shown at once, as an import's are. Changed
    rows are visible rows: written over several transactions, the ledger would show half a
    confirmation while it ran and keep half of it after a conflict, so they are written in
    the one final transaction — but everything that is not a write (the checks, the new
    values, the lights, the audit payloads) is done before it, in batches with progress, and
    the transaction writes them in a few statements per few hundred rows (bulk updates and
    inserts, the audit events chained in memory): the write lock is held for statements,
    not for a round trip per row (ledger/tests/test_reimport_batches.py measures it).
    """
    if record.status != LedgerImport.Status.PREVIEW:
        raise ValidationError(_("该文件已经处理过，请重新上传"))
    stored = {e["key"]: e for e in record.preview.get("rows", [])}
    chosen = [k for k in stored if k in selected and stored[k]["kind"] in APPLIED]
    if not chosen:
        raise ValidationError(_("请至少勾选一行要新增或更新的问题"))
    parsed = _read(record, actor)
    if isinstance(parsed, ImportOutcome):
        return parsed
    requirement = record.preview.get("requirement", "")

    def work(warnings: list[RowError]) -> ImportOutcome:
        since = _Since.now()
        # The changed problems as they are before the match reads them: the writing
        # transaction finds any change made to them since by comparing these stamps.
        stamps = _stamps(
            [stored[k]["problem"] for k in chosen if stored[k]["kind"] == Kind.CHANGED]
        )
        plans, errors, found = check_ledger(actor, parsed)
        warnings += found
        matches, unmatched = match_rows(actor, plans)
        if errors or unmatched:
            raise _Rejected(errors + unmatched)
        now = {m.key: m for m in matches}
        stale = [_stale(stored[k]) for k in chosen if k not in now or _differs(now[k], stored[k])]
        if stale:
            raise _Rejected(stale)
        new = _New(
            [now[k].plan for k in chosen if now[k].kind == Kind.NEW],
            record=record,
            actor=actor,
            requirement=requirement,
        )
        changed = [now[k] for k in chosen if now[k].kind == Kind.CHANGED]
        current().step(0, len(chosen), _("核对完成，正在写入"))
        new.stage()
        updates = _prepare_updates(changed, record=record)
        # The one writing transaction: new rows shown (one UPDATE), changed rows written in
        # a few statements per few hundred rows — the checks and computing were done above.
        with transaction.atomic(durable=True):
            _lock_import(record, LedgerImport.Status.PREVIEW)
            conflicts = _changed_since(actor, new.plans, since) + _edited_since(
                actor, changed, stored, stamps
            )
            if conflicts:
                raise _Rejected(conflicts)
            ids = new.write()
            actions.write_reimports(updates, actor=actor)
            record.preview = {**record.preview, "applied": chosen}
            _finish(
                record,
                actor,
                ids,
                warnings,
                bulk=new.bulk,
                updated=[m.problem_id for m in changed if m.problem_id is not None],
            )
        return ImportOutcome(record, [], warnings, None, ids)

    return _attempt(record, actor, parsed, work)


APPLIED = {Kind.NEW, Kind.CHANGED}


def _differs(match: RowMatch, entry: dict[str, Any]) -> bool:
    return compared(match.as_dict()) != compared(entry)


def _stale(entry: dict[str, Any]) -> RowError:
    if entry["kind"] == Kind.NEW:
        message = _("本行的问题在预览之后已登记到台账，本次未写入任何数据，请重新上传核对")
    else:
        message = _("编号 %(n)s 的问题在预览之后已被修改，本次未写入任何数据，请重新上传核对") % {
            "n": entry.get("number", "")
        }
    return RowError(entry["sheet"], entry["row"], "", message)


def _prepare_updates(
    changed: list[RowMatch], *, record: LedgerImport
) -> list[actions.PreparedReimport]:
    """The changed rows checked and computed before the writing transaction (reads only, in
    batches with progress): what `write_reimports` then writes in a few statements."""
    prepared: list[actions.PreparedReimport] = []
    total = len(changed)
    for start in range(0, total, STAGE_BATCH):
        batch = changed[start : start + STAGE_BATCH]
        current().step(start, total, _("核对更新 %(n)d / %(t)d 个问题") % {"n": start, "t": total})
        problems = Problem.objects.select_related(
            "unit", "parent", "responsible_person__unit", "responsible_leader__unit"
        ).in_bulk([m.problem_id for m in batch])
        for match in batch:
            assert match.problem_id is not None
            item = actions.prepare_reimport(
                problems[match.problem_id],
                changes=match.updates,
                measures_added=match.measures_added,
                measures_raised=match.measures_raised,
                ledger_import=record.pk,
            )
            if item is not None:
                prepared.append(item)
    return prepared


def _stamps(problem_ids: list[int], *, lock: bool = False) -> dict[int, str]:
    """A digest of each problem's row and measures: equal stamps, nothing changed."""
    names = [f.attname for f in Problem._meta.concrete_fields]
    stamps: dict[int, str] = {}
    for chunk in _chunks(sorted(set(problem_ids))):
        rows = Problem.objects.filter(pk__in=chunk)
        if lock:
            rows = rows.select_for_update()
        measures: dict[int, list[tuple[Any, ...]]] = {}
        for problem_id, *measure in (
            Measure.objects.filter(problem_id__in=chunk)
            .order_by("id")
            .values_list("problem_id", "id", "text", "status", "sort_order")
        ):
            measures.setdefault(problem_id, []).append(tuple(measure))
        for pk, *values in rows.values_list("pk", *names):
            text = repr((values, measures.get(pk, [])))
            stamps[pk] = hashlib.sha256(text.encode()).hexdigest()
    return stamps


def _read(record: LedgerImport, actor: User) -> ParsedLedger | ImportOutcome:
    current().step(0, None, _("读取工作簿"))
    with record.file.open("rb") as handle:
        data = handle.read()
    try:
        return read_ledger_workbook(data, record.original_name)
    except WorkbookError as exc:
        return _reject(record, actor, None, [RowError("", 0, "", exc.message)], [])


def _lock_import(record: LedgerImport, status: str) -> None:
    """In the writing transaction: the import row is still where the check left it (a second
    run of the same job, or a confirmation sent twice, writes nothing), and no other problem
    is registered until it commits."""
    stored = LedgerImport.objects.select_for_update().filter(pk=record.pk, status=status)
    if not stored.exists():
        raise _AlreadyDone(_("该文件已经处理过，请重新上传"))
    # What is re-checked next (nothing registered since the check) holds until the commit.
    actions.hold_registration_lock()


@dataclass(frozen=True)
class _Since:
    """Where the ledger stood when the check began: what was registered after it is looked
    at again before anything is shown."""

    last_id: int

    @classmethod
    def now(cls) -> _Since:
        return cls(Problem.with_staged.aggregate(m=Max("id"))["m"] or 0)


def _changed_since(actor: User, plans: list[RowPlan], since: _Since) -> list[RowError]:
    """New rows whose check no longer holds when they are written: the same problem (its
    unit and description) registered since the check, by anyone; or a unit, person or
    category the row names switched off, or left the importer's scope, since."""
    if not plans:
        return []
    errors: list[RowError] = []
    units = {p.fields["unit_id"] for p in plans}
    registered = {
        (unit_id, normalise_text(text))
        for chunk in _chunks(sorted(units))
        for unit_id, text in Problem.objects.filter(
            pk__gt=since.last_id, unit_id__in=chunk
        ).values_list("unit_id", "description")
    }
    named_units = units | {u for p in plans for u in p.cooperating}
    people = {
        pk
        for p in plans
        for pk in (p.fields.get("responsible_leader_id"), p.fields.get("responsible_person_id"))
        if pk is not None
    }
    roles = _roles(REGISTRARS)
    in_scope = _present(
        Unit.objects.filter(scope_q(actor, "path", roles=roles), is_active=True), named_units
    )
    cooperating_ok = _present(Unit.objects.filter(is_active=True), named_units)
    people_ok = _present(
        Person.objects.filter(scope_q(actor, "unit__path", roles=roles), is_active=True), people
    )
    categories_ok = _present(
        Category.objects.filter(is_active=True), {p.fields["category_id"] for p in plans}
    )
    for plan in plans:
        fields = plan.fields
        if (fields["unit_id"], normalise_text(fields.get("description", ""))) in registered:
            message = _(
                "本行的问题在核对之后已由他人登记到台账，本次未写入任何数据，请重新上传核对"
            )
        elif fields["unit_id"] not in in_scope or not set(plan.cooperating) <= cooperating_ok:
            message = _("本行的单位在核对之后已停用或不在您的管辖范围内，本次未写入任何数据")
        elif (
            {
                fields.get("responsible_leader_id"),
                fields.get("responsible_person_id"),
            }
            - {None}
            - people_ok
        ):
            message = _("本行的责任领导或责任人在核对之后已调离或停用，本次未写入任何数据")
        elif fields["category_id"] not in categories_ok:
            message = _("本行的问题类别在核对之后已停用，本次未写入任何数据")
        else:
            continue
        errors.append(RowError(plan.sheet, plan.row, "", message))
    return errors


def _present(rows: QuerySet[Any], ids: set[int]) -> set[int]:
    return {
        pk
        for chunk in _chunks(sorted(ids))
        for pk in rows.filter(pk__in=chunk).values_list("pk", flat=True)
    }


def _edited_since(
    actor: User,
    changed: list[RowMatch],
    stored: dict[str, dict[str, Any]],
    stamps: dict[int, str],
) -> list[RowError]:
    """Changed rows whose problem is no longer as it was when it was matched (read again, and
    locked, in the writing transaction: its row and measures against the stamp taken before
    the match), or that name a person who has since left or been switched off."""
    if not changed:
        return []
    now = _stamps([m.problem_id for m in changed if m.problem_id is not None], lock=True)
    people = {
        pk
        for m in changed
        for name in ("responsible_person_id", "responsible_leader_id")
        if (pk := m.updates.get(name)) is not None
    }
    people_ok = _present(
        Person.objects.filter(
            scope_q(actor, "unit__path", roles=_roles(REGISTRARS)), is_active=True
        ),
        people,
    )
    errors = []
    for m in changed:
        named = {m.updates.get("responsible_person_id"), m.updates.get("responsible_leader_id")}
        if m.problem_id is None or now.get(m.problem_id) != stamps.get(m.problem_id):
            errors.append(_stale(stored[m.key]))
        elif named - {None} - people_ok:
            message = _("本行的责任领导或责任人在核对之后已调离或停用，本次未写入任何数据")
            errors.append(RowError(m.plan.sheet, m.plan.row, "", message))
    return errors


def _attempt(
    record: LedgerImport,
    actor: User,
    parsed: ParsedLedger,
    work: Callable[[list[RowError]], ImportOutcome],
) -> ImportOutcome:
    """Run `work` (which writes in transactions of its own): what it returns, or the import
    rejected with nothing of it left in the ledger (a row error, a conflict, a system error:
    rows it staged are removed)."""
    warnings: list[RowError] = []
    try:
        return work(warnings)
    except _AlreadyDone:
        raise  # the import row says what the run that finished it did
    except _Rejected as exc:
        unstage(record)
        return _reject(record, actor, parsed, exc.errors, warnings)
    except (IntegrityError, ValidationError) as exc:
        # A concurrent change between the check and the write (a person left, a category
        # was switched off), or a rule the check does not know: nothing was written.
        logger.warning("ledger import %s failed: %s", record.pk, exc)
        unstage(record)
        message = _("导入时数据发生冲突，未写入任何数据，请重新上传")
        if isinstance(exc, ValidationError):
            message += "：" + "；".join(exc.messages)
        return _reject(record, actor, None, [RowError("", 0, "", message)], warnings, failed=True)
    except Exception:
        unstage(record)
        message = _("导入时发生系统错误，未写入任何数据，请联系管理员")
        _reject(record, actor, None, [RowError("", 0, "", message)], warnings, failed=True)
        raise


class _New:
    """The new rows of an import: a few written through the ledger's actions in the last
    transaction; many staged in batches first (`stage`), then shown at once (`write`)."""

    def __init__(
        self, plans: list[RowPlan], *, record: LedgerImport, actor: User, requirement: str
    ) -> None:
        self.plans = plans
        self.record = record
        self.actor = actor
        self.requirement = requirement
        self.bulk = len(plans) > PER_ROW_LIMIT
        self.ids: list[int] = []
        self.notices: list[Notification] = []

    def stage(self) -> None:
        """Many rows: written in batches, each in its own short transaction with its audit
        event, under the import's staged status (seen by no one)."""
        if not self.bulk:
            return
        total = len(self.plans)
        status = staged_status(self.record.pk)
        for start in range(0, total, STAGE_BATCH):
            batch = self.plans[start : start + STAGE_BATCH]
            current().step(start, total, _("写入 %(n)d / %(t)d 个问题") % {"n": start, "t": total})
            with transaction.atomic(durable=True):
                ids, notices = _write_bulk(
                    batch,
                    actor=self.actor,
                    assign=self.record.assign,
                    requirement=self.requirement,
                    staged=status,
                )
                record_audit(
                    actor=self.actor,
                    action="ledger.problem.import.stage",
                    obj=self.record,
                    after={
                        "rows": [batch[0].row, batch[-1].row],
                        "problem_ids": [min(ids), max(ids)],
                        "staged": len(ids),
                    },
                )
            self.ids += ids
            self.notices += notices

    def write(self) -> list[int]:
        """In the last transaction: the staged rows shown with their real status in one
        statement (and their notices sent), or the few rows written through the actions."""
        if not self.plans:
            return []
        if not self.bulk:
            return _write_each(
                self.plans,
                actor=self.actor,
                assign=self.record.assign,
                requirement=self.requirement,
            )
        status = staged_status(self.record.pk)
        final = Problem.Status.ASSIGNED if self.record.assign else Problem.Status.DRAFT
        shown = Problem.with_staged.filter(status=status).update(status=final)
        if shown != len(self.ids):
            raise RuntimeError(f"import {self.record.pk}: {shown} of {len(self.ids)} rows shown")
        _forget_staged_counts(status)
        Notification.objects.bulk_create(self.notices, batch_size=BATCH)
        # Fresh statistics, or SQLite plans the next ledger queries as full scans.
        transaction.on_commit(
            lambda: optimize_database(
                "ledger_problem", "ledger_measure", "ledger_transition", "ledger_problemtally"
            )
        )
        return self.ids


def _forget_staged_counts(status: str) -> None:
    """The kept counts of a staged status, spent (its rows shown or removed): folded into the
    subtree sums first (which brings those to zero too), then deleted."""
    PROBLEM_TALLY.fold()
    ProblemTally.objects.filter(status=status, n=0, folded=0).delete()
    ProblemSubtreeTally.objects.filter(status=status, n=0).delete()


def unstage(record: LedgerImport) -> int:
    """Remove the rows an import staged and did not show (it failed, or its worker died):
    in short transactions, the measures, links and events with them. Nobody saw them."""
    return unstage_status(staged_status(record.pk))


def unstage_status(status: str) -> int:
    """Remove every row staged under `status` (see `unstage`)."""
    removed = 0
    through = Problem.cooperating_units.through
    while True:
        # Not durable: the job sweep ends a dead job's work inside its own transaction.
        with transaction.atomic():
            ids = list(
                Problem.with_staged.filter(status=status).values_list("pk", flat=True)[:STAGE_BATCH]
            )
            if not ids:
                _forget_staged_counts(status)
                return removed
            for model in (Feedback, Transition, Measure, through):
                model.objects.filter(problem_id__in=ids).delete()
            Problem.with_staged.filter(pk__in=ids).delete()
            removed += len(ids)


def _hold_for_preview(
    record: LedgerImport,
    actor: User,
    matches: list[RowMatch],
    warnings: list[RowError],
    requirement: str,
) -> None:
    record.status = LedgerImport.Status.PREVIEW
    record.preview = {"requirement": requirement, "rows": [m.as_dict() for m in matches]}
    record.warnings = [w.as_dict() for w in warnings[:ERRORS_KEPT]]
    record.save()
    record_audit(
        actor=actor,
        action="ledger.problem.import.preview",
        obj=record,
        after={"file": record.original_name, "rows": record.row_count, **preview_counts(record)},
    )


def preview_counts(record: LedgerImport) -> dict[str, int]:
    """Rows of a re-import preview by kind: new, changed, unchanged, not_updated."""
    counts = dict.fromkeys((Kind.NEW, Kind.CHANGED, Kind.UNCHANGED, Kind.NOT_UPDATED), 0)
    for entry in record.preview.get("rows", []):
        counts[entry["kind"]] += 1
    return counts


def import_ledger(
    upload: UploadedFile, *, actor: User, assign: bool = False, requirement: str = ""
) -> ImportOutcome:
    """Store the upload (committed on its own), then import it: what the upload page calls."""
    record = do_receive_ledger(upload, actor=actor, assign=assign)
    return do_import_ledger(record, actor=actor, requirement=requirement)


def _write_each(plans: list[RowPlan], *, actor: User, assign: bool, requirement: str) -> list[int]:
    """A few rows: through the ledger's own actions, one audit event per problem."""
    unit_ids = {p.fields["unit_id"] for p in plans} | {u for p in plans for u in p.cooperating}
    units = Unit.objects.in_bulk(unit_ids)
    person_ids = {
        p.fields[k] for p in plans for k in ("responsible_leader_id", "responsible_person_id")
    } - {None}
    people = Person.objects.select_related("unit", "user").in_bulk(person_ids)
    categories = Category.objects.in_bulk({p.fields["category_id"] for p in plans})
    ids: list[int] = []
    for plan in plans:
        fields = dict(plan.fields)
        unit = units[fields.pop("unit_id")]
        fields["category"] = categories[fields.pop("category_id")]
        for name in ("responsible_leader", "responsible_person"):
            pk = fields.pop(f"{name}_id")
            fields[name] = people[pk] if pk is not None else None
        problem = actions.check_create_problem(
            actor=actor,
            unit=unit,
            measures=plan.measures,
            cooperating=[units[u] for u in plan.cooperating],
            **fields,
        )
        if plan.measure_status != Measure.Status.TODO:
            # 完成情况 of the office's ledger, in the same transaction as the create's audit.
            problem.measures.update(status=plan.measure_status)
        if assign:
            actions.check_assign(problem, actor=actor, requirement=requirement)
        ids.append(problem.pk)
    return ids


def _requirement_text(problem: Problem) -> str:
    # The same wording as actions.check_assign (a test compares the two paths).
    if problem.deadline is not None:
        return _("请按要求于 %(deadline)s 前完成整改：%(title)s") % {
            "deadline": problem.deadline.isoformat(),
            "title": problem.title,
        }
    return _("本问题须长期坚持整改，请定期报送进展：%(title)s") % {"title": problem.title}


def _write_bulk(
    plans: list[RowPlan], *, actor: User, assign: bool, requirement: str, staged: str
) -> tuple[list[int], list[Notification]]:
    """Many rows at once, staged: the same rows check_create_problem (and, with assign,
    check_assign) would write, in a few statements per thousand rows, under the status
    `staged` until `_New.write` gives them theirs; the assignment notices are returned, to be
    sent when the rows are shown. Keep the two in step:

    - numbers 年份-轮次-清单-序号 from consecutive serials taken under the serial lock:
      actions._next_serial takes PostgreSQL's advisory lock, held to the end of this
      transaction (SQLite write transactions are serialised anyway), so no concurrent create
      can take the same serials;
    - light keys through Problem.set_light; measures, cooperating units, and a Transition
      "create" row for each problem;
    - with assign: the deadline fixed from today (N working days; 立行立改 without a date,
      one working day), assigned_at, the light, a Transition "assign", the requirement
      notice (Feedback) and a notification to the responsible person's account;
    - validation (full_clean, the people rules) is what Checker did for every row.

    Instead of one audit event per problem, each batch writes one event naming the import
    row (whose stored file holds exactly what was written) and the ids it staged, and the
    import one summary event when they are shown.
    """
    now, today = timezone.now(), timezone.localdate()
    first_serial = actions._next_serial()
    calendar = get_calendar()
    lights: dict[date | None, str] = {}
    problems: list[Problem] = []
    notices: list[Notification] = []
    for i, plan in enumerate(plans):
        problem = Problem(created_by=actor, created_at=now, updated_at=now, **plan.fields)
        problem.serial = first_serial + i
        code = actions.LIST_CODES[problem.list_kind]
        problem.number = f"{today.year}-{problem.round_no:02d}-{code}-{problem.serial:06d}"
        problem.set_light("")
        if assign:
            problem.status = Problem.Status.ASSIGNED
            if problem.deadline_workdays is not None:
                problem.deadline = calendar.add_workdays(today, problem.deadline_workdays)
            if (
                problem.rectification_type == Problem.RectificationType.IMMEDIATE
                and problem.deadline is None
            ):
                problem.deadline = calendar.add_workdays(today, 1)
            problem.assigned_at = now
            if problem.deadline not in lights:
                lights[problem.deadline] = light_on(
                    problem.deadline,
                    problem.status,
                    today,
                    yellow_days=settings.QF_LEDGER_YELLOW_DAYS,
                )
            problem.set_light(lights[problem.deadline])
        problem.status = staged  # the transitions below say what it becomes
        problems.append(problem)
    Problem.objects.bulk_create(problems, batch_size=BATCH)
    if any(p.pk is None for p in problems):  # every supported database returns the ids
        raise RuntimeError("bulk_create returned no ids")
    through = Problem.cooperating_units.through
    through.objects.bulk_create(
        (
            through(problem_id=p.pk, unit_id=u)
            for p, plan in zip(problems, plans, strict=True)
            for u in plan.cooperating
        ),
        batch_size=BATCH,
    )
    Measure.objects.bulk_create(
        (
            Measure(problem_id=p.pk, text=text, sort_order=i, status=plan.measure_status)
            for p, plan in zip(problems, plans, strict=True)
            for i, text in enumerate(plan.measures)
        ),
        batch_size=BATCH,
    )
    transitions = [
        Transition(
            problem_id=p.pk,
            action="create",
            to_status=Problem.Status.DRAFT,
            actor=actor,
            created_at=now,
        )
        for p in problems
    ]
    if assign:
        transitions += [
            Transition(
                problem_id=p.pk,
                action="assign",
                from_status=Problem.Status.DRAFT,
                to_status=Problem.Status.ASSIGNED,
                actor=actor,
                created_at=now,
            )
            for p in problems
        ]
    Transition.objects.bulk_create(transitions, batch_size=BATCH)
    if assign:
        texts = [requirement.strip() or _requirement_text(p) for p in problems]
        Feedback.objects.bulk_create(
            (
                Feedback(
                    problem_id=p.pk,
                    kind=Feedback.Kind.REQUIREMENT,
                    text=text,
                    recipient_id=p.responsible_person_id,
                    created_by=actor,
                    created_at=now,
                )
                for p, text in zip(problems, texts, strict=True)
            ),
            batch_size=BATCH,
        )
        notices = [
            Notification(
                recipient_id=plan.user_id,
                title=(_("新交办问题：%(n)s") % {"n": p.number})[:200],
                body=text,
                link=f"/ledger/{p.pk}/",
                created_at=now,
            )
            for p, plan, text in zip(problems, plans, texts, strict=True)
            if plan.user_id is not None
        ]
    return [p.pk for p in problems], notices


def _finish(
    record: LedgerImport,
    actor: User,
    ids: list[int],
    warnings: list[RowError],
    *,
    bulk: bool,
    updated: list[int] | None = None,
) -> None:
    record.status = LedgerImport.Status.IMPORTED
    record.finished_at = timezone.now()
    record.created_count = len(ids)
    record.updated_count = len(updated or [])
    record.first_problem_id = min(ids) if ids else None
    record.last_problem_id = max(ids) if ids else None
    record.warnings = [w.as_dict() for w in warnings[:ERRORS_KEPT]]
    record.save()
    after: dict[str, Any] = {
        "file": record.original_name,
        "rows": record.row_count,
        "created": len(ids),
        "updated": len(updated or []),
        "assign": record.assign,
        "bulk": bulk,
        "warnings": len(warnings),
    }
    if ids:
        after["problem_ids"] = [min(ids), max(ids)]
    record_audit(actor=actor, action="ledger.problem.import", obj=record, after=after)


def mark_import_failed(record: LedgerImport, actor: User, reason: str) -> ImportOutcome:
    """An import whose work will not finish (its job failed): ended, with the reason."""
    return _reject(record, actor, None, [RowError("", 0, "", reason)], [], failed=True)


def _reject(
    record: LedgerImport,
    actor: User,
    parsed: ParsedLedger | None,
    errors: list[RowError],
    warnings: list[RowError],
    *,
    failed: bool = False,
) -> ImportOutcome:
    order = {s.title: i for i, s in enumerate(parsed.sheets)} if parsed else {}
    errors = sorted(errors, key=lambda e: (order.get(e.sheet, -1), e.row))
    workbook = build_error_workbook(parsed, errors, warnings) if parsed is not None else None
    with transaction.atomic():
        record.status = LedgerImport.Status.FAILED if failed else LedgerImport.Status.REJECTED
        record.finished_at = timezone.now()
        record.error_count = len(errors)
        record.errors = [e.as_dict() for e in errors[:ERRORS_KEPT]]
        record.warnings = [w.as_dict() for w in warnings[:ERRORS_KEPT]]
        if workbook is not None:
            record.error_file.save("errors.xlsx", ContentFile(workbook), save=False)
        record.save()
        record_audit(
            actor=actor,
            action="ledger.problem.import",
            obj=record,
            outcome=AuditEvent.Outcome.FAILURE,
            after={"file": record.original_name, "errors": len(errors)},
        )
    return ImportOutcome(record, errors, warnings, workbook)


def ledger_imports_of(user: User) -> QuerySet[LedgerImport]:
    return LedgerImport.objects.filter(uploaded_by=user)


def get_ledger_import_for_user(user: User, pk: int) -> LedgerImport:
    """An import is seen only by the person who uploaded it; anyone else gets a 404."""
    return get_object_or_404(ledger_imports_of(user), pk=pk)

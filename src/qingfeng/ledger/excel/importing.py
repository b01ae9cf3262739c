"""The import itself: store the upload, check every row, then write all of it or nothing."""

from __future__ import annotations

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
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from qingfeng.core.audit import record_audit
from qingfeng.core.calendar import get_calendar
from qingfeng.core.models import AuditEvent, Notification
from qingfeng.core.progress import current
from qingfeng.core.tasks import optimize_database
from qingfeng.ledger import actions
from qingfeng.ledger.deadlines import light_on
from qingfeng.ledger.excel.checking import RowPlan, check_ledger
from qingfeng.ledger.excel.matching import Kind, RowMatch, compared, match_rows
from qingfeng.ledger.excel.reading import ParsedLedger, read_ledger_workbook
from qingfeng.ledger.excel.workbooks import build_error_workbook
from qingfeng.ledger.models import (
    Category,
    Feedback,
    LedgerImport,
    Measure,
    Problem,
    Transition,
)
from qingfeng.lib.xlsx import RowError, WorkbookError
from qingfeng.orgs.models import Person, Unit, User

logger = logging.getLogger(__name__)

ERRORS_KEPT = 1000  # on the import row; the error workbook has all of them
# Up to this many rows go through the ledger's actions, one audit event per problem. Past it
# the rows are bulk writes (see _write_bulk), audited by the import's one summary event.
PER_ROW_LIMIT = 200
BATCH = 1000


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


@transaction.atomic
def do_receive_ledger(upload: UploadedFile, *, actor: User, assign: bool = False) -> LedgerImport:
    """Store the uploaded workbook before anything reads it: nothing submitted is lost."""
    name = (upload.name or "ledger.xlsx")[:255]
    record = LedgerImport(uploaded_by=actor, original_name=name, assign=assign)
    record.file.save(name, upload, save=False)
    record.save()
    return record


def do_import_ledger(record: LedgerImport, *, actor: User, requirement: str = "") -> ImportOutcome:
    """Check every row, then create every problem in one transaction, or none.

    The problems land as drafts, or — when the import was received with assign=True —
    assigned (交办) with the requirement notice (`requirement`, or the default wording).
    Checking runs inside the write transaction, so rows are checked against the state they
    are written to. On errors the import row gets the error list and the error workbook.

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
        plans, errors, found = check_ledger(actor, parsed)
        warnings += found
        matches, unmatched = match_rows(actor, plans)
        if errors or unmatched:
            raise _Rejected(errors + unmatched)
        if any(m.kind != Kind.NEW for m in matches):
            _hold_for_preview(record, actor, matches, warnings, requirement)
            return ImportOutcome(record, [], warnings)
        ids = _create(plans, record=record, actor=actor, requirement=requirement)
        _finish(record, actor, ids, warnings, bulk=len(plans) > PER_ROW_LIMIT)
        return ImportOutcome(record, [], warnings, None, ids)

    return _attempt(record, actor, parsed, work)


def do_apply_reimport(record: LedgerImport, *, actor: User, selected: set[str]) -> ImportOutcome:
    """Write the rows of a re-import preview that the user confirmed (keys of
    `record.preview["rows"]`): new rows are created, changed rows updated through
    check_reimport_problem (one audit row each), all in one transaction or none.

    The stored file is checked and matched again; each confirmed row must come out exactly
    as it was previewed (the same problem, the same values before and after), or nothing
    is written and the import is rejected, saying which rows changed in between.
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
        plans, errors, found = check_ledger(actor, parsed)
        warnings += found
        matches, unmatched = match_rows(actor, plans, lock=True)
        if errors or unmatched:
            raise _Rejected(errors + unmatched)
        now = {m.key: m for m in matches}
        stale = [
            _stale(stored[k])
            for k in chosen
            if k not in now or compared(now[k].as_dict()) != compared(stored[k])
        ]
        if stale:
            raise _Rejected(stale)
        new = [now[k].plan for k in chosen if now[k].kind == Kind.NEW]
        changed = [now[k] for k in chosen if now[k].kind == Kind.CHANGED]
        ids = _create(new, record=record, actor=actor, requirement=requirement)
        problems = Problem.objects.select_related(
            "unit", "parent", "responsible_person__unit", "responsible_leader__unit"
        ).in_bulk([m.problem_id for m in changed])
        for match in changed:
            assert match.problem_id is not None
            actions.check_reimport_problem(
                problems[match.problem_id],
                actor=actor,
                changes=match.updates,
                measures_added=match.measures_added,
                measures_raised=match.measures_raised,
                ledger_import=record.pk,
            )
        record.preview = {**record.preview, "applied": chosen}
        _finish(
            record,
            actor,
            ids,
            warnings,
            bulk=len(new) > PER_ROW_LIMIT,
            updated=[m.problem_id for m in changed if m.problem_id is not None],
        )
        return ImportOutcome(record, [], warnings, None, ids)

    return _attempt(record, actor, parsed, work)


APPLIED = {Kind.NEW, Kind.CHANGED}


def _stale(entry: dict[str, Any]) -> RowError:
    if entry["kind"] == Kind.NEW:
        message = _("本行的问题在预览之后已登记到台账，本次未写入任何数据，请重新上传核对")
    else:
        message = _("编号 %(n)s 的问题在预览之后已被修改，本次未写入任何数据，请重新上传核对") % {
            "n": entry.get("number", "")
        }
    return RowError(entry["sheet"], entry["row"], "", message)


def _read(record: LedgerImport, actor: User) -> ParsedLedger | ImportOutcome:
    current().step(0, None, _("读取工作簿"))
    with record.file.open("rb") as handle:
        data = handle.read()
    try:
        return read_ledger_workbook(data, record.original_name)
    except WorkbookError as exc:
        return _reject(record, actor, None, [RowError("", 0, "", exc.message)], [])


def _attempt(
    record: LedgerImport,
    actor: User,
    parsed: ParsedLedger,
    work: Callable[[list[RowError]], ImportOutcome],
) -> ImportOutcome:
    """Run `work` in one durable transaction: what it returns, or the import rejected with
    nothing written (a row error, a conflict, a system error)."""
    warnings: list[RowError] = []
    try:
        with transaction.atomic(durable=True):
            return work(warnings)
    except _Rejected as exc:
        return _reject(record, actor, parsed, exc.errors, warnings)
    except (IntegrityError, ValidationError) as exc:
        # A concurrent change between the check and the write (a person left, a category
        # was switched off), or a rule the check does not know: nothing was written.
        logger.warning("ledger import %s failed: %s", record.pk, exc)
        message = _("导入时数据发生冲突，未写入任何数据，请重新上传")
        if isinstance(exc, ValidationError):
            message += "：" + "；".join(exc.messages)
        return _reject(record, actor, None, [RowError("", 0, "", message)], warnings, failed=True)
    except Exception:
        message = _("导入时发生系统错误，未写入任何数据，请联系管理员")
        _reject(record, actor, None, [RowError("", 0, "", message)], warnings, failed=True)
        raise


def _create(
    plans: list[RowPlan], *, record: LedgerImport, actor: User, requirement: str
) -> list[int]:
    if not plans:
        return []
    current().step(len(plans), len(plans), _("写入 %(n)d 个问题") % {"n": len(plans)})
    if len(plans) <= PER_ROW_LIMIT:
        return _write_each(plans, actor=actor, assign=record.assign, requirement=requirement)
    ids = _write_bulk(plans, actor=actor, assign=record.assign, requirement=requirement)
    # Fresh statistics, or SQLite plans the next ledger queries as full scans.
    transaction.on_commit(
        lambda: optimize_database(
            "ledger_problem", "ledger_measure", "ledger_transition", "ledger_problemtally"
        )
    )
    return ids


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


def _write_bulk(plans: list[RowPlan], *, actor: User, assign: bool, requirement: str) -> list[int]:
    """Many rows at once: the same rows check_create_problem (and, with assign, check_assign)
    would write, in a few statements per thousand rows. Keep the two in step:

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

    Instead of one audit event per problem, the import writes one summary event that names
    the import row (whose stored file holds exactly what was written) and the ids created.
    """
    now, today = timezone.now(), timezone.localdate()
    first_serial = actions._next_serial()
    calendar = get_calendar()
    lights: dict[date | None, str] = {}
    problems: list[Problem] = []
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
        Notification.objects.bulk_create(
            (
                Notification(
                    recipient_id=plan.user_id,
                    title=(_("新交办问题：%(n)s") % {"n": p.number})[:200],
                    body=text,
                    link=f"/ledger/{p.pk}/",
                    created_at=now,
                )
                for p, plan, text in zip(problems, plans, texts, strict=True)
                if plan.user_id is not None
            ),
            batch_size=BATCH,
        )
    return [p.pk for p in problems]


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

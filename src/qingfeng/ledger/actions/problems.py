"""Every change to a problem: one function each, in one transaction, with its decision row
and its audit event. Side effects (notifications) are rows written in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qingfeng.core import locks, registry
from qingfeng.core.actions import notify
from qingfeng.core.attachments import MB, AttachmentRules, file_digest
from qingfeng.core.audit import record_audit, record_audits
from qingfeng.core.calendar import get_calendar
from qingfeng.ledger import workflow
from qingfeng.ledger.deadlines import light_on
from qingfeng.ledger.models import (
    DeadlineChange,
    Evidence,
    Feedback,
    Measure,
    OfflinePublication,
    Problem,
    ProgressReport,
    Verification,
)
from qingfeng.ledger.workflow import WORKFLOW
from qingfeng.lib import filetypes as ft
from qingfeng.lib.redact import Audience, redact
from qingfeng.orgs.models import Person, Unit, User
from qingfeng.orgs.selectors import roster_names

LIST_CODES: dict[str, str] = {
    Problem.ListKind.LEADERSHIP: "LD",
    Problem.ListKind.DEPARTMENT_RISK: "KS",
    Problem.ListKind.PERSONAL: "GR",
}
PUBLIC_SOURCES = {Problem.Source.CHANNEL, Problem.Source.HOTLINE}
EDITABLE = (
    "title",
    "description",
    "cause",
    "goal",
    "category",
    "dimension",
    "responsible_leader",
    "responsible_person",
    "rectification_type",
    "deadline",
    "deadline_workdays",
    "rules_adopted",
    "accountability",
    "remarks",
    "weight",
)


def hold_registration_lock() -> None:
    """Until the transaction ends, no other problem is registered (core/locks.py)."""
    locks.hold_for_transaction("ledger.problem.serial")


def _next_serial() -> int:
    hold_registration_lock()
    # Rows an import is still writing hold their serials already.
    return (Problem.with_staged.aggregate(m=Max("serial"))["m"] or 0) + 1


def _validate_people(problem: Problem) -> None:
    for field, label in (
        ("responsible_person", _("责任人")),
        ("responsible_leader", _("责任领导")),
    ):
        person: Person | None = getattr(problem, field)
        if (
            person is not None
            and not person.unit.is_within(problem.unit)
            and not problem.unit.is_within(person.unit)
        ):
            raise ValidationError(
                {field: _("%(label)s须是责任单位或其上级单位的人员") % {"label": label}}
            )
    open_ended = {Problem.RectificationType.LONG_TERM, Problem.RectificationType.IMMEDIATE}
    if (
        problem.deadline is None
        and problem.deadline_workdays is None
        and problem.rectification_type not in open_ended
    ):
        raise ValidationError({"deadline": _("请填写整改时限（日期或工作日天数）")})
    if problem.parent is not None and problem.parent.list_kind == Problem.ListKind.PERSONAL:
        raise ValidationError({"parent": _("个人整改清单的问题下不能再挂问题")})


@transaction.atomic
def check_create_problem(
    *,
    actor: User | None,
    unit: Unit,
    measures: Sequence[str] = (),
    cooperating: Sequence[Unit] = (),
    **fields: Any,
) -> Problem:
    """Register a problem as a draft with its measures; numbering is 年份-轮次-清单-序号."""
    problem = Problem(unit=unit, created_by=actor, **fields)
    problem.serial = _next_serial()
    year = timezone.localdate().year
    problem.number = (
        f"{year}-{problem.round_no:02d}-{LIST_CODES[problem.list_kind]}-{problem.serial:06d}"
    )
    problem.full_clean(exclude=["number", "serial"])
    _validate_people(problem)
    problem.set_light("")
    problem.save()
    problem.cooperating_units.set(cooperating)
    texts = [m.strip() for m in measures if m.strip()]
    Measure.objects.bulk_create(
        Measure(problem=problem, text=t, sort_order=i) for i, t in enumerate(texts)
    )
    WORKFLOW.record_event(problem, "create", actor=actor, to_status=problem.status)
    record_audit(
        actor=actor, action="ledger.problem.create", obj=problem, after=workflow.snapshot(problem)
    )
    return problem


def deadline_change(
    problem: Problem, old: date | None, *, actor: User | None, reason: str
) -> DeadlineChange | None:
    """Inside an action that has just set `problem.deadline`: the change as a history row, not
    yet saved, and the problem's mark that its deadline changed (saved with it by the
    caller). None when the date is the same, or for a draft: a deadline is first fixed when
    the problem is assigned (交办), and no figure reads a draft's. A past period's figures read
    the deadline then in force from these rows (ledger/figures.py)."""
    if problem.deadline == old or problem.status == Problem.Status.DRAFT:
        return None
    now = timezone.now()
    problem.deadline_changed_at = now
    return DeadlineChange(
        problem=problem,
        old=old,
        new=problem.deadline,
        reason=reason.strip()[:200],
        changed_by=actor,
        changed_at=now,
    )


def record_deadline_change(
    problem: Problem, old: date | None, *, actor: User | None, reason: str
) -> None:
    """deadline_change, saved."""
    change = deadline_change(problem, old, actor=actor, reason=reason)
    if change is not None:
        change.save()


@transaction.atomic
def check_update_problem(
    problem: Problem, *, actor: User, deadline_reason: str = "", **changes: Any
) -> Problem:
    """Edit a problem. Moving the deadline of a problem already registered (延期 or an
    earlier date) needs a reason, kept in its deadline history and the audit row."""
    if problem.status in {Problem.Status.CLOSED, Problem.Status.WITHDRAWN}:
        raise ValidationError(_("已销号或已撤回的问题不能修改"))
    before = {k: str(getattr(problem, k)) for k in changes}
    old_deadline = problem.deadline
    for name, value in changes.items():
        if name not in EDITABLE:
            raise ValueError(f"not an editable problem field: {name}")
        setattr(problem, name, value)
    moved = problem.deadline != old_deadline
    reason = deadline_reason.strip()
    if moved and problem.status != Problem.Status.DRAFT and not reason:
        raise ValidationError({"deadline_reason": _("变更整改时限须说明理由")})
    problem.full_clean()
    _validate_people(problem)
    record_deadline_change(problem, old_deadline, actor=actor, reason=reason)
    problem.updated_at = timezone.now()
    problem.set_light(light_for(problem, timezone.localdate()))
    problem.save()
    after = {k: str(getattr(problem, k)) for k in changes}
    if moved and reason:
        after["deadline_reason"] = reason
    record_audit(
        actor=actor, action="ledger.problem.update", obj=problem, before=before, after=after
    )
    return problem


# What a re-imported ledger row may change (ledger/excel/matching.py says why these).
REIMPORTABLE = frozenset(
    {
        "progress",
        "rectification_type",
        "deadline",
        "deadline_workdays",
        "responsible_person_id",
        "responsible_leader_id",
        "cause",
        "goal",
        "rules_adopted",
        "accountability",
        "remarks",
    }
)
REIMPORT_LOCKED = {
    Problem.Status.CLOSED,
    Problem.Status.WITHDRAWN,
    Problem.Status.CLOSURE_REQUESTED,
    Problem.Status.STAGE_COMPLETED,
}


@transaction.atomic
def check_reimport_problem(
    problem: Problem,
    *,
    actor: User,
    changes: dict[str, Any],
    measures_added: Sequence[tuple[str, str]] = (),
    measures_raised: dict[int, str] | None = None,
    ledger_import: int,
) -> Problem:
    """Apply what a confirmed row of a re-imported ledger changes: fields of REIMPORTABLE,
    measures added, measures moved forward (never back). The status is never changed, and a
    problem closed, withdrawn or under verification is refused."""
    WORKFLOW.lock(problem)
    prepared = prepare_reimport(
        problem,
        changes=changes,
        measures_added=measures_added,
        measures_raised=measures_raised,
        ledger_import=ledger_import,
    )
    if prepared is not None:
        write_reimports([prepared], actor=actor)
    return problem


@dataclass
class PreparedReimport:
    """One problem's re-import, checked and computed, not yet written: the problem with its
    new values (validated, its light set), the measures to add and to move forward, and the
    audit event's before and after."""

    problem: Problem
    fields: list[str]
    before: dict[str, Any]
    after: dict[str, Any]
    raised: dict[int, str]
    added: list[Measure]
    deadline_change: DeadlineChange | None = None


def prepare_reimport(
    problem: Problem,
    *,
    changes: dict[str, Any],
    measures_added: Sequence[tuple[str, str]] = (),
    measures_raised: dict[int, str] | None = None,
    ledger_import: int,
) -> PreparedReimport | None:
    """Everything of check_reimport_problem but the writes: the checks (ValidationError) and
    what to write; None for a row that changes nothing. Reads only, so a large confirmation
    prepares its rows before it takes the write lock (ledger/excel/importing.py)."""
    if problem.status in REIMPORT_LOCKED:
        raise ValidationError(
            _("问题 %(n)s 当前为“%(s)s”，重新导入不能修改")
            % {"n": problem.number, "s": problem.get_status_display()}
        )
    if unknown := set(changes) - REIMPORTABLE:
        raise ValueError(f"not re-importable: {sorted(unknown)}")
    raised = measures_raised or {}
    if not changes and not measures_added and not raised:
        return None  # an unchanged row writes nothing
    before = {k: _plain(getattr(problem, k)) for k in changes}
    old_deadline = problem.deadline
    for name, value in changes.items():
        setattr(problem, name, value)
    problem.full_clean()
    _validate_people(problem)
    moved = deadline_change(
        problem,
        old_deadline,
        actor=None,  # the confirming user, set when it is written (write_reimports)
        reason=_("重新导入台账（导入批次 %(n)s）") % {"n": ledger_import},
    )
    problem.updated_at = timezone.now()
    problem.set_light(light_for(problem, timezone.localdate()))
    start = (problem.measures.aggregate(m=Max("sort_order"))["m"] or -1) + 1
    added = [
        Measure(problem=problem, text=text, status=status, sort_order=start + i)
        for i, (text, status) in enumerate(measures_added)
    ]
    after: dict[str, Any] = {k: _plain(getattr(problem, k)) for k in changes}
    after["import"] = ledger_import
    if raised:
        after["measures_raised"] = {str(pk): status for pk, status in sorted(raised.items())}
    if measures_added:
        after["measures_added"] = [text for text, _status in measures_added]
    fields = [*changes, "updated_at", "light", "urgency", "due_key"]
    if moved is not None:
        fields.append("deadline_changed_at")
    return PreparedReimport(problem, fields, before, after, dict(raised), added, moved)


def write_reimports(prepared: Sequence[PreparedReimport], *, actor: User) -> None:
    """Write prepared re-imports in a few statements per batch — the problems' new values,
    the measures moved forward and added, the parents' progress, one audit event each — in
    the caller's transaction."""
    if not prepared:
        return
    by_fields: dict[tuple[str, ...], list[Problem]] = {}
    for item in prepared:
        by_fields.setdefault(tuple(sorted(item.fields)), []).append(item.problem)
    for fields, problems in by_fields.items():
        Problem.objects.bulk_update(problems, fields, batch_size=200)
    raised: dict[str, list[int]] = {}
    for item in prepared:
        for pk, status in item.raised.items():
            raised.setdefault(status, []).append(pk)
    owners = [item.problem.pk for item in prepared]
    for status, pks in raised.items():
        for start in range(0, len(pks), 500):
            Measure.objects.filter(pk__in=pks[start : start + 500], problem_id__in=owners).update(
                status=status
            )
    Measure.objects.bulk_create([m for item in prepared for m in item.added], batch_size=500)
    moved = [item.deadline_change for item in prepared if item.deadline_change is not None]
    for change in moved:
        change.changed_by = actor
    DeadlineChange.objects.bulk_create(moved, batch_size=500)
    parents: dict[int, Problem] = {}
    for item in prepared:
        if "progress" in item.fields and item.problem.parent_id is not None:
            parents.setdefault(item.problem.parent_id, item.problem)
    for child in parents.values():
        roll_up(child)
    record_audits(
        actor=actor,
        action="ledger.problem.reimport",
        changes=((item.problem, item.before, item.after) for item in prepared),
    )


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


@transaction.atomic
def check_assign(problem: Problem, *, actor: User, requirement: str = "") -> Problem:
    """交办: fix the deadline, notify the responsible party and record the requirement notice
    (the first half of 双反馈)."""
    with WORKFLOW.move(problem, "assign", actor=actor):
        today = timezone.localdate()
        if problem.deadline_workdays is not None:
            problem.deadline = get_calendar().add_workdays(today, problem.deadline_workdays)
        if (
            problem.rectification_type == Problem.RectificationType.IMMEDIATE
            and problem.deadline is None
        ):
            problem.deadline = get_calendar().add_workdays(today, 1)
        problem.assigned_at = timezone.now()
        problem.set_light(light_for(problem, today))
    if problem.deadline is not None:
        default = _("请按要求于 %(deadline)s 前完成整改：%(title)s") % {
            "deadline": problem.deadline.isoformat(),
            "title": problem.title,
        }
    else:
        default = _("本问题须长期坚持整改，请定期报送进展：%(title)s") % {"title": problem.title}
    text = requirement.strip() or default
    Feedback.objects.create(
        problem=problem,
        kind=Feedback.Kind.REQUIREMENT,
        text=text,
        recipient=problem.responsible_person,
        created_by=actor,
    )
    for user in responsible_users(problem):
        notify(
            recipient=user,
            title=_("新交办问题：%(n)s") % {"n": problem.number},
            body=text,
            link=f"/ledger/{problem.pk}/",
        )
    return problem


def responsible_users(problem: Problem) -> list[User]:
    users: list[User] = []
    if problem.responsible_person is not None and problem.responsible_person.user is not None:
        users.append(problem.responsible_person.user)
    return users


@transaction.atomic
def do_accept(problem: Problem, *, actor: User) -> Problem:
    return WORKFLOW.apply(problem, "accept", actor=actor)


# What a unit may give as evidence. It comes from the responsible unit's own staff, not from
# a reporter to protect, so it is kept as uploaded.
EVIDENCE = AttachmentRules(
    types=(ft.JPEG, ft.PNG, ft.PDF, ft.DOCX, ft.XLSX),
    max_bytes=20 * MB,
    unsupported=gettext_lazy("不支持的文件类型：%(name)s（可上传 JPG、PNG、PDF、DOCX、XLSX）"),
    scrub=False,
)


@transaction.atomic
def check_report_progress(
    problem: Problem,
    *,
    actor: User,
    progress: int,
    text: str,
    files: Sequence[tuple[UploadedFile, str]] = (),
    measures_done: Sequence[int] = (),
) -> ProgressReport:
    """A progress report with evidence and the measures now done; the first report starts
    the rectification."""
    WORKFLOW.lock(problem)
    if problem.status not in {Problem.Status.ACCEPTED, Problem.Status.RECTIFYING}:
        raise workflow.InvalidTransition(problem.status, "start")
    if not 0 <= progress <= 100:
        raise ValidationError(_("进度须在 0 到 100 之间"))
    if not text.strip():
        raise ValidationError(_("请填写进展情况"))
    checked = [(upload, phase, EVIDENCE.check(upload)) for upload, phase in files]
    returned = _returned_evidence(problem)
    for upload, phase, _type in checked:
        if phase == Evidence.Phase.AFTER and file_digest(upload) in returned:
            raise ValidationError(
                _("文件 %(name)s 与退回重改前提交的佐证相同，请上传反映新的整改情况的佐证")
                % {"name": upload.name}
            )
    if problem.status == Problem.Status.ACCEPTED:  # its audit row is this action's
        WORKFLOW.apply(problem, "start", actor=actor, audit=False)
    report = ProgressReport.objects.create(
        problem=problem, reporter=actor, progress=progress, text=text.strip()
    )
    for upload, phase, content_type in checked:
        _store_evidence(
            problem,
            report=report,
            upload=upload,
            phase=phase,
            content_type=content_type,
            actor=actor,
        )
    done = set(measures_done)
    problem.measures.filter(pk__in=done).update(status=Measure.Status.DONE)
    problem.measures.exclude(pk__in=done).filter(status=Measure.Status.TODO).update(
        status=Measure.Status.DOING
    )
    problem.progress = progress
    problem.updated_at = timezone.now()
    problem.save(update_fields=["status", "progress", "updated_at"])
    roll_up(problem)
    record_audit(
        actor=actor,
        action="ledger.problem.progress",
        obj=problem,
        after={"progress": progress, "files": len(checked), "measures_done": sorted(done)},
    )
    return report


def _store_evidence(
    problem: Problem,
    *,
    report: ProgressReport | None,
    upload: UploadedFile,
    phase: str,
    content_type: str,
    actor: User,
) -> Evidence:
    evidence = Evidence(problem=problem, report=report, phase=phase, uploaded_by=actor)
    EVIDENCE.attach(evidence, upload, content_type=content_type)
    evidence.save()
    return evidence


def _returned_evidence(problem: Problem) -> set[str]:
    """The digests of the after-rectification evidence a verifier had before them when they
    last returned the problem (退回重改): sending the same files again shows nothing new."""
    returned = (
        problem.verifications.filter(outcome=Verification.Outcome.RETURNED)
        .order_by("-created_at", "-id")
        .values_list("created_at", flat=True)
        .first()
    )
    if returned is None:
        return set()
    return set(
        problem.evidence.filter(phase=Evidence.Phase.AFTER, uploaded_at__lt=returned).values_list(
            "sha256", flat=True
        )
    )


def roll_up(problem: Problem) -> None:
    """A parent's progress is the weighted mean of its children's."""
    parent = problem.parent
    while parent is not None:
        children = list(
            parent.children.exclude(status=Problem.Status.WITHDRAWN).values_list(
                "progress", "weight"
            )
        )
        total = sum(w for _p, w in children) or 1
        parent.progress = round(sum(p * w for p, w in children) / total)
        parent.save(update_fields=["progress"])
        parent = parent.parent


@transaction.atomic
def check_request_closure(problem: Problem, *, actor: User, text: str) -> Problem:
    workflow.target_of(problem, "request_closure")  # an illegal move says so first
    if not text.strip():
        raise ValidationError(_("请填写整改完成情况"))
    after = problem.evidence.filter(phase=Evidence.Phase.AFTER, withdrawn_at__isnull=True)
    if not after.exists():
        # No closure on paper (数字整改): something must show the fix.
        raise ValidationError(_("申请销号前请上传整改后的佐证材料"))
    returned = _returned_evidence(problem)
    if returned and not after.exclude(sha256__in=returned).exists():
        raise ValidationError(_("退回重改后再次申请销号，须上传新的整改后佐证材料"))
    if n := open_measures(problem):
        raise ValidationError(
            _("尚有 %(n)s 项整改措施未完成：请在“报送进展”中勾选已完成的措施后再申请销号")
            % {"n": n}
        )
    with WORKFLOW.move(problem, "request_closure", actor=actor, reason=text.strip()):
        problem.progress = (
            100
            if problem.rectification_type != Problem.RectificationType.LONG_TERM
            else problem.progress
        )
    roll_up(problem)
    return problem


def separation_of_duties(problem: Problem, verifier: User) -> None:
    person = getattr(verifier, "person", None)
    if problem.responsible_person is not None and problem.responsible_person.user_id == verifier.pk:
        raise ValidationError(_("整改责任人不能审核自己的销号申请"))
    if person is not None and person.unit.is_within(problem.unit):
        raise ValidationError(_("责任单位的人员不能审核本单位的销号申请"))


def open_measures(problem: Problem) -> int:
    """How many of the problem's measures are not done yet; a long-term item (长期坚持) is
    judged by stage instead, so none of its measures hold its closure."""
    if problem.rectification_type == Problem.RectificationType.LONG_TERM:
        return 0
    return problem.measures.exclude(status=Measure.Status.DONE).count()


def feedback_gate(problem: Problem) -> None:
    """双反馈: a problem from a public source closes only after the reporter was answered and
    its progress was made public: published on /progress/ by the bureau
    (check_set_disclosure), or published offline and approved by the bureau
    (check_decide_offline_publication). A note typed as public progress shows nobody
    anything."""
    if problem.source not in PUBLIC_SOURCES:
        return
    kinds = set(problem.feedback.values_list("kind", flat=True))
    # A problem made from a source's records (tickets, findings…): the reporters were answered
    # when the source says so; otherwise the answer recorded on the problem counts.
    answers = [
        answer
        for source in registry.problem_sources()
        if (answer := source.reporters_answered(problem)) is not None
    ]
    answered = all(answers) if answers else Feedback.Kind.REPORTER_ANSWER in kinds
    if not answered:
        raise ValidationError(_("来自群众反映的问题，须先答复反映人才能销号"))
    if not publicly_fed_back(problem):
        raise ValidationError(
            _(
                "来自群众反映的问题，须先在“整改进度公开”页面公开整改进度"
                "（或登记线下公开并经局审核认可）才能销号"
            )
        )


def publicly_fed_back(problem: Problem) -> bool:
    """The public half of 双反馈: published on /progress/, or an offline publication (公示栏,
    校务公开, 家长会通报 …) that a bureau role approved (actions/publications.py)."""
    return (
        problem.disclosure == Problem.Disclosure.PUBLISHED
        or problem.offline_publications.filter(status=OfflinePublication.Status.APPROVED).exists()
    )


@transaction.atomic
def check_verify(problem: Problem, *, verifier: User, outcome: str, comment: str) -> Verification:
    """销号审核: approve (close), return for redo, or mark a long-term item stage-completed."""
    # The state first: verifying an item that awaits no verification is an illegal move.
    moves = {"approved": "close", "returned": "return", "stage_approved": "complete_stage"}
    workflow.target_of(problem, moves.get(outcome, "close"))
    if not comment.strip():
        raise ValidationError(_("请填写审核意见"))
    separation_of_duties(problem, verifier)
    if outcome not in moves:
        raise ValidationError(_("未知的审核结论"))
    if outcome == Verification.Outcome.APPROVED:
        # The request checked them, but a long-term item may have been reclassified since (or
        # asked before the rule): the unit ticks them in a progress report after a return.
        if n := open_measures(problem):
            raise ValidationError(
                _(
                    "尚有 %(n)s 项整改措施未完成，不能销号："
                    "请退回重改，由责任单位在“报送进展”中勾选已完成的措施"
                )
                % {"n": n}
            )
        feedback_gate(problem)
    if (
        outcome == Verification.Outcome.STAGE_APPROVED
        and problem.rectification_type != Problem.RectificationType.LONG_TERM
    ):
        raise ValidationError(_("只有“长期坚持”类问题可以标记为阶段性完成"))
    audit = f"ledger.problem.verify.{outcome}"
    with WORKFLOW.move(problem, moves[outcome], actor=verifier, reason=comment, audit=audit):
        if outcome == Verification.Outcome.APPROVED:
            problem.closed_at = timezone.now()
        problem.set_light(light_for(problem, timezone.localdate()))  # none once it is done
    verification = Verification.objects.create(
        problem=problem, decided_by=verifier, outcome=outcome, comment=comment.strip()
    )
    for user in responsible_users(problem):
        notify(
            recipient=user,
            title=_("销号审核结果：%(n)s %(o)s")
            % {"n": problem.number, "o": verification.get_outcome_display()},
            body=comment,
            link=f"/ledger/{problem.pk}/",
        )
    return verification


@transaction.atomic
def check_withdraw(problem: Problem, *, actor: User, reason: str) -> Problem:
    if not reason.strip():
        raise ValidationError(_("撤回须填写原因"))
    with WORKFLOW.move(problem, "withdraw", actor=actor, reason=reason.strip()) as step:
        problem.set_light("")
        step.note["reason"] = reason
    return problem


@transaction.atomic
def check_add_feedback(problem: Problem, *, actor: User, kind: str, text: str) -> Feedback:
    if not text.strip():
        raise ValidationError(_("请填写反馈内容"))
    if kind == Feedback.Kind.PUBLIC_PROGRESS:
        text = redact(text, audience=Audience.PUBLIC, roster=roster_names(problem.unit))
    entry = Feedback.objects.create(problem=problem, kind=kind, text=text.strip(), created_by=actor)
    record_audit(actor=actor, action=f"ledger.feedback.{kind}", obj=problem)
    return entry


def light_for(problem: Problem, today: date) -> str:
    """Green / yellow (due within QF_LEDGER_YELLOW_DAYS working days) / red (overdue); none
    when the problem is not being worked on or has no deadline."""
    return light_on(
        problem.deadline, problem.status, today, yellow_days=settings.QF_LEDGER_YELLOW_DAYS
    )


@transaction.atomic
def check_set_disclosure(
    problem: Problem,
    *,
    actor: User,
    public_text: str,
    publish: bool,
    keep_names: Sequence[str] = (),
) -> Problem:
    """A bureau role reviews the redacted text and publishes it on /progress/ (or withdraws it).

    The text is redacted again on save for the public (lib.redact): a reviewer's edit cannot
    put a phone number or a name back, except the names the reviewer confirms in
    `keep_names`; the responsible person's own names stay hidden even then.
    """
    names = [
        p.name for p in (problem.responsible_person, problem.responsible_leader) if p is not None
    ]
    keep = [n.strip() for n in keep_names if n.strip() and n.strip() not in names]
    text = redact(
        public_text.strip(),
        names=names,
        audience=Audience.PUBLIC,
        roster=roster_names(problem.unit),
        keep=keep,
    )
    if publish and not text:
        raise ValidationError(_("公开内容不能为空"))
    before = {"disclosure": problem.disclosure}
    problem.public_text = text
    problem.disclosure = Problem.Disclosure.PUBLISHED if publish else Problem.Disclosure.PENDING
    problem.save(update_fields=["public_text", "disclosure"])
    if publish:
        # Publishing is the public half of 双反馈 for this problem.
        Feedback.objects.create(
            problem=problem, kind=Feedback.Kind.PUBLIC_PROGRESS, text=text, created_by=actor
        )
    record_audit(
        actor=actor,
        action="ledger.problem.disclose",
        obj=problem,
        before=before,
        after={"disclosure": problem.disclosure, "kept_names": len(keep)},
    )
    return problem

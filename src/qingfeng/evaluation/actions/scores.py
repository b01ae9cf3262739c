"""Third-party scores and the discipline-inspection review of a unit in a round: a later
entry supersedes the earlier one (kept, never deleted); every entry audited. The discipline
comment goes into the audit row only as "changed", never as text.

The assessor's workbook (`check_import_scores`) is stored, read and checked as a whole; the
campaign office confirms it (`check_confirm_scores`), which enters every score or none."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qingfeng.core.attachments import MB, AttachmentRules
from qingfeng.core.audit import record_audit
from qingfeng.evaluation import excel, scheme
from qingfeng.evaluation.models import (
    DisciplineReview,
    Round,
    ScoreEvidence,
    ScoreImport,
    ThirdPartyScore,
)
from qingfeng.evaluation.permissions import can, enters
from qingfeng.lib import filetypes as ft
from qingfeng.lib.xlsx import RowError, WorkbookError
from qingfeng.orgs.models import Unit, User

ERRORS_KEPT = 500  # on the import row; the error workbook has all of them

# The files behind a score: photos of what was seen, the checklist, a record. Photos lose
# their GPS position, device and time, documents their author, before they are stored.
EVIDENCE = AttachmentRules(
    types=(ft.JPEG, ft.PNG, ft.PDF, ft.DOCX, ft.XLSX),
    max_bytes=20 * MB,
    unsupported=gettext_lazy("不支持的文件类型：%(name)s（可上传 JPG、PNG、PDF、DOCX、XLSX）"),
    scrub=True,
)
MAX_FILES = 6


def _check_files(files: Sequence[UploadedFile]) -> list[tuple[UploadedFile, str]]:
    """Every file checked (type by content, size) before anything is written."""
    if len(files) > MAX_FILES:
        raise ValidationError({"evidence": _("每次最多上传 %(n)d 个佐证文件") % {"n": MAX_FILES}})
    try:
        return [(upload, EVIDENCE.check(upload)) for upload in files]
    except ValidationError as exc:
        raise ValidationError({"evidence": exc.messages}) from None


def _store_files(
    entry: ThirdPartyScore | DisciplineReview,
    checked: list[tuple[UploadedFile, str]],
    *,
    actor: User,
) -> list[ScoreEvidence]:
    stored = []
    for upload, content_type in checked:
        if isinstance(entry, ThirdPartyScore):
            row = ScoreEvidence(kind=ScoreEvidence.Kind.THIRD_PARTY, third_party=entry)
        else:
            row = ScoreEvidence(kind=ScoreEvidence.Kind.DISCIPLINE, discipline=entry)
        row.round_id, row.unit_id, row.uploaded_by = entry.round_id, entry.unit_id, actor
        EVIDENCE.attach(row, upload, content_type=content_type)
        row.save()
        stored.append(row)
    return stored


def _entry_open(round_: Round, unit: Unit) -> None:
    if round_.status == Round.Status.DRAFT or round_.published_at is not None:
        raise ValidationError(_("评议开始后、结果发布前才能录入评分"))
    if not round_.covered.filter(unit=unit).exists():
        raise ValidationError(_("该单位不在本轮评议范围内"))


@transaction.atomic
def check_enter_third_party(
    round_: Round,
    *,
    actor: User,
    unit: Unit,
    indicator: str,
    score: str | Decimal,
    comment: str = "",
    evidence: Sequence[UploadedFile] = (),
) -> ThirdPartyScore:
    _entry_open(round_, unit)
    checked = _check_files(evidence)
    indicator = indicator.strip()
    if not indicator:
        raise ValidationError({"indicator": _("请填写评估指标")})
    try:
        value = Decimal(
            str(score).strip().translate(str.maketrans("０１２３４５６７８９．", "0123456789."))
        )
    except InvalidOperation:
        raise ValidationError({"score": _("得分须是 0 到 100 之间的数")}) from None
    if not Decimal(0) <= value <= Decimal(100):
        raise ValidationError({"score": _("得分须是 0 到 100 之间的数")})
    indicators = scheme.load(round_.indicators)
    if indicators:
        found = scheme.find(indicators, indicator)
        if found is None:
            raise ValidationError(
                {"indicator": _("本轮指标体系中没有“%(i)s”指标") % {"i": indicator}}
            )
        indicator = found.name
        too_high = scheme.over_max(found, value)
        if too_high:
            raise ValidationError({"score": too_high})
    ThirdPartyScore.objects.filter(
        round=round_, unit=unit, indicator=indicator, superseded=False
    ).update(superseded=True)
    entry = ThirdPartyScore.objects.create(
        round=round_,
        unit=unit,
        indicator=indicator,
        score=value.quantize(Decimal("0.01")),
        comment=comment.strip(),
        entered_by=actor,
    )
    stored = _store_files(entry, checked, actor=actor)
    record_audit(
        actor=actor,
        action="evaluation.third_party.enter",
        obj=entry,
        unit=unit,
        after={
            "indicator": indicator,
            "score": str(entry.score),
            "evidence": [{"name": e.original_name, "sha256": e.sha256} for e in stored],
        },
    )
    return entry


@transaction.atomic
def check_enter_discipline(
    round_: Round,
    *,
    actor: User,
    unit: Unit,
    rating: str,
    comment: str = "",
    veto: bool = False,
    evidence: Sequence[UploadedFile] = (),
) -> DisciplineReview:
    _entry_open(round_, unit)
    checked = _check_files(evidence)
    if rating not in DisciplineReview.Rating.values:
        raise ValidationError({"rating": _("请选择评鉴等次")})
    if veto and not comment.strip():
        raise ValidationError({"comment": _("一票否决须写明理由")})
    DisciplineReview.objects.filter(round=round_, unit=unit, superseded=False).update(
        superseded=True
    )
    entry = DisciplineReview.objects.create(
        round=round_,
        unit=unit,
        rating=rating,
        comment=comment.strip(),
        veto=veto,
        entered_by=actor,
    )
    stored = _store_files(entry, checked, actor=actor)
    record_audit(
        actor=actor,
        action="evaluation.discipline.enter",
        obj=entry,
        unit=unit,
        after={
            "rating": rating,
            "veto": veto,
            "comment": "(保密)" if comment.strip() else "",
            # Names may say what was found: confidential as the comment; the digests prove
            # which files were given.
            "evidence": [{"sha256": e.sha256} for e in stored],
        },
    )
    return entry


# -- the assessor's workbook --


def _match_units(
    round_: Round, actor: User, parsed: excel.ParsedScores
) -> tuple[list[dict[str, Any]], list[RowError]]:
    """Each entry's unit (by code, else by name) among the round's units in the assessor's
    scope; one score per unit and indicator."""
    errors = list(parsed.errors)
    units = [ru.unit for ru in round_.covered.select_related("unit")]
    by_code = {u.code: u for u in units if u.code}
    by_name: dict[str, list[Unit]] = {}
    for covered in units:
        by_name.setdefault(excel.unit_key(covered.name), []).append(covered)
    rows: list[dict[str, Any]] = []
    seen: dict[tuple[int, str], int] = {}
    indicators = scheme.load(round_.indicators)
    unknown: set[tuple[str, str]] = set()  # (sheet, indicator) already reported
    unit: Unit | None
    for e in parsed.entries:
        indicator = e.indicator
        if indicators:
            found = scheme.find(indicators, e.indicator)
            if found is None:
                if (e.sheet, e.indicator) not in unknown:
                    unknown.add((e.sheet, e.indicator))
                    errors.append(
                        RowError(
                            e.sheet,
                            e.row,
                            e.column,
                            _("本轮指标体系（第 %(v)d 版）中没有“%(i)s”指标，请用本轮的评分表模板")
                            % {"v": round_.scheme_version, "i": e.indicator},
                        )
                    )
                continue
            indicator = found.name
            too_high = scheme.over_max(found, e.score)
            if too_high:
                errors.append(RowError(e.sheet, e.row, e.column, too_high))
                continue
        if e.code_text:
            unit = by_code.get(e.code_text)
            if unit is None:
                errors.append(
                    RowError(
                        e.sheet,
                        e.row,
                        "单位代码",
                        _("本轮评议没有单位代码为“%(c)s”的单位") % {"c": e.code_text},
                    )
                )
                continue
        else:
            named = by_name.get(excel.unit_key(e.unit_text), [])
            if len(named) != 1:
                message = (
                    _("本轮评议中有多个名为“%(u)s”的单位，请填写单位代码")
                    if named
                    else _("本轮评议没有名为“%(u)s”的单位，请核对单位全称")
                )
                errors.append(RowError(e.sheet, e.row, "单位名称", message % {"u": e.unit_text}))
                continue
            unit = named[0]
        if not enters(actor, "enter_third_party", unit):
            errors.append(
                RowError(
                    e.sheet, e.row, "单位名称", _("“%(u)s”不在您的评估范围内") % {"u": unit.name}
                )
            )
            continue
        first = seen.setdefault((unit.pk, indicator), e.row)
        if first != e.row:
            errors.append(
                RowError(
                    e.sheet,
                    e.row,
                    e.column,
                    _("“%(u)s”的“%(i)s”在第%(r)d行已有分数")
                    % {"u": unit.name, "i": indicator, "r": first},
                )
            )
            continue
        rows.append(
            {
                "sheet": e.sheet,
                "row": e.row,
                "unit_id": unit.pk,
                "unit": unit.name,
                "indicator": indicator,
                "score": str(e.score),
                "comment": e.comment,
            }
        )
    return rows, errors


def _reject(record: ScoreImport, parsed: excel.ParsedScores | None, errors: list[RowError]) -> None:
    record.status = ScoreImport.Status.REJECTED
    record.errors = [e.as_dict() for e in errors[:ERRORS_KEPT]]
    record.error_count = len(errors)
    record.error_file.save(
        "errors.xlsx", ContentFile(excel.error_workbook(parsed, errors)), save=False
    )
    record.rows = []


def check_import_scores(round_: Round, upload: UploadedFile, *, actor: User) -> ScoreImport:
    """The assessor's workbook: stored first (its own transaction, so nothing sent is lost),
    then read and checked as a whole. Every row right: the import waits for the campaign
    office's confirmation (nothing is scored yet). Any row wrong: rejected, with an error
    workbook that marks every wrong cell; nothing is scored."""
    if not (can(actor, "enter_third_party", round_)):
        raise ValidationError(_("评议开始后、结果发布前才能录入评分"))
    with transaction.atomic():
        name = (upload.name or "scores.xlsx")[:255]
        record = ScoreImport(round=round_, uploaded_by=actor, original_name=name)
        record.file.save(name, upload, save=False)
        record.save()
    with record.file.open("rb") as handle:
        data = handle.read()
    with transaction.atomic():
        parsed: excel.ParsedScores | None = None
        try:
            parsed = excel.read_scores(data, name)
        except WorkbookError as exc:
            _reject(record, None, [RowError("", 0, "", exc.message)])
        else:
            rows, errors = _match_units(round_, actor, parsed)
            if errors:
                _reject(record, parsed, errors)
            else:
                record.status, record.rows = ScoreImport.Status.PENDING, rows
        record.save()
        record_audit(
            actor=actor,
            action="evaluation.third_party.import",
            obj=record,
            unit=round_.owner,
            after={
                "status": record.status,
                "scores": len(record.rows),
                "errors": record.error_count,
            },
        )
    return record


@transaction.atomic
def do_record_evidence_download(evidence: ScoreEvidence, *, actor: User) -> None:
    """Who opened a score's evidence, and when (a discipline file is confidential)."""
    record_audit(
        actor=actor,
        action="evaluation.evidence.download",
        obj=evidence,
        unit=evidence.unit,
        after={"kind": evidence.kind, "sha256": evidence.sha256},
        object_repr=f"{evidence.get_kind_display()} #{evidence.pk}",
    )


@transaction.atomic
def check_confirm_scores(record: ScoreImport, *, actor: User) -> ScoreImport:
    """The campaign office confirms an import: every score it holds is entered (a later
    entry supersedes, as by hand), all or none; confirming twice enters nothing twice."""
    record = ScoreImport.objects.select_for_update().select_related("round").get(pk=record.pk)
    if record.status != ScoreImport.Status.PENDING:
        raise ValidationError(
            _("该导入当前状态为“%(s)s”，不能确认") % {"s": record.get_status_display()}
        )
    round_ = record.round
    units = {u.pk: u for u in Unit.objects.filter(pk__in={r["unit_id"] for r in record.rows})}
    for row in record.rows:
        check_enter_third_party(
            round_,
            actor=record.uploaded_by,
            unit=units[row["unit_id"]],
            indicator=row["indicator"],
            score=row["score"],
            comment=row["comment"],
        )
    record.status = ScoreImport.Status.CONFIRMED
    record.decided_by, record.decided_at = actor, timezone.now()
    record.save(update_fields=["status", "decided_by", "decided_at"])
    record_audit(
        actor=actor,
        action="evaluation.third_party.import_confirm",
        obj=record,
        unit=round_.owner,
        after={"scores": len(record.rows)},
    )
    return record


@transaction.atomic
def check_return_scores(record: ScoreImport, *, actor: User, reason: str) -> ScoreImport:
    """The campaign office sends an import back to the assessor with a reason."""
    record = ScoreImport.objects.select_for_update().get(pk=record.pk)
    if record.status != ScoreImport.Status.PENDING:
        raise ValidationError(
            _("该导入当前状态为“%(s)s”，不能退回") % {"s": record.get_status_display()}
        )
    if not reason.strip():
        raise ValidationError({"reason": _("请填写退回理由")})
    record.status, record.reason = ScoreImport.Status.RETURNED, reason.strip()
    record.decided_by, record.decided_at = actor, timezone.now()
    record.save(update_fields=["status", "reason", "decided_by", "decided_at"])
    record_audit(
        actor=actor,
        action="evaluation.third_party.import_return",
        obj=record,
        unit=record.round.owner,
        after={"reason": record.reason},
    )
    return record

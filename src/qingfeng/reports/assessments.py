"""The quarterly assessment's actions (季考评): scores computed from the quarter's registered
figures by each unit's category scheme, the office's deductions and vetoes with reasons,
approval by a leader, publication to the units. One transaction each, with its audit row."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qingfeng.core import registry, replica
from qingfeng.core.attachments import MB, AttachmentRules, file_digest
from qingfeng.core.audit import record_audit
from qingfeng.lib import filetypes as ft
from qingfeng.lib.dates import month_last_day
from qingfeng.orgs.models import Unit, User
from qingfeng.reports import scoring
from qingfeng.reports.models import Assessment, ManualScore, Score
from qingfeng.reports.permissions import approves, drafts
from qingfeng.reports.workflow import ASSESSMENT

QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
MAX_DEDUCTION = Decimal(100)


def quarter_bounds(quarter: str) -> tuple[date, date] | None:
    match = QUARTER.match(quarter)
    if match is None:
        return None
    year, q = int(match[1]), int(match[2])
    first = date(year, 3 * q - 2, 1)
    return first, month_last_day(date(year, 3 * q, 1))


def quarter_figures(unit_ids: list[int], first: date, last: date) -> dict[int, dict[str, int]]:
    result: dict[int, dict[str, int]] = {pk: {} for pk in unit_ids}
    for source in registry.figure_sources():
        for pk, row in source.compute(unit_ids, first, last).items():
            result[pk].update({k: int(v) for k, v in row.items() if v})
    return result


def _rerank(assessment: Assessment, category: str) -> None:
    rows = list(assessment.scores.filter(category=category))
    order = scoring.ranks([(s.pk, s.total, bool(s.veto_reason)) for s in rows])
    for score in rows:
        score.rank = order[score.pk]
    Score.objects.bulk_update(rows, ["rank"])


def check_create_assessment(*, actor: User, issuer: Unit, quarter: str) -> Assessment:
    """Score every active unit below the issuer on the quarter's figures; rank by category.
    The figures are read before the transaction that keeps the scores, inside
    `replica.reads()`: from the read replica when one is configured (core/replica.py). A
    quarter not over yet is read up to today, as the bulletin and the dashboard read a month:
    a weekly report or a task whose due day is still ahead is not counted missing or overdue."""
    if not drafts(actor, issuer):
        raise ValidationError(_("只有本机关的专项办或局管理员可以组织季度考评"))
    quarter = quarter.strip()
    bounds = quarter_bounds(quarter)
    if bounds is None:
        raise ValidationError({"quarter": [_("季度格式应如“2026-Q4”")]})
    if bounds[0] > timezone.localdate():
        raise ValidationError({"quarter": [_("不能考评尚未开始的季度")]})
    _check_quarter_free(issuer, quarter)
    with replica.reads():
        unit_ids = list(
            Unit.objects.within(issuer)
            .exclude(pk=issuer.pk)
            .filter(is_active=True)
            .values_list("pk", flat=True)
        )
        figures = quarter_figures(unit_ids, bounds[0], min(bounds[1], timezone.localdate()))
    return _create_assessment(
        actor=actor, issuer=issuer, quarter=quarter, bounds=bounds, figures=figures
    )


def _check_quarter_free(issuer: Unit, quarter: str) -> None:
    if Assessment.objects.filter(issuer=issuer, quarter=quarter).exists():
        raise ValidationError({"quarter": [_("%(q)s 已有季度考评") % {"q": quarter}]})


@transaction.atomic
def _create_assessment(
    *,
    actor: User,
    issuer: Unit,
    quarter: str,
    bounds: tuple[date, date],
    figures: dict[int, dict[str, int]],
) -> Assessment:
    _check_quarter_free(issuer, quarter)  # made by someone else while the figures were read
    assessment = Assessment.objects.create(
        issuer=issuer,
        quarter=quarter,
        starts_on=bounds[0],
        ends_on=bounds[1],
        scheme=scoring.scheme(),
        status=Assessment.Status.DRAFT,
        created_by=actor,
    )
    # The units as the primary has them now (a unit made while the figures were read has
    # none yet).
    units = list(
        Unit.objects.within(issuer).exclude(pk=issuer.pk).filter(is_active=True).only("category")
    )
    scores = []
    for unit in units:
        found = figures.get(unit.pk, {})
        values = scoring.values(found)
        weights = scoring.WEIGHTS[unit.category]
        scores.append(
            Score(
                assessment=assessment,
                unit=unit,
                category=unit.category,
                figures=found,
                values=values,
                total=scoring.total(values, weights),
            )
        )
    Score.objects.bulk_create(scores, batch_size=500)
    for category in {u.category for u in units}:
        _rerank(assessment, category)
    ASSESSMENT.record_event(assessment, "create", actor=actor, to_status=assessment.status)
    record_audit(
        actor=actor, action="reports.assessment.create", obj=assessment, unit=issuer,
        after={"units": len(scores), "scheme": scoring.SCHEME_VERSION},
    )  # fmt: skip
    return assessment


@transaction.atomic
def check_adjust_score(
    score: Score, *, actor: User, deduction: str, deduction_reason: str, veto_reason: str
) -> Score:
    """The office's deduction (扣分) and 一票否决, each with its reason, while in draft."""
    assessment = score.assessment
    if not drafts(actor, assessment.issuer):
        raise ValidationError(_("只有本机关的专项办或局管理员可以扣分或一票否决"))
    if assessment.status != Assessment.Status.DRAFT:
        raise ValidationError(_("季度考评已审定，不能再调整得分"))
    try:
        amount = Decimal(deduction or "0").quantize(scoring.TWO)
    except InvalidOperation:
        raise ValidationError({"deduction": [_("扣分须为数字")]}) from None
    errors: dict[str, list[str]] = {}
    if not Decimal(0) <= amount <= MAX_DEDUCTION:
        errors["deduction"] = [_("扣分须在 0 到 100 分之间")]
    if amount and not deduction_reason.strip():
        errors["deduction_reason"] = [_("扣分须写明理由")]
    if errors:
        raise ValidationError(errors)
    before = {"deduction": str(score.deduction), "veto": score.veto_reason}
    score.deduction, score.deduction_reason = amount, deduction_reason.strip()[:200]
    score.veto_reason = veto_reason.strip()[:200]
    weights = assessment.scheme["weights"][score.category]
    score.total = scoring.total(
        score.values, weights, deduction=amount, vetoed=bool(score.veto_reason)
    )
    score.save(update_fields=["deduction", "deduction_reason", "veto_reason", "total"])
    _rerank(assessment, score.category)
    ASSESSMENT.record_event(assessment, "adjust", actor=actor, reason=str(score.unit_id))
    record_audit(
        actor=actor, action="reports.assessment.adjust", obj=score, unit=score.unit,
        before=before, after={"deduction": str(amount), "veto": score.veto_reason},
    )  # fmt: skip
    return score


# Evidence of a manual indicator: a document or a record, never a photo (the rules against
# formalism forbid judging work by photos); kept as uploaded (the office's own files).
EVIDENCE = AttachmentRules(
    types=(ft.PDF, ft.DOCX, ft.XLSX),
    max_bytes=20 * MB,
    unsupported=gettext_lazy(
        "佐证材料须为文件或记录（PDF、Word、Excel），不以照片评判工作：%(name)s"
    ),
    scrub=False,
)


def _rescore(score: Score) -> None:
    weights = score.assessment.scheme["weights"][score.category]
    score.total = scoring.total(
        score.values, weights, deduction=score.deduction, vetoed=bool(score.veto_reason)
    )


@transaction.atomic
def check_score_manual(
    score: Score,
    *,
    actor: User,
    indicator: str,
    value: str,
    note: str,
    upload: UploadedFile | None,
) -> ManualScore:
    """A manual indicator scored by the campaign office while in draft: 0–100, a note, and its
    evidence (a document or record). The same material is reported once: a file already given
    for another indicator of the unit is refused (it cannot count twice), and the same file
    given again for the same indicator is kept once. A new score supersedes the old one."""
    assessment = score.assessment
    if not drafts(actor, assessment.issuer):
        raise ValidationError(_("只有本机关的专项办或局管理员可以评分"))
    # Read under the lock: an approval made meanwhile is seen, not overwritten.
    stored = Assessment.objects.select_for_update().filter(pk=assessment.pk)
    if stored.values_list("status", flat=True).get() != Assessment.Status.DRAFT:
        raise ValidationError(_("季度考评已审定，不能再调整得分"))
    labels = {i["key"]: i["label"] for i in scoring.kept_indicators(assessment.scheme)}
    if indicator not in scoring.manual_keys(assessment.scheme):
        raise ValidationError({"indicator": [_("该指标由数据计算，不能手工评分")]})
    errors: dict[str, list[str]] = {}
    try:
        amount = Decimal((value or "").strip()).quantize(scoring.TWO)
    except InvalidOperation:
        errors["value"] = [_("评分须为 0 到 100 之间的数字")]
    else:
        if not Decimal(0) <= amount <= Decimal(100):
            errors["value"] = [_("评分须为 0 到 100 之间的数字")]
    note = (note or "").strip()
    if not note:
        errors["note"] = [_("请填写评分说明")]
    elif len(note) > 200:
        errors["note"] = [_("评分说明不能超过 200 字")]
    content_type = ""
    if upload is None:
        errors["file"] = [_("请上传佐证材料（文件或记录）")]
    else:
        try:
            content_type = EVIDENCE.check(upload)
        except ValidationError as exc:
            errors["file"] = exc.messages
    if errors:
        raise ValidationError(errors)
    assert upload is not None
    digest = file_digest(upload)
    current = ManualScore.objects.select_for_update().filter(
        score=score, superseded_at__isnull=True
    )
    used = current.filter(sha256=digest).exclude(indicator=indicator).first()
    if used is not None:
        raise ValidationError(
            {
                "file": [
                    _("该材料已作为“%(label)s”的佐证，同一材料只报送一次、只计一项")
                    % {"label": labels.get(used.indicator, used.indicator)}
                ]
            }
        )
    now = timezone.now()
    previous = current.filter(indicator=indicator).first()
    if previous is not None:
        previous.superseded_at = now
        previous.save(update_fields=["superseded_at"])
    made = ManualScore(
        score=score, indicator=indicator, value=amount, note=note, entered_by=actor, entered_at=now
    )
    if previous is not None and previous.sha256 == digest:
        # The same file again (a new score on the same evidence): stored once, not twice.
        made.original_name, made.content_type = previous.original_name, previous.content_type
        made.size, made.sha256, made.file = previous.size, previous.sha256, previous.file
    else:
        EVIDENCE.attach(made, upload, content_type=content_type)
    made.save()
    before = score.values.get(indicator)
    score.values = {**score.values, indicator: float(amount)}
    _rescore(score)
    score.save(update_fields=["values", "total"])
    _rerank(assessment, score.category)
    ASSESSMENT.record_event(assessment, "manual", actor=actor, reason=str(score.unit_id))
    record_audit(
        actor=actor, action="reports.assessment.manual", obj=score, unit=score.unit,
        before={"indicator": indicator, "value": before},
        after={
            "indicator": indicator, "value": str(amount), "note": note,
            "evidence": made.original_name, "sha256": made.sha256,
        },
    )  # fmt: skip
    return made


@transaction.atomic
def check_approve_assessment(assessment: Assessment, *, actor: User) -> Assessment:
    if not approves(actor, assessment.issuer):
        raise ValidationError(_("季度考评由本机关的分管领导审定"))
    return ASSESSMENT.apply(assessment, "approve", actor=actor)


@transaction.atomic
def check_publish_assessment(assessment: Assessment, *, actor: User) -> Assessment:
    if not drafts(actor, assessment.issuer):
        raise ValidationError(_("只有本机关的专项办或局管理员可以发布季度考评"))
    with ASSESSMENT.move(assessment, "publish", actor=actor):
        assessment.published_at = timezone.now()
    return assessment

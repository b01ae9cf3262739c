"""Third-party scores and the discipline-inspection review of a unit in a round: a later
entry supersedes the earlier one (kept, never deleted); every entry audited. The discipline
comment goes into the audit row only as "changed", never as text."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from qingfeng.core.audit import record_audit
from qingfeng.evaluation.models import DisciplineReview, Round, ThirdPartyScore
from qingfeng.orgs.models import Unit, User


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
) -> ThirdPartyScore:
    _entry_open(round_, unit)
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
    record_audit(
        actor=actor,
        action="evaluation.third_party.enter",
        obj=entry,
        unit=unit,
        after={"indicator": indicator, "score": str(entry.score)},
    )
    return entry


@transaction.atomic
def check_enter_discipline(
    round_: Round, *, actor: User, unit: Unit, rating: str, comment: str = "", veto: bool = False
) -> DisciplineReview:
    _entry_open(round_, unit)
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
    record_audit(
        actor=actor,
        action="evaluation.discipline.enter",
        obj=entry,
        unit=unit,
        after={"rating": rating, "veto": veto, "comment": "(保密)" if comment.strip() else ""},
    )
    return entry

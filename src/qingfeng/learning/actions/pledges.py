"""承诺践诺: the bureau issues a pledge per post group and year, each person signs on their
phone, reports each quarter how they kept it (linked to their ledger items), and the unit
rates the report (评诺). The next year's pledge is the anniversary re-sign."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qingfeng.core.audit import record_audit
from qingfeng.learning.models import Fulfilment, Pledge, PledgeRating, Signature
from qingfeng.ledger.models import Problem
from qingfeng.orgs.models import Person, Unit, User

P = Person.PostType
G = Pledge.Group


def groups_of(person: Person) -> list[str]:
    """The pledge groups a person signs: their own group and the all-staff one."""
    own = {
        P.LEADER: G.LEADERS,
        P.MIDDLE: G.LEADERS,
        P.PARTY_TEACHER: G.PARTY_TEACHERS,
        P.SUPPORT: G.SUPPORT,
    }.get(person.post_type)  # type: ignore[call-overload]
    if own is None and person.is_party_member and person.post_type == P.TEACHER:
        own = G.PARTY_TEACHERS
    return [g for g in (own, G.ALL) if g is not None]


def quarter(day: object = None) -> str:
    today = timezone.localdate() if day is None else day
    return f"{today.year}Q{(today.month - 1) // 3 + 1}"  # type: ignore[attr-defined]


@transaction.atomic
def check_issue_pledge(
    *, actor: User, issuer: Unit, group: str, title: str, text: str, year: int
) -> Pledge:
    if group not in G.values:
        raise ValidationError({"group": _("适用人员无效")})
    if not text.strip() or not title.strip():
        raise ValidationError(_("请填写承诺书标题和内容"))
    if Pledge.objects.filter(issuer=issuer, group=group, year=year).exists():
        raise ValidationError(_("%(y)d 年度该类人员的承诺书已发布") % {"y": year})
    pledge = Pledge.objects.create(
        issuer=issuer,
        group=group,
        title=title.strip(),
        text=text.strip(),
        year=year,
        issued_by=actor,
    )
    record_audit(actor=actor, action="learning.pledge.issue", obj=pledge, after={"group": group})
    return pledge


@transaction.atomic
def check_sign_pledge(pledge: Pledge, *, person: Person, actor: User) -> Signature:
    if pledge.group not in groups_of(person):
        raise ValidationError(_("该承诺书不适用于您的岗位"))
    if not person.unit.is_within(pledge.issuer):
        raise ValidationError(_("该承诺书不适用于您的单位"))
    try:
        with transaction.atomic():
            signature = Signature.objects.create(pledge=pledge, person=person, user=actor)
    except IntegrityError as exc:
        raise ValidationError(_("您已签署该承诺书")) from exc
    record_audit(
        actor=actor, action="learning.pledge.sign", obj=pledge, after={"person": person.pk}
    )
    return signature


@transaction.atomic
def check_report_fulfilment(
    signature: Signature,
    *,
    actor: User,
    text: str,
    problems: Sequence[Problem] = (),
    period: str | None = None,
) -> Fulfilment:
    period = period or quarter()
    if not text.strip():
        raise ValidationError({"text": _("请简要填写践诺情况")})
    if signature.user_id != actor.pk:
        raise ValidationError(_("只能填写本人的践诺情况"))
    stray = [p.number for p in problems if p.responsible_person_id != signature.person_id]
    if stray:
        raise ValidationError(_("只能关联本人负责的台账问题：%(n)s") % {"n": "、".join(stray)})
    if Fulfilment.objects.filter(signature=signature, period=period).exists():
        raise ValidationError(_("%(p)s 的践诺情况已填报") % {"p": period})
    report = Fulfilment.objects.create(signature=signature, period=period, text=text.strip())
    report.problems.set(problems)
    record_audit(
        actor=actor, action="learning.pledge.report", obj=signature.pledge, after={"period": period}
    )
    return report


@transaction.atomic
def check_rate_fulfilment(
    report: Fulfilment, *, actor: User, rating: str, comment: str = ""
) -> Fulfilment:
    report = Fulfilment.objects.select_for_update().get(pk=report.pk)
    if rating not in Fulfilment.Rating.values:
        raise ValidationError({"rating": _("请选择评诺等次")})
    if report.rating:
        raise ValidationError(_("该践诺情况已评议"))
    if report.signature.user_id == actor.pk:
        raise ValidationError(_("不能评议本人的践诺情况"))
    report.rating, report.rating_comment = rating, comment.strip()[:200]
    report.rated_by, report.rated_at = actor, timezone.now()
    report.save()
    record_audit(
        actor=actor,
        action="learning.pledge.rate",
        obj=report.signature.pledge,
        after={"period": report.period, "rating": rating},
    )
    return report


def pledges_in_force(unit: Unit, year: int) -> list[Pledge]:
    """The pledges of the year issued by the unit or a unit above it."""
    return list(
        Pledge.objects.filter(
            issuer_id__in=unit.ancestor_ids(include_self=True), year=year
        ).order_by("group", "id")
    )


@transaction.atomic
def check_submit_public_rating(
    unit: Unit, *, rating: str, respondent: str, idempotency_key: str
) -> PledgeRating:
    """评诺 by the people served (public, anonymous): one row with the unit, the quarter, the
    rating and who they are (parent, student, public) — nothing else of the rater. The same
    form posted twice counts once."""
    today = timezone.localdate()
    if not pledges_in_force(unit, today.year):
        raise ValidationError(_("该单位本年度没有需要评议的承诺"))
    errors = {}
    if rating not in Fulfilment.Rating.values:
        errors["rating"] = _("请选择评价")
    if respondent not in PledgeRating.Respondent.values:
        errors["respondent"] = _("请选择您的身份")
    key = idempotency_key.strip()
    if not key or len(key) > 64:
        errors["idempotency_key"] = _("页面已过期，请刷新后重新提交")
    if errors:
        raise ValidationError(errors)
    stored = PledgeRating.objects.filter(idempotency_key=key).first()
    if stored is not None:
        return stored
    try:
        with transaction.atomic():
            row = PledgeRating.objects.create(
                unit=unit,
                period=quarter(today),
                rating=rating,
                respondent=respondent,
                idempotency_key=key,
                created_on=today,
            )
    except IntegrityError:  # the same form posted twice at once: the first one counts
        return PledgeRating.objects.get(idempotency_key=key)
    record_audit(
        actor=None,
        action="learning.pledge.public_rate",
        obj=row,
        after={"unit": unit.pk, "period": row.period, "rating": rating},
    )
    return row

"""承诺践诺: the bureau issues a pledge per post group and year, each person signs on their
phone, reports each quarter how they kept it (linked to their ledger items), and the unit
rates the report (评诺). Each signature falls due again `resign_months` after it was signed
(the anniversary by default): from RESIGN_NOTICE_WORKDAYS working days before that day the
person is reminded (gaps.py) and may sign again, as a new signature of the next cycle."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qingfeng.core.audit import record_audit
from qingfeng.core.calendar import get_calendar
from qingfeng.learning.models import Fulfilment, Pledge, PledgeRating, Signature
from qingfeng.ledger.models import Problem
from qingfeng.lib.dates import add_months
from qingfeng.lib.workdays import WorkCalendar
from qingfeng.orgs.models import Person, Unit, User

P = Person.PostType
G = Pledge.Group
# Working days before a signature's re-sign day from which the person is reminded and may
# sign again.
RESIGN_NOTICE_WORKDAYS = 10
MAX_RESIGN_MONTHS = 36


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
    *,
    actor: User,
    issuer: Unit,
    group: str,
    title: str,
    text: str,
    year: int,
    resign_months: int = 12,
) -> Pledge:
    if group not in G.values:
        raise ValidationError({"group": _("适用人员无效")})
    if not text.strip() or not title.strip():
        raise ValidationError(_("请填写承诺书标题和内容"))
    if not 1 <= resign_months <= MAX_RESIGN_MONTHS:
        raise ValidationError(
            {"resign_months": _("重签周期须在 1 到 %(n)d 个月之间") % {"n": MAX_RESIGN_MONTHS}}
        )
    if Pledge.objects.filter(issuer=issuer, group=group, year=year).exists():
        raise ValidationError(_("%(y)d 年度该类人员的承诺书已发布") % {"y": year})
    pledge = Pledge.objects.create(
        issuer=issuer,
        group=group,
        title=title.strip(),
        text=text.strip(),
        year=year,
        resign_months=resign_months,
        issued_by=actor,
    )
    record_audit(
        actor=actor,
        action="learning.pledge.issue",
        obj=pledge,
        after={"group": group, "resign_months": resign_months},
    )
    return pledge


def resign_opens_on(signature: Signature, calendar: WorkCalendar | None = None) -> date | None:
    """The first day the person may sign again (and is reminded): RESIGN_NOTICE_WORKDAYS
    working days before the re-sign day. None when the pledge asks no re-sign."""
    if signature.renew_on is None:
        return None
    calendar = calendar or get_calendar()
    return calendar.add_workdays(signature.renew_on, -RESIGN_NOTICE_WORKDAYS)


@transaction.atomic
def check_sign_pledge(pledge: Pledge, *, person: Person, actor: User) -> Signature:
    """Sign, or sign again once the last signature is near or past its re-sign day."""
    if pledge.group not in groups_of(person):
        raise ValidationError(_("该承诺书不适用于您的岗位"))
    if not person.unit.is_within(pledge.issuer):
        raise ValidationError(_("该承诺书不适用于您的单位"))
    today = timezone.localdate()
    last = Signature.objects.filter(pledge=pledge, person=person).order_by("-cycle").first()
    if last is not None:
        opens = resign_opens_on(last)
        if opens is None or today < opens:
            if opens is None:
                raise ValidationError(_("您已签署该承诺书"))
            raise ValidationError(
                _("您已签署该承诺书（%(d)s），%(o)s 起可重新签署")
                % {"d": timezone.localdate(last.signed_at).isoformat(), "o": opens.isoformat()}
            )
    cycle = 1 if last is None else last.cycle + 1
    try:
        with transaction.atomic():
            signature = Signature.objects.create(
                pledge=pledge,
                person=person,
                user=actor,
                cycle=cycle,
                renew_on=add_months(today, pledge.resign_months) if pledge.resign_months else None,
            )
    except IntegrityError as exc:  # the same signing posted twice at once
        raise ValidationError(_("您已签署该承诺书")) from exc
    record_audit(
        actor=actor,
        action="learning.pledge.sign" if cycle == 1 else "learning.pledge.resign",
        obj=pledge,
        after={"person": person.pk, "cycle": cycle, "renew_on": str(signature.renew_on)},
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
    reported = Fulfilment.objects.filter(
        signature__pledge_id=signature.pledge_id,
        signature__person_id=signature.person_id,
        period=period,
    )
    if reported.exists():
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

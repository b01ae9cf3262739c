"""作风建设观察员: the office appoints observers (人大代表, 家长代表, 媒体记者) over an area and
grants them the observer role there; the office or a team invites them to a visit that is no
longer sealed or to a round's open activities; an observer raises a suggestion, filed through
the registered complaint sink as a ticket of the channel 观察员建议. Each of these is recorded
as a participation, counted for the bulletin."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from qingfeng.core import registry
from qingfeng.core.actions import notify
from qingfeng.core.audit import record_audit
from qingfeng.core.registry import ComplaintAnswer
from qingfeng.core.scope import in_scope
from qingfeng.orgs.actions import do_grant_role, do_revoke_role
from qingfeng.orgs.models import Role, RoleAssignment, Unit, User
from qingfeng.oversight.actions.rounds import is_team, round_units
from qingfeng.oversight.models import Observer, Participation, Round, Visit
from qingfeng.oversight.permissions import OFFICE, on_team

# A form's idempotency key as the page makes it (uuid4 hex), or as an API client might.
FORM_KEY = re.compile(r"[0-9A-Za-z_-]{16,40}")

# The phases whose activities (进驻动员会, 公开接访 …) an observer may be invited to.
OPEN_PHASES = {
    Round.Status.STATIONED,
    Round.Status.INVESTIGATING,
    Round.Status.REPORTING,
    Round.Status.FEEDBACK,
}


@transaction.atomic
def check_appoint_observer(
    *, actor: User, user: User, area: Unit, kind: str, affiliation: str = ""
) -> Observer:
    if not in_scope(actor, area.path, roles=OFFICE):
        raise ValidationError(_("只有本单位的专项办或管理员可以聘任观察员"))
    if kind not in Observer.Kind.values:
        raise ValidationError({"kind": _("请选择观察员身份")})
    if not user.is_active:
        raise ValidationError({"user": _("该账号已停用")})
    if Observer.objects.filter(user=user, ended_at__isnull=True).exists():
        raise ValidationError({"user": _("该账号已是观察员")})
    observer = Observer.objects.create(
        user=user,
        area=area,
        kind=kind,
        affiliation=affiliation.strip()[:100],
        appointed_by=actor,
    )
    do_grant_role(user, actor=actor, role=Role.OBSERVER, unit=area)
    record_audit(
        actor=actor,
        action="oversight.observer.appoint",
        obj=observer,
        unit=area,
        after={"user": user.pk, "kind": kind},
    )
    notify(
        recipient=user,
        title=_("您已被聘为%(a)s作风建设观察员") % {"a": area.name},
        body=_("可在“观察员”页面查看本区域的公开数据、受邀参加的督导巡察，并提出意见建议。"),
        link=reverse("oversight:observer"),
    )
    return observer


@transaction.atomic
def do_end_observer(observer: Observer, *, actor: User) -> None:
    if observer.ended_at is not None:
        return
    observer.ended_at = timezone.now()
    observer.save(update_fields=["ended_at"])
    for assignment in RoleAssignment.objects.filter(
        user=observer.user, role=Role.OBSERVER, unit=observer.area, revoked_at__isnull=True
    ):
        do_revoke_role(assignment, actor=actor)
    record_audit(actor=actor, action="oversight.observer.end", obj=observer, unit=observer.area)


def _active(observer: Observer) -> None:
    if observer.ended_at is not None:
        raise ValidationError(_("该观察员已解聘"))


@transaction.atomic
def check_invite_observer(
    observer: Observer,
    *,
    actor: User,
    visit: Visit | None = None,
    round_: Round | None = None,
    note: str = "",
) -> Participation:
    """To a visit once it is no longer sealed (the target is known: the team is on site or
    has been), or to a round's open activities; within the observer's area."""
    _active(observer)
    if (visit is None) == (round_ is None):
        raise ValidationError(_("请选择一次督导或一轮巡察（二者选一）"))
    if visit is not None:
        if visit.status not in {Visit.Status.STARTED, Visit.Status.FINISHED} or not visit.unit:
            raise ValidationError({"visit": _("密封中的督导不能邀请观察员（开始督导后方可）")})
        if not (in_scope(actor, visit.group.owner.path, roles=OFFICE) or on_team(actor, visit)):
            raise ValidationError(_("只有组织单位或本次督导人员可以邀请观察员"))
        unit = visit.unit
        kind = Participation.Kind.VISIT
        if not unit.is_within(observer.area):
            raise ValidationError(_("不在该观察员的观察区域内"))
    else:
        assert round_ is not None
        if round_.status not in OPEN_PHASES:
            raise ValidationError({"round": _("只能邀请观察员参加巡察进驻至反馈阶段的公开活动")})
        if not (in_scope(actor, round_.owner.path, roles=OFFICE) or is_team(actor, round_)):
            raise ValidationError(_("只有组织单位或巡察组成员可以邀请观察员"))
        inside = [u for u in round_units(round_) if u.is_within(observer.area)]
        if not inside:
            raise ValidationError(_("不在该观察员的观察区域内"))
        unit, kind = inside[0], Participation.Kind.ROUND
    if Participation.objects.filter(observer=observer, visit=visit, round=round_).exists():
        raise ValidationError(_("已邀请过该观察员"))
    row = Participation.objects.create(
        observer=observer,
        kind=kind,
        visit=visit,
        round=round_,
        unit=unit,
        note=note.strip()[:200],
        invited_by=actor,
    )
    record_audit(
        actor=actor,
        action="oversight.observer.invite",
        obj=observer,
        unit=unit,
        after={"visit": visit.pk if visit else None, "round": round_.pk if round_ else None},
    )
    what = visit.number if visit else round_.name if round_ else ""
    notify(
        recipient=observer.user,
        title=_("邀请您参加：%(w)s") % {"w": what},
        body=note.strip()[:500],
        link=reverse("oversight:observer"),
    )
    return row


@transaction.atomic
def check_raise_suggestion(
    *, actor: User, unit: Unit, category_id: int, title: str, text: str, idempotency_key: str
) -> Participation:
    """An observer's suggestion or finding, a ticket of the channel 观察员建议 handled like any
    other; the observer's page shows its state until it is answered. `idempotency_key` comes
    with the form (one per rendering): the same form sent again returns the suggestion it
    made, so a double click files one ticket."""
    observer = Observer.objects.filter(user=actor, ended_at__isnull=True).first()
    if observer is None:
        raise ValidationError(_("只有在聘观察员可以通过此渠道提出建议"))
    if not FORM_KEY.fullmatch(idempotency_key):
        raise ValidationError(_("表单已失效，请刷新页面后重新填写"))
    if not unit.is_within(observer.area):
        raise ValidationError({"unit": _("不在您的观察区域内")})
    if not title.strip() or not text.strip():
        raise ValidationError(_("请填写标题和具体内容"))
    sink = registry.complaint_sink()
    if sink is None:
        raise ValidationError(_("未启用作风建设直通车，暂不能提出建议"))
    try:
        # The channel keeps one ticket per key: the same form again returns that ticket.
        filed = sink.file(
            actor=actor,
            unit=unit,
            category_id=category_id,
            title=title.strip()[:100],
            text=text.strip(),
            source="observer",
            ref=f"observer-{observer.pk}-{idempotency_key}",
        )
    except ValidationError as exc:
        if getattr(exc, "code", None) == "idempotency_conflict":
            raise ValidationError(
                _("这张表单已经提交过；如需提出另一条建议，请刷新页面后重新填写")
            ) from exc
        raise
    known = Participation.objects.filter(
        observer=observer, kind=Participation.Kind.SUGGESTION, ticket=filed.number
    ).first()
    if known is not None:
        return known
    row = Participation.objects.create(
        observer=observer,
        kind=Participation.Kind.SUGGESTION,
        unit=unit,
        ticket=filed.number,
        note=title.strip()[:200],
    )
    record_audit(
        actor=actor,
        action="oversight.observer.suggest",
        obj=observer,
        unit=unit,
        after={"ticket": filed.number},
    )
    return row


def do_tell_answered_suggestions(*, batch: int = 500) -> int:
    """Each observer whose suggestion the channel has answered since is told the answer, once:
    a notification (the ticket's number in the title, the answer in the body) and the mark on
    the suggestion, in one transaction per suggestion. The worker runs it every ten minutes
    (`oversight.tasks`); running it again, or on two workers, tells no one twice."""
    sink = registry.complaint_sink()
    if sink is None:
        return 0
    waiting = (
        Participation.objects.filter(kind=Participation.Kind.SUGGESTION, told_at__isnull=True)
        .exclude(ticket="")
        .select_related("observer__user", "unit")
        .order_by("pk")
    )
    told, after = 0, 0
    # In batches by id, so suggestions still being handled never hold back later answers.
    while rows := list(waiting.filter(pk__gt=after)[:batch]):
        after = rows[-1].pk
        answers = sink.answers([row.ticket for row in rows])
        told += sum(_tell(row, answers[row.ticket]) for row in rows if row.ticket in answers)
    return told


def _tell(row: Participation, answer: ComplaintAnswer) -> bool:
    with transaction.atomic():
        # The mark first: a second run that got here too finds it set and tells nobody.
        claimed = Participation.objects.filter(pk=row.pk, told_at__isnull=True).update(
            told_at=timezone.now()
        )
        if not claimed:
            return False
        notify(
            recipient=row.observer.user,
            title=_("您提出的建议已有答复（工单 %(n)s）") % {"n": row.ticket},
            body=answer.text[:2000],
            link=reverse("oversight:observer") if row.observer.ended_at is None else "",
        )
        record_audit(
            actor=None,
            action="oversight.observer.told",
            obj=row.observer,
            unit=row.unit,
            after={"ticket": row.ticket},
        )
    return True

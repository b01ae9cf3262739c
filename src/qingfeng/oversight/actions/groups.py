"""Supervision groups, responsible supervisors (挂牌督导), liaison logs and conflict
declarations. Each write: one transaction with its audit row."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qingfeng.core.audit import record_audit
from qingfeng.orgs.models import Liaison, Role, RoleAssignment, Unit, User
from qingfeng.oversight.models import Conflict, Group, LiaisonLog, Posting

SUPERVISOR_ROLES = (Role.SUPERVISOR, Role.INSPECTOR)


def schools_per_supervisor() -> int:
    return int(getattr(settings, "QF_OVERSIGHT_SCHOOLS_PER_SUPERVISOR", 5))


def schools_per_area() -> int:
    """挂牌督导 practice: a supervision area (a group's county) has at most 20 posted schools."""
    return int(getattr(settings, "QF_OVERSIGHT_SCHOOLS_PER_AREA", 20))


def _supervisors(users: Sequence[User]) -> None:
    holders = set(
        RoleAssignment.objects.filter(
            user__in=users, role__in=SUPERVISOR_ROLES, revoked_at__isnull=True
        ).values_list("user_id", flat=True)
    )
    missing = [str(u) for u in users if u.pk not in holders]
    if missing:
        raise ValidationError(
            _("督导组成员须是名册中具有督导（巡察）角色的人员：%(n)s") % {"n": "、".join(missing)}
        )


@transaction.atomic
def check_create_group(
    *,
    actor: User,
    owner: Unit,
    name: str,
    leader: User,
    members: Sequence[User],
    regions: Sequence[Unit],
    stages: Sequence[str],
) -> Group:
    """督导组 with its leader, members, regions (counties in the owner's tree) and stages."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("请填写督导组名称")})
    team = list({u.pk: u for u in [leader, *members]}.values())
    _supervisors(team)
    if not regions:
        raise ValidationError({"regions": _("请至少选择一个督导区域")})
    outside = [r.name for r in regions if r.kind != Unit.Kind.COUNTY or not r.is_within(owner)]
    if outside:
        raise ValidationError(
            {"regions": _("督导区域须是本单位下属的县区：%(n)s") % {"n": "、".join(outside)}}
        )
    wrong = [s for s in stages if s not in Unit.Stage.values or not s]
    if wrong:
        raise ValidationError({"stages": _("未知的学段：%(s)s") % {"s": "、".join(wrong)}})
    group = Group.objects.create(
        name=name[:100], owner=owner, leader=leader, stages=sorted(set(stages)), created_by=actor
    )
    group.members.set([u for u in team if u.pk != leader.pk])
    group.regions.set(regions)
    record_audit(
        actor=actor,
        action="oversight.group.create",
        obj=group,
        after={
            "leader": leader.pk,
            "members": sorted(u.pk for u in team if u.pk != leader.pk),
            "regions": sorted(r.pk for r in regions),
            "stages": group.stages,
        },
    )
    return group


@transaction.atomic
def check_attach_school(group: Group, *, actor: User, supervisor: User, school: Unit) -> Posting:
    """挂牌督导: a responsible supervisor of the group for a school of its regions; a school
    has one, a supervisor at most QF_OVERSIGHT_SCHOOLS_PER_SUPERVISOR (5), and the group's
    area (the county the school is in) at most QF_OVERSIGHT_SCHOOLS_PER_AREA (20)."""
    if supervisor.pk != group.leader_id and not group.members.filter(pk=supervisor.pk).exists():
        raise ValidationError(_("责任督学须是本督导组的成员"))
    if school.kind not in {Unit.Kind.SCHOOL, Unit.Kind.KINDERGARTEN}:
        raise ValidationError(_("挂牌督导的对象须是学校或幼儿园"))
    if not any(school.is_within(r) for r in group.regions.all()):
        raise ValidationError(_("%(s)s 不在本督导组的督导区域内") % {"s": school.name})
    current = Posting.objects.select_for_update().filter(school=school, ended_at__isnull=True)
    if current.exists():
        raise ValidationError(_("%(s)s 已有责任督学，请先解除") % {"s": school.name})
    limit = schools_per_supervisor()
    held = Posting.objects.filter(supervisor=supervisor, ended_at__isnull=True).count()
    if held >= limit:
        raise ValidationError(
            _("每名责任督学至多挂牌 %(n)d 所学校，%(p)s 已挂牌 %(h)d 所")
            % {"n": limit, "p": supervisor, "h": held}
        )
    area = next(r for r in group.regions.all() if school.is_within(r))
    in_area = Posting.objects.filter(group=group, ended_at__isnull=True).filter(
        area.subtree_q("school")
    )
    if in_area.count() >= schools_per_area():
        raise ValidationError(
            _("%(a)s 已有 %(h)d 所学校挂牌督导，每个督导责任区至多 %(n)d 所")
            % {"a": area.name, "h": in_area.count(), "n": schools_per_area()}
        )
    posting = Posting.objects.create(group=group, supervisor=supervisor, school=school)
    record_audit(
        actor=actor,
        action="oversight.posting.create",
        obj=posting,
        unit=school,
        after={"supervisor": supervisor.pk, "school": school.pk},
    )
    return posting


@transaction.atomic
def do_end_posting(posting: Posting, *, actor: User) -> Posting:
    posting.ended_at = timezone.now()
    posting.save(update_fields=["ended_at"])
    record_audit(actor=actor, action="oversight.posting.end", obj=posting, unit=posting.school)
    return posting


@transaction.atomic
def check_log_liaison(
    *,
    leader: User,
    unit: Unit,
    kind: str,
    happened_on: date,
    notes: str,
    follow_up: str = "",
) -> LiaisonLog:
    """A liaison leader's visit, meeting or guidance in one of their counties."""
    counties = list(Liaison.objects.filter(leader=leader).select_related("county"))
    county = next((c.county for c in counties if unit.is_within(c.county)), None)
    if county is None:
        raise ValidationError({"unit": _("只能记录本人包片县区内单位的工作")})
    if happened_on > timezone.localdate():
        raise ValidationError({"happened_on": _("日期不能晚于今天")})
    if not notes.strip():
        raise ValidationError({"notes": _("请填写情况记录")})
    log = LiaisonLog(
        leader=leader,
        county=county,
        unit=unit,
        kind=kind,
        happened_on=happened_on,
        notes=notes.strip(),
        follow_up=follow_up.strip(),
    )
    log.full_clean()
    log.save()
    record_audit(
        actor=leader, action="oversight.liaison.log", obj=log, unit=unit, after={"kind": kind}
    )
    return log


@transaction.atomic
def check_declare_conflict(*, person: User, unit: Unit, reason: str) -> Conflict:
    """回避声明: from now on no draw picks the person for the unit."""
    if not reason.strip():
        raise ValidationError({"reason": _("请填写回避事由")})
    conflict, created = Conflict.objects.get_or_create(
        person=person, unit=unit, defaults={"reason": reason.strip()[:200]}
    )
    if created:
        record_audit(actor=person, action="oversight.conflict.declare", obj=conflict, unit=unit)
    return conflict

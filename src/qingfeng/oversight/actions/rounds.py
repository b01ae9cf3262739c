"""巡察 rounds: the team with its 回避 declarations, the phases, document requests, interviews,
the unit's reception group and self-check with immediate fixes (即知即改, into the ledger at
once), and the findings handed to rectification (source 巡察) when the round hands over."""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qingfeng.core.actions import notify
from qingfeng.core.attachments import MB, AttachmentRules
from qingfeng.core.audit import record_audit
from qingfeng.core.scope import in_scope
from qingfeng.ledger import actions as ledger_actions
from qingfeng.ledger.models import Category, Problem
from qingfeng.lib import filetypes as ft
from qingfeng.orgs.models import Person, RoleAssignment, Unit, User
from qingfeng.oversight import drawing
from qingfeng.oversight.actions.draws import commit as draw_commit
from qingfeng.oversight.actions.draws import county_ids, county_of, pool_inspectors
from qingfeng.oversight.actions.groups import SUPERVISOR_ROLES
from qingfeng.oversight.actions.visits import unit_admins
from qingfeng.oversight.models import (
    Conflict,
    DocumentRequest,
    Draw,
    Interview,
    ReceptionMember,
    ResponseFile,
    Round,
    RoundFinding,
    RoundMember,
)
from qingfeng.oversight.permissions import OFFICE, UNIT_READERS
from qingfeng.oversight.workflow import NEXT_MOVE, ROUND

P = Round.Status
WORKING = {P.STATIONED, P.INVESTIGATING, P.REPORTING}


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def is_team(user: User, round_: Round) -> bool:
    return round_.members.filter(user=user).exists()


def _team_only(user: User, round_: Round) -> None:
    if not is_team(user, round_):
        raise ValidationError(_("只有本巡察组成员可以办理"))


def _office(user: User, round_: Round) -> None:
    if not in_scope(user, round_.owner.path, roles=OFFICE):
        raise ValidationError(_("只有组织单位的专项办或管理员可以办理"))


def _unit_side(user: User, unit: Unit) -> None:
    if not in_scope(user, unit.path, roles=UNIT_READERS):
        raise ValidationError(_("只能办理本单位的事项"))


def _number() -> str:
    year = timezone.localdate().year
    count = Round.objects.filter(number__startswith=f"XC{year}-").count()
    return f"XC{year}-{count + 1:03d}"


@transaction.atomic
def check_create_round(
    *,
    actor: User,
    owner: Unit,
    name: str,
    mandate: str,
    starts_on: date,
    ends_on: date,
    duty_phone: str,
    postbox: str,
    targets: Sequence[Unit],
    rectification_months: int = 2,
) -> Round:
    if not in_scope(actor, owner.path, roles=OFFICE):
        raise ValidationError(_("只有本单位的专项办或管理员可以组织巡察"))
    if not name.strip() or not mandate.strip():
        raise ValidationError(_("请填写巡察名称和巡察任务"))
    if ends_on < starts_on:
        raise ValidationError({"ends_on": _("结束日期不能早于进驻日期")})
    if (ends_on - starts_on).days > 180:
        raise ValidationError({"ends_on": _("一轮巡察不超过 180 天")})
    if not duty_phone.strip() or not postbox.strip():
        raise ValidationError(_("请填写公布的值班电话和意见箱"))
    if not targets:
        raise ValidationError({"targets": _("请至少选择一个定点巡察单位")})
    outside = [t.name for t in targets if not t.is_within(owner)]
    if outside:
        raise ValidationError({"targets": _("不在本单位范围内：%(n)s") % {"n": "、".join(outside)}})
    if not 1 <= rectification_months <= 12:
        raise ValidationError({"rectification_months": _("整改报告期限须在 1 至 12 个月之间")})
    round_ = Round.objects.create(
        number=_number(),
        name=name.strip()[:100],
        owner=owner,
        mandate=mandate.strip(),
        starts_on=starts_on,
        ends_on=ends_on,
        duty_phone=duty_phone.strip()[:30],
        postbox=postbox.strip()[:100],
        rectification_months=rectification_months,
        status=P.PREPARING,
        created_by=actor,
    )
    round_.targets.set(targets)
    ROUND.record_event(round_, "create", actor=actor, to_status=round_.status)
    record_audit(
        actor=actor,
        action="oversight.round.create",
        obj=round_,
        after={"targets": sorted(t.pk for t in targets), "days": (ends_on - starts_on).days + 1},
    )
    return round_


def _recused_for_targets(round_: Round, users: Sequence[User]) -> list[str]:
    people = {row["id"]: row for row in pool_inspectors(round_.owner)}
    counties = county_ids(round_.owner)
    targets = [{"id": t.pk, "county": county_of(t.path, counties)} for t in round_.targets.all()]
    return [
        str(u)
        for u in users
        if u.pk in people and any(drawing.recused(people[u.pk], t) for t in targets)
    ]


@transaction.atomic
def check_set_team(
    round_: Round,
    *,
    actor: User,
    leader: User,
    deputies: Sequence[User],
    members: Sequence[User],
) -> list[RoundMember]:
    """组长, 副组长 1–2, 组员: 5–8 people with the inspector or supervisor role, none of whom
    works or worked at, or declared a conflict with, a fixed target (or its county)."""
    _office(actor, round_)
    ROUND.lock(round_)
    if round_.status != P.PREPARING:
        raise ValidationError(_("巡察组人员只能在准备阶段确定"))
    everyone = [leader, *deputies, *members]
    if len({u.pk for u in everyone}) != len(everyone):
        raise ValidationError(_("同一人不能担任两个职务"))
    if not 1 <= len(deputies) <= 2:
        raise ValidationError({"deputies": _("副组长须为 1 至 2 人")})
    if not 5 <= len(everyone) <= 8:
        raise ValidationError(_("巡察组须为 5 至 8 人，当前 %(n)d 人") % {"n": len(everyone)})
    holders = set(
        RoleAssignment.objects.filter(
            user__in=everyone, role__in=SUPERVISOR_ROLES, revoked_at__isnull=True
        ).values_list("user_id", flat=True)
    )
    missing = [str(u) for u in everyone if u.pk not in holders]
    if missing:
        raise ValidationError(_("须是具有巡察或督导角色的人员：%(n)s") % {"n": "、".join(missing)})
    recused = _recused_for_targets(round_, everyone)
    if recused:
        raise ValidationError(_("以下人员须回避定点巡察单位：%(n)s") % {"n": "、".join(recused)})
    round_.members.all().delete()
    roles = [RoundMember.Role.LEADER] + [RoundMember.Role.DEPUTY] * len(deputies)
    roles += [RoundMember.Role.MEMBER] * len(members)
    made = [
        RoundMember.objects.create(round=round_, user=u, role=r)
        for u, r in zip(everyone, roles, strict=True)
    ]
    record_audit(
        actor=actor,
        action="oversight.round.team",
        obj=round_,
        after={"team": [(m.user_id, m.role) for m in made]},
    )
    for member in made:
        notify(
            recipient=member.user,
            title=_("巡察任务：%(r)s") % {"r": round_.name},
            body=_("请在进驻前签署回避声明。"),
            link=reverse("oversight:round", args=[round_.pk]),
        )
    return made


@transaction.atomic
def check_sign_declaration(
    round_: Round, *, user: User, text: str, conflicts: Sequence[Unit] = ()
) -> RoundMember:
    """A member's 回避声明; any unit named becomes a conflict no draw or team will cross."""
    member = RoundMember.objects.select_for_update().filter(round=round_, user=user).first()
    if member is None:
        raise ValidationError(_("只有本巡察组成员可以签署回避声明"))
    if not text.strip():
        raise ValidationError({"text": _("请填写回避声明")})
    for unit in conflicts:
        Conflict.objects.get_or_create(
            person=user,
            unit=unit,
            defaults={"reason": _("巡察回避声明：%(r)s") % {"r": round_.number}},
        )
    member.declaration, member.declared_at = text.strip(), timezone.now()
    member.save(update_fields=["declaration", "declared_at"])
    record_audit(
        actor=user,
        action="oversight.round.declare",
        obj=round_,
        after={"conflicts": sorted(u.pk for u in conflicts)},
    )
    return member


def principal_of(unit: Unit) -> Person | None:
    """The unit's first responsible person (主要负责人): its first leader on the roster."""
    return (
        Person.objects.filter(unit=unit, post_type=Person.PostType.LEADER, is_active=True)
        .order_by("id")
        .first()
    )


def _hand_over(round_: Round, actor: User) -> int:
    """Each finding → an assigned ledger problem (source 巡察), the principal as the first
    responsible, the rectification report due `rectification_months` after the handover."""
    today = timezone.localdate()
    due = add_months(today, round_.rectification_months)
    category = Category.objects.filter(name="其他", is_active=True).first() or (
        Category.objects.filter(is_active=True).order_by("sort_order", "id").first()
    )
    findings = list(
        round_.findings.filter(kind=RoundFinding.Kind.FINDING, problem__isnull=True).select_related(
            "unit"
        )
    )
    for finding in findings:
        problem = ledger_actions.check_create_problem(
            actor=actor,
            unit=finding.unit,
            category=category,
            list_kind=Problem.ListKind.LEADERSHIP,
            source=Problem.Source.INSPECTION,
            source_ref=round_.number,
            title=(_("巡察反馈：%(t)s") % {"t": finding.text})[:200],
            description=finding.text,
            rectification_type=Problem.RectificationType.TIME_LIMITED,
            deadline=due,
            responsible_leader=principal_of(finding.unit),
        )
        ledger_actions.check_assign(problem, actor=actor)
        finding.problem = problem
        finding.save(update_fields=["problem"])
    round_.handed_over_on = today
    return len(findings)


@transaction.atomic
def check_advance_round(round_: Round, *, actor: User) -> Round:
    """The next phase. 进驻 needs the full team with every declaration signed; 移交 hands the
    findings to the ledger in the same transaction."""
    if not (
        in_scope(actor, round_.owner.path, roles=OFFICE)
        or round_.members.filter(user=actor, role=RoundMember.Role.LEADER).exists()
    ):
        raise ValidationError(_("只有组织单位或巡察组组长可以推进阶段"))
    ROUND.lock(round_)
    move = NEXT_MOVE.get(round_.status)
    if move is None:
        raise ValidationError(_("巡察已在最后阶段"))
    if move == "station":
        members = list(round_.members.all())
        if not members:
            raise ValidationError(_("请先确定巡察组人员"))
        unsigned = [str(m.user) for m in members if m.declared_at is None]
        if unsigned:
            raise ValidationError(_("以下人员尚未签署回避声明：%(n)s") % {"n": "、".join(unsigned)})
    with ROUND.move(round_, move, actor=actor) as step:
        if move == "handover":
            step.note.update(problems=_hand_over(round_, actor))
    return round_


@transaction.atomic
def check_link_draw(round_: Round, *, actor: User, draw: Draw) -> Round:
    """The round's unannounced checks: the units of a drawn draw of purpose 巡察随机抽查."""
    _office(actor, round_)
    if draw.purpose != Draw.Purpose.ROUND or draw.status != Draw.Status.DRAWN:
        raise ValidationError(_("请选择已完成的“巡察随机抽查”抽取"))
    round_.draw = draw
    round_.save(update_fields=["draw"])
    record_audit(actor=actor, action="oversight.round.draw", obj=round_, after={"draw": draw.pk})
    return round_


def round_units(round_: Round) -> list[Unit]:
    """The fixed targets and the drawn units."""
    units = list(round_.targets.all())
    if round_.draw is not None and round_.draw.result:
        ids = [t["unit"] for t in round_.draw.result["targets"]]
        units += [u for u in Unit.objects.filter(pk__in=ids) if u not in units]
    return units


def _working(round_: Round) -> None:
    if round_.status not in WORKING:
        raise ValidationError(
            _("当前阶段（%(s)s）不能办理此事项") % {"s": round_.get_status_display()}
        )


def _in_round(round_: Round, unit: Unit) -> None:
    if not unit.is_within(round_.owner):
        raise ValidationError({"unit": _("该单位不在本轮巡察范围内")})


@transaction.atomic
def check_request_documents(
    round_: Round, *, actor: User, unit: Unit, what: str, due_on: date
) -> DocumentRequest:
    _team_only(actor, round_)
    _working(round_)
    _in_round(round_, unit)
    if not what.strip():
        raise ValidationError({"what": _("请填写调阅内容")})
    if due_on < timezone.localdate():
        raise ValidationError({"due_on": _("提供期限不能早于今天")})
    request = DocumentRequest.objects.create(
        round=round_,
        unit=unit,
        what=what.strip(),
        due_on=due_on,
        status=DocumentRequest.Status.OPEN,
        created_by=actor,
    )
    record_audit(actor=actor, action="oversight.round.request", obj=round_, unit=unit)
    for user in unit_admins(unit):
        notify(
            recipient=user,
            title=_("巡察组调阅资料（%(d)s 前提供）") % {"d": due_on.isoformat()},
            body=what.strip()[:500],
            link=reverse("oversight:round", args=[round_.pk]),
        )
    return request


DOCUMENTS = AttachmentRules(
    types=(ft.PDF, ft.DOCX, ft.XLSX, ft.XLS, ft.JPEG, ft.PNG),
    max_bytes=20 * MB,
    unsupported=gettext_lazy("只能上传 PDF、Word、Excel 或图片文件：%(name)s"),
)
MAX_FILES = 10


@transaction.atomic
def check_answer_request(
    request: DocumentRequest,
    *,
    actor: User,
    response: str,
    files: Sequence[UploadedFile] = (),
) -> DocumentRequest:
    """The unit's answer, with the files it provides (checked by their content, images
    scrubbed of metadata; all checked before any is stored)."""
    _unit_side(actor, request.unit)
    if request.status != DocumentRequest.Status.OPEN:
        raise ValidationError(_("该调阅事项已提供"))
    if not response.strip():
        raise ValidationError({"response": _("请填写提供情况")})
    if len(files) > MAX_FILES:
        raise ValidationError({"files": _("每次至多上传 %(n)d 个文件") % {"n": MAX_FILES}})
    types = [DOCUMENTS.check(f) for f in files]
    for upload, content_type in zip(files, types, strict=True):
        row = ResponseFile(request=request)
        DOCUMENTS.attach(row, upload, content_type=content_type)
        row.save()
    request.status = DocumentRequest.Status.ANSWERED
    request.response, request.answered_by, request.answered_at = (
        response.strip(),
        actor,
        timezone.now(),
    )
    request.save(update_fields=["status", "response", "answered_by", "answered_at"])
    record_audit(
        actor=actor,
        action="oversight.round.answer",
        obj=request.round,
        unit=request.unit,
        after={"files": len(files)},
    )
    return request


@transaction.atomic
def check_schedule_interview(
    round_: Round, *, actor: User, person: str, scheduled_at: datetime, notes: str = ""
) -> Interview:
    _team_only(actor, round_)
    _working(round_)
    if not person.strip():
        raise ValidationError({"person": _("请填写谈话对象")})
    interview = Interview.objects.create(
        round=round_,
        person=person.strip()[:100],
        scheduled_at=scheduled_at,
        notes=notes.strip(),
        created_by=actor,
    )
    record_audit(actor=actor, action="oversight.round.interview", obj=round_)
    return interview


@transaction.atomic
def check_add_reception_member(
    round_: Round, *, actor: User, unit: Unit, name: str, position: str, role: str
) -> ReceptionMember:
    _unit_side(actor, unit)
    if unit not in round_units(round_):
        raise ValidationError(_("只有本轮巡察的单位需要成立迎接巡察工作领导小组"))
    if not name.strip():
        raise ValidationError({"name": _("请填写姓名")})
    if (
        role == ReceptionMember.Role.LEADER
        and round_.reception.filter(unit=unit, role=role).exists()
    ):
        raise ValidationError({"role": _("领导小组已有组长")})
    member = ReceptionMember(
        round=round_, unit=unit, name=name.strip(), position=position.strip(), role=role
    )
    member.full_clean()
    member.save()
    record_audit(actor=actor, action="oversight.round.reception", obj=round_, unit=unit)
    return member


@transaction.atomic
def check_self_check(
    round_: Round, *, actor: User, unit: Unit, text: str, fix_note: str
) -> RoundFinding:
    """即知即改: a unit's own finding with its fix, in the ledger at once as 立行立改."""
    _unit_side(actor, unit)
    if unit not in round_units(round_):
        raise ValidationError(_("只有本轮巡察的单位登记自查问题"))
    if round_.status not in {P.PREPARING, *WORKING}:
        raise ValidationError(
            _("当前阶段（%(s)s）不能登记自查问题") % {"s": round_.get_status_display()}
        )
    if not text.strip() or not fix_note.strip():
        raise ValidationError(_("请填写自查发现的问题和立行立改情况"))
    category = Category.objects.filter(name="其他", is_active=True).first() or (
        Category.objects.filter(is_active=True).order_by("sort_order", "id").first()
    )
    problem = ledger_actions.check_create_problem(
        actor=actor,
        unit=unit,
        category=category,
        list_kind=Problem.ListKind.LEADERSHIP,
        source=Problem.Source.SELF_CHECK,
        source_ref=round_.number,
        title=(_("迎接巡察自查：%(t)s") % {"t": text.strip()})[:200],
        description=text.strip() + "\n" + _("即知即改：") + fix_note.strip(),
        rectification_type=Problem.RectificationType.IMMEDIATE,
    )
    ledger_actions.check_assign(problem, actor=actor)
    finding = RoundFinding.objects.create(
        round=round_,
        unit=unit,
        kind=RoundFinding.Kind.SELF_CHECK,
        text=text.strip(),
        fix_note=fix_note.strip(),
        problem=problem,
        created_by=actor,
    )
    record_audit(actor=actor, action="oversight.round.self_check", obj=round_, unit=unit)
    return finding


@transaction.atomic
def check_add_round_finding(
    round_: Round, *, actor: User, unit: Unit, text: str, audience: str
) -> RoundFinding:
    _team_only(actor, round_)
    if round_.status not in {P.INVESTIGATING, P.REPORTING, P.FEEDBACK}:
        raise ValidationError(_("巡察发现在了解情况、报告和反馈阶段登记"))
    _in_round(round_, unit)
    if not text.strip():
        raise ValidationError({"text": _("请填写发现的问题")})
    if audience not in RoundFinding.Audience.values:
        raise ValidationError({"audience": _("请选择反馈对象")})
    finding = RoundFinding.objects.create(
        round=round_,
        unit=unit,
        kind=RoundFinding.Kind.FINDING,
        audience=audience,
        text=text.strip(),
        created_by=actor,
    )
    record_audit(actor=actor, action="oversight.round.finding", obj=round_, unit=unit)
    return finding


def review_label(round_: Round) -> str:
    """The re-check batch's name in the ledger (where a quarter's shows: ≤ 7 characters)."""
    return f"巡察{round_.pk}"[:7]


@transaction.atomic
def check_commit_review_draw(round_: Round, *, actor: User, percent: int, value_note: str) -> Draw:
    """回头看: commit a verifiable draw over the round's closed problems (its findings and
    self-checks); its two public values are entered on the draw's page as for any draw."""
    _office(actor, round_)
    ROUND.lock(round_)
    if round_.status != P.REVIEW:
        raise ValidationError(_("回头看抽查在“回头看”阶段进行"))
    if round_.review_draw_id is not None:
        raise ValidationError(_("本轮巡察已有回头看抽查"))
    if not 1 <= percent <= 100:
        raise ValidationError({"percent": _("抽取比例须在 1% 至 100% 之间")})
    if not value_note.strip():
        raise ValidationError(
            {"value_note": _("请写明约定的公开随机数来源（如某期开奖号码、某日指数收盘）")}
        )
    closed = Problem.objects.filter(
        source_ref=round_.number,
        source__in=[Problem.Source.INSPECTION, Problem.Source.SELF_CHECK],
        status=Problem.Status.CLOSED,
    ).order_by("number")
    pool = {
        "units": [
            {"id": pk, "code": number, "county": None, "stage": "", "weight": 1}
            for pk, number in closed.values_list("pk", "number")
        ],
        "inspectors": [],
    }
    if not pool["units"]:
        raise ValidationError(_("本轮巡察还没有已销号的问题，无可回头看"))
    params = {
        "count": None,
        "percent": percent,
        "stratify": False,
        "weighted": False,
        "inspectors_per_target": 0,
        "filters": {"round": round_.number, "problems": "closed"},
    }
    # At least one problem is re-checked, however few were closed.
    if drawing.total_for(params, len(pool["units"])) == 0:
        params["percent"], params["count"] = None, 1
    draw = draw_commit(
        actor=actor,
        owner=round_.owner,
        name=_("%(r)s 回头看抽查") % {"r": round_.name},
        purpose=Draw.Purpose.REVIEW,
        params=params,
        pool=pool,
        value_note=value_note,
    )
    round_.review_draw = draw
    round_.save(update_fields=["review_draw"])
    return draw


@transaction.atomic
def check_start_review(round_: Round, *, actor: User) -> int:
    """The drawn problems go to the ledger's 回头看 (a failed re-check reopens the problem)."""
    _office(actor, round_)
    draw = round_.review_draw
    if draw is None or draw.status != Draw.Status.DRAWN or not draw.result:
        raise ValidationError(_("请先完成回头看抽查的抽取"))
    ids = [t["unit"] for t in draw.result["targets"]]
    made = ledger_actions.check_add_rechecks(ids, label=review_label(round_), actor=actor)
    record_audit(
        actor=actor, action="oversight.round.review", obj=round_, after={"rechecks": len(made)}
    )
    return len(made)

"""四不两直: a sealed visit plan, its reveal to the group leader, the record on site, and the
findings handed to the ledger (source 督导) in the transaction that finishes the visit.

The target is kept as ciphertext with a commitment (SHA-256 of the target and a nonce);
`Visit.unit` stays empty until the visit starts. Nothing written while the plan is sealed —
notifications, audit rows, event rows — names the target.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from datetime import datetime

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
from qingfeng.orgs.models import Role, RoleAssignment, Unit, User
from qingfeng.oversight import drawing
from qingfeng.oversight.actions.draws import pool_inspectors
from qingfeng.oversight.models import CHECKLIST, Draw, Finding, FindingPhoto, Group, Visit
from qingfeng.oversight.permissions import OFFICE, on_team, reveal_open
from qingfeng.oversight.workflow import VISIT

PHOTOS = AttachmentRules(
    types=(ft.JPEG, ft.PNG),
    max_bytes=10 * MB,
    unsupported=gettext_lazy("不支持的文件类型：%(name)s（可上传 JPG、PNG 照片）"),
    scrub=True,  # GPS position, device and time go before the file is stored
)
MAX_PHOTOS = 6
# Which ledger category a checklist item's finding goes under (else 其他).
CATEGORIES = {
    "discipline": "工作纪律",
    "fees": "乱收费乱办班乱订资料",
    "materials": "教辅材料违规征订",
    "vehicles": "公车私用",
    "ethics": "师德师风",
}


def seal(unit: Unit) -> tuple[str, str]:
    """The ciphertext's plain text and its commitment."""
    plain = {"nonce": secrets.token_hex(16), "unit": unit.pk}
    return json.dumps(plain), drawing.sha256_hex(drawing.canonical(plain))


def unseal(visit: Visit) -> Unit:
    plain = json.loads(visit.sealed_target)
    if drawing.sha256_hex(drawing.canonical(plain)) != visit.commitment:
        raise ValidationError(_("密封的督导对象与承诺值不符，请联系系统管理员"))
    return Unit.objects.get(pk=plain["unit"])


def _number() -> str:
    year = timezone.localdate().year
    count = Visit.objects.filter(number__startswith=f"DD{year}-").count()
    return f"DD{year}-{count + 1:04d}"


def _recused(team: Sequence[User], unit: Unit, owner: Unit) -> list[str]:
    people = {row["id"]: row for row in pool_inspectors(owner)}
    counties = unit.ancestor_ids(include_self=True)
    county = Unit.objects.filter(pk__in=counties, kind=Unit.Kind.COUNTY).first()
    target = {"id": unit.pk, "county": county.pk if county else None}
    return [str(u) for u in team if u.pk in people and drawing.recused(people[u.pk], target)]


@transaction.atomic
def check_plan_visit(
    *,
    actor: User,
    group: Group,
    unit: Unit,
    planned_start: datetime,
    team: Sequence[User],
    checklist_items: Sequence[str],
    reveal_minutes: int = 30,
    deadline_workdays: int = 10,
    draw: Draw | None = None,
) -> Visit:
    """Seal a visit: the target goes in as ciphertext and a commitment only."""
    if not in_scope(actor, group.owner.path, roles=OFFICE):
        raise ValidationError(_("只有督导组所属单位的专项办或管理员可以安排督导"))
    if not group.is_active:
        raise ValidationError(_("该督导组已撤销"))
    if planned_start <= timezone.now():
        raise ValidationError({"planned_start": _("计划开始时间须晚于现在")})
    if not 0 <= reveal_minutes <= 240:
        raise ValidationError({"reveal_minutes": _("提前解封时间须在 0 至 240 分钟之间")})
    if not 1 <= deadline_workdays <= 120:
        raise ValidationError({"deadline_workdays": _("整改时限须在 1 至 120 个工作日之间")})
    if not any(unit.is_within(r) for r in group.regions.all()):
        raise ValidationError({"unit": _("督导对象不在本督导组的督导区域内")})
    items = [i for i in dict.fromkeys(checklist_items) if i]
    if not items or any(i not in CHECKLIST for i in items):
        raise ValidationError({"checklist_items": _("请选择检查项目")})
    members = {group.leader_id, *group.members.values_list("pk", flat=True)}
    if draw is None and any(u.pk not in members for u in team):
        raise ValidationError({"team": _("督导人员须是本督导组成员")})
    recused = _recused(team, unit, group.owner)
    if recused:
        raise ValidationError(
            {"team": _("以下人员须回避该对象：%(n)s") % {"n": "、".join(recused)}}
        )
    plain, commitment = seal(unit)
    visit = Visit.objects.create(
        number=_number(),
        group=group,
        draw=draw,
        planned_start=planned_start,
        reveal_minutes=reveal_minutes,
        checklist_items=items,
        sealed_target=plain,
        commitment=commitment,
        status=Visit.Status.SEALED,
        deadline_workdays=deadline_workdays,
        created_by=actor,
    )
    visit.team.set(team)
    VISIT.record_event(visit, "plan", actor=actor, to_status=visit.status)
    record_audit(
        actor=actor,
        action="oversight.visit.plan",
        obj=visit,
        after={"commitment": commitment, "planned_start": planned_start.isoformat()},
    )
    link = reverse("oversight:visit", args=[visit.pk])
    for user in {group.leader, *team}:
        notify(
            recipient=user,
            title=_("督导任务 %(n)s") % {"n": visit.number},
            body=_("出发时间 %(t)s；督导对象密封，出发前由组长解封。")
            % {"t": timezone.localtime(planned_start).strftime("%Y-%m-%d %H:%M")},
            link=link,
        )
    return visit


@transaction.atomic
def plan_visits_from_draw(
    draw: Draw,
    *,
    actor: User,
    group: Group,
    planned_start: datetime,
    checklist_items: Sequence[str],
    reveal_minutes: int = 30,
) -> list[Visit]:
    """The drawn targets become sealed visits, each with its drawn inspectors as the team."""
    if draw.status != Draw.Status.DRAWN or draw.result is None:
        raise ValidationError(_("请先完成抽取"))
    if draw.visits.exists():
        raise ValidationError(_("本次抽取已生成督导计划"))
    units = Unit.objects.in_bulk([t["unit"] for t in draw.result["targets"]])
    people = User.objects.in_bulk([p for t in draw.result["targets"] for p in t["inspectors"]])
    return [
        check_plan_visit(
            actor=actor,
            group=group,
            unit=units[t["unit"]],
            planned_start=planned_start,
            team=[people[p] for p in t["inspectors"]],
            checklist_items=checklist_items,
            reveal_minutes=reveal_minutes,
            draw=draw,
        )
        for t in draw.result["targets"]
    ]


@transaction.atomic
def reveal_target(visit: Visit, *, viewer: User) -> Unit:
    """The group leader looks at the sealed target (from its reveal time on); every look is
    an audit row."""
    if visit.group.leader_id != viewer.pk or not reveal_open(visit):
        raise ValidationError(_("督导对象尚未到解封时间，或您不是本组组长"))
    unit = unseal(visit)
    record_audit(actor=viewer, action="oversight.visit.reveal", obj=visit)
    return unit


@transaction.atomic
def check_start_visit(visit: Visit, *, actor: User) -> Visit:
    """On arrival: the target is unsealed into the record; from now on it is a visit of it."""
    if not on_team(actor, visit):
        raise ValidationError(_("只有本次督导的人员可以开始督导"))
    if not reveal_open(visit) and visit.status == Visit.Status.SEALED:
        raise ValidationError(_("尚未到督导时间"))
    with VISIT.move(visit, "start", actor=actor) as step:
        visit.unit = unseal(visit)
        visit.started_at = timezone.now()
        step.note.update(unit=visit.unit.pk)
    return visit


@transaction.atomic
def do_cancel_visit(visit: Visit, *, actor: User, reason: str) -> Visit:
    if not reason.strip():
        raise ValidationError({"reason": _("请填写取消原因")})
    return VISIT.apply(visit, "cancel", actor=actor, reason=reason.strip())


def _recording(visit: Visit, actor: User) -> None:
    if visit.status != Visit.Status.STARTED:
        raise VISIT.error(visit.status, "finish")
    if not on_team(actor, visit):
        raise ValidationError(_("只有本次督导的人员可以填写督导记录"))


@transaction.atomic
def check_save_record(
    visit: Visit, *, actor: User, met: str, checklist: dict[str, str], summary: str
) -> Visit:
    VISIT.lock(visit)
    _recording(visit, actor)
    unknown = [k for k in checklist if k not in visit.checklist_items]
    bad = [v for v in checklist.values() if v not in {"ok", "problem", "na"}]
    if unknown or bad:
        raise ValidationError({"checklist": _("检查结果只能是本次督导的检查项目")})
    visit.met, visit.summary = met.strip(), summary.strip()
    visit.checklist = dict(checklist)
    visit.updated_at = timezone.now()
    visit.save(update_fields=["met", "summary", "checklist", "updated_at"])
    record_audit(actor=actor, action="oversight.visit.record", obj=visit, after=visit.checklist)
    return visit


@transaction.atomic
def check_add_finding(
    visit: Visit,
    *,
    actor: User,
    item: str,
    text: str,
    fixed_on_spot: bool = False,
    fix_note: str = "",
    photos: Sequence[UploadedFile] = (),
) -> Finding:
    """A finding with its photos (metadata scrubbed); an immediate fix is recorded with it."""
    VISIT.lock(visit)
    _recording(visit, actor)
    if item not in visit.checklist_items:
        raise ValidationError({"item": _("请选择本次督导的检查项目")})
    if not text.strip():
        raise ValidationError({"text": _("请描述发现的问题")})
    if fixed_on_spot and not fix_note.strip():
        raise ValidationError({"fix_note": _("立行立改须写明现场整改和核实情况")})
    if len(photos) > MAX_PHOTOS:
        raise ValidationError({"photos": _("每条问题至多 %(n)d 张照片") % {"n": MAX_PHOTOS}})
    types = [PHOTOS.check(p) for p in photos]  # all checked before anything is stored
    finding = Finding.objects.create(
        visit=visit,
        item=item,
        text=text.strip(),
        fixed_on_spot=fixed_on_spot,
        fix_note=fix_note.strip(),
        created_by=actor,
    )
    for upload, content_type in zip(photos, types, strict=True):
        photo = FindingPhoto(finding=finding)
        PHOTOS.attach(photo, upload, content_type=content_type)
        photo.save()
    VISIT.record_event(visit, "finding", actor=actor, reason=text.strip()[:200])
    record_audit(
        actor=actor,
        action="oversight.visit.finding",
        obj=visit,
        after={"item": item, "fixed_on_spot": fixed_on_spot, "photos": len(photos)},
    )
    return finding


def category_for(item: str) -> Category:
    name = CATEGORIES.get(item, "其他")
    found = Category.objects.filter(name=name, is_active=True).first()
    return found or Category.objects.filter(is_active=True).order_by("sort_order", "id").first()  # type: ignore[return-value]


def unit_admins(unit: Unit) -> list[User]:
    ids = RoleAssignment.objects.filter(
        unit=unit, role=Role.UNIT_ADMIN, revoked_at__isnull=True
    ).values("user_id")
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("pk"))


@transaction.atomic
def check_finish_visit(visit: Visit, *, actor: User) -> Visit:
    """Leave the site: each finding becomes an assigned ledger problem (source 督导), with the
    visit's deadline in working days (立行立改 ones as immediate) — all or nothing."""
    VISIT.lock(visit)
    _recording(visit, actor)
    assert visit.unit is not None
    findings = list(visit.findings.all())
    with VISIT.move(visit, "finish", actor=actor) as step:
        visit.finished_at = timezone.now()
        step.note.update(findings=len(findings))
    for finding in findings:
        label = str(CHECKLIST.get(finding.item, finding.item))
        problem = ledger_actions.check_create_problem(
            actor=actor,
            unit=visit.unit,
            category=category_for(finding.item),
            list_kind=Problem.ListKind.LEADERSHIP,
            source=Problem.Source.SUPERVISION,
            source_ref=visit.number,
            title=(_("督导发现（%(i)s）：%(t)s") % {"i": label, "t": finding.text})[:200],
            description=finding.text
            + (("\n" + _("现场整改：") + finding.fix_note) if finding.fixed_on_spot else ""),
            rectification_type=(
                Problem.RectificationType.IMMEDIATE
                if finding.fixed_on_spot
                else Problem.RectificationType.TIME_LIMITED
            ),
            deadline_workdays=None if finding.fixed_on_spot else visit.deadline_workdays,
        )
        ledger_actions.check_assign(problem, actor=actor)
        finding.problem = problem
        finding.save(update_fields=["problem"])
    if findings:
        for user in unit_admins(visit.unit):
            notify(
                recipient=user,
                title=_("督导发现 %(n)d 个问题，已转入台账") % {"n": len(findings)},
                body=_("请按时限整改并报送进展（督导编号 %(v)s）。") % {"v": visit.number},
                link=reverse("ledger:list"),
            )
    return visit

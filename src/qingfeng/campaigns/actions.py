"""Every change in the campaign: one transaction each, its audit row inside.

Tasks reach units by category and stage (分类指导); a task is done by evidence the system
already holds where it can be (the unit's plan approved, its weekly report filed on time),
so nobody uploads what the system can show. The weekly report is pre-filled from the
registered figures: the unit confirms, corrects with a reason, and adds a short narrative.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from qingfeng.campaigns import evidence as task_evidence
from qingfeng.campaigns import fixture, selectors
from qingfeng.campaigns.models import (
    Assignment,
    Campaign,
    Phase,
    Project,
    Task,
    UnitPlan,
    WeeklyReport,
)
from qingfeng.campaigns.permissions import acts_for, decides_for, issues_from
from qingfeng.campaigns.rhythm import due_on, week_of
from qingfeng.campaigns.workflow import PLAN, REPORT
from qingfeng.core import registry
from qingfeng.core.actions import notify
from qingfeng.core.audit import record_audit
from qingfeng.core.calendar import get_calendar
from qingfeng.orgs.models import Person, Role, RoleAssignment, Unit, User

MAX_DUE_WORKDAYS = 250
MAX_EVIDENCE_TARGET = 99
REASON_MAX = 200


@transaction.atomic
def check_create_campaign(**kwargs: Any) -> Campaign:
    return _create_campaign(**kwargs)


def _create_campaign(
    *,
    actor: User,
    owner: Unit,
    name: str,
    starts_on: date,
    ends_on: date,
    plan_points: str = "",
    report_due_weekday: int = 1,
    phases: Sequence[tuple[str, date, date]] = (),
    projects: Sequence[tuple[str, str, Sequence[tuple[str, str]]]] = (),
) -> Campaign:
    """A campaign with its phases and its structure: (project, summary, [(action, summary)])."""
    errors: dict[str, list[str]] = {}
    if not name.strip():
        errors["name"] = [_("请填写专项工作名称")]
    if ends_on < starts_on:
        errors["ends_on"] = [_("结束日期不能早于开始日期")]
    if not 0 <= report_due_weekday <= 6:
        errors["report_due_weekday"] = [_("周报截止须为星期一至星期日")]
    for phase, first, last in phases:
        if last < first or first < starts_on or last > ends_on:
            errors.setdefault("phases", []).append(
                _("阶段“%(name)s”的日期须在专项工作期间内且不早于开始") % {"name": phase}
            )
    if errors:
        raise ValidationError(errors)
    campaign = Campaign.objects.create(
        name=name.strip(),
        owner=owner,
        starts_on=starts_on,
        ends_on=ends_on,
        plan_points=plan_points,
        report_due_weekday=report_due_weekday,
        created_by=actor,
    )
    Phase.objects.bulk_create(
        Phase(campaign=campaign, name=n, starts_on=a, ends_on=b) for n, a, b in phases
    )
    for order, (title, summary, children) in enumerate(projects):
        project = Project.objects.create(
            campaign=campaign, name=title, summary=summary, sort_order=order
        )
        Project.objects.bulk_create(
            Project(campaign=campaign, parent=project, name=n, summary=s, sort_order=i)
            for i, (n, s) in enumerate(children)
        )
    record_audit(actor=actor, action="campaigns.campaign.create", obj=campaign)
    return campaign


def task_targets(issuer: Unit, *, categories: Sequence[str], stages: Sequence[str]) -> list[Unit]:
    """The active units below the issuer that a task of these categories and stages reaches
    ([] = any). A stage applies to schools: a unit without a stage is never one of them."""
    units = Unit.objects.within(issuer).exclude(pk=issuer.pk).filter(is_active=True)
    if categories:
        units = units.filter(category__in=categories)
    if stages:
        units = units.filter(stage__in=stages)
    return list(units.order_by("path"))


@transaction.atomic
def check_issue_task(campaign: Campaign, **kwargs: Any) -> Task:
    return _issue_task(campaign, **kwargs)


def _issue_task(
    campaign: Campaign,
    *,
    actor: User,
    issuer: Unit,
    kind: str,
    title: str,
    requirement: str,
    due_workdays: int,
    evidence: str,
    evidence_option: str = "",
    evidence_target: int = 1,
    categories: Sequence[str] = (),
    stages: Sequence[str] = (),
    post_types: Sequence[str] = (),
    project: Project | None = None,
    today: date | None = None,
) -> Task:
    """Issue a task to the units below `issuer` of the given categories and stages; its
    deadline counted in working days from today."""
    errors: dict[str, list[str]] = {}
    if not issues_from(actor, issuer) or not issuer.path.startswith(campaign.owner.path):
        raise ValidationError(_("您不能以该单位名义下达本专项工作的任务"))
    if not title.strip():
        errors["title"] = [_("请填写任务名称")]
    if not requirement.strip():
        errors["requirement"] = [_("请填写任务要求")]
    if not 1 <= due_workdays <= MAX_DUE_WORKDAYS:
        errors["due_workdays"] = [_("完成时限须为 1 到 250 个工作日")]
    if kind not in Task.Kind.values:
        errors["kind"] = [_("请选择任务类型")]
    evidence_error = _evidence_error(evidence, evidence_option, evidence_target)
    if evidence_error:
        errors["evidence"] = [evidence_error]
    for name, chosen, allowed in (
        ("categories", categories, Unit.Category.values),
        ("stages", stages, [s for s in Unit.Stage.values if s]),
        ("post_types", post_types, Person.PostType.values),
    ):
        if any(c not in allowed for c in chosen):
            errors[name] = [_("选择的范围无效")]
    if project is not None and project.campaign_id != campaign.pk:
        errors["project"] = [_("所属项目不在本专项工作中")]
    targets = [] if errors else task_targets(issuer, categories=categories, stages=stages)
    if not errors and not targets:
        errors["categories"] = [_("所选类别和学段下没有单位，任务无人承接")]
    if errors:
        raise ValidationError(errors)
    today = today or timezone.localdate()
    task = Task.objects.create(
        campaign=campaign,
        issuer=issuer,
        project=project,
        kind=kind,
        title=title.strip(),
        requirement=requirement.strip(),
        categories=list(categories),
        stages=list(stages),
        post_types=list(post_types),
        due_workdays=due_workdays,
        due_on=get_calendar().add_workdays(today, due_workdays),
        evidence=evidence,
        evidence_option=evidence_option if evidence not in Task.Evidence.values else "",
        evidence_target=evidence_target if evidence not in Task.Evidence.values else 1,
        created_by=actor,
    )
    Assignment.objects.bulk_create(Assignment(task=task, unit=unit) for unit in targets)
    _complete_by_evidence(task, targets)
    # Records already there (a session held, the problems closed) count from the start.
    task_evidence.do_record_evidence(task, today)
    record_audit(
        actor=actor,
        action="campaigns.task.issue",
        obj=task,
        unit=issuer,
        after={"units": len(targets), "due_on": task.due_on.isoformat()},
    )
    return task


def _evidence_error(evidence: str, option: str, target: int) -> str:
    """Why the evidence chosen cannot be a task's, or ''."""
    if evidence in Task.Evidence.values:
        return ""
    found = registry.task_evidence_for(evidence)
    if found is None:
        return _("请选择完成依据")
    options = dict(found.options())
    if options and option not in options:
        return _("请选择“%(label)s”针对的对象") % {"label": found.label}
    if not 1 <= target <= MAX_EVIDENCE_TARGET:
        return _("须达到次数须为 1 到 99")
    return ""


@transaction.atomic
def check_create_seed_campaign(*, actor: User, owner: Unit, start: date) -> Campaign:
    """The seed campaign (the campaign speech's plan) from `start`, its tasks issued by
    `owner` to the units below it — those of a category the owner has no unit of left out —
    in one transaction."""
    campaign = _create_campaign(
        actor=actor,
        owner=owner,
        name=fixture.NAME,
        starts_on=start,
        ends_on=start + timedelta(days=fixture.DAYS),
        plan_points=fixture.PLAN_POINTS,
        phases=fixture.phases_from(start),
        projects=fixture.PROJECTS,
    )
    projects = {p.name: p for p in Project.objects.filter(campaign=campaign, parent=None)}
    for kind, title, text, categories, stages, posts, days, evidence, project in fixture.TASKS:
        key, _sep, option = evidence.partition(":")
        if not task_targets(owner, categories=categories, stages=stages):
            continue
        if _evidence_error(key, option, 1):  # the app that holds the evidence is not installed
            continue
        _issue_task(
            campaign,
            actor=actor,
            issuer=owner,
            kind=kind,
            title=title,
            requirement=text,
            categories=categories,
            stages=stages,
            post_types=posts,
            due_workdays=days,
            evidence=key,
            evidence_option=option,
            project=projects[project],
            today=start,
        )
    return campaign


def _complete_by_evidence(task: Task, units: Sequence[Unit]) -> None:
    """A task whose evidence already exists is done at once (a plan approved before)."""
    if task.evidence == Task.Evidence.PLAN:
        approved = UnitPlan.objects.filter(
            campaign=task.campaign, unit__in=units, status=UnitPlan.Status.APPROVED
        ).values("unit_id")
        task.assignments.filter(unit_id__in=approved).update(
            status=Assignment.Status.DONE, done_at=timezone.now()
        )


def _evidence_done(campaign: Campaign, unit: Unit, evidence: str, actor: User | None) -> None:
    Assignment.objects.filter(
        task__campaign=campaign,
        task__evidence=evidence,
        unit=unit,
        status=Assignment.Status.OPEN,
    ).update(status=Assignment.Status.DONE, done_at=timezone.now(), done_by=actor)


@transaction.atomic
def check_confirm_assignment(assignment: Assignment, *, actor: User, note: str) -> Assignment:
    """The unit confirms a task the system cannot see done, with a line on how."""
    if not acts_for(actor, assignment.unit):
        raise ValidationError(_("只有本单位管理员可以确认本单位的任务"))
    if assignment.task.evidence != Task.Evidence.CONFIRM:
        raise ValidationError(
            _("此任务由系统依据“%(evidence)s”自动判定完成，无需填报")
            % {"evidence": assignment.task.evidence_label}
        )
    note = note.strip()
    if not note or len(note) > REASON_MAX:
        raise ValidationError({"note": [_("请用 200 字以内说明完成情况")]})
    row = Assignment.objects.select_for_update().get(pk=assignment.pk)
    if row.status == Assignment.Status.DONE:
        raise ValidationError(_("此任务已确认完成"))
    row.status, row.done_at, row.done_by, row.note = (
        Assignment.Status.DONE,
        timezone.now(),
        actor,
        note,
    )
    row.save(update_fields=["status", "done_at", "done_by", "note"])
    record_audit(actor=actor, action="campaigns.task.confirm", obj=row, unit=row.unit)
    return row


@transaction.atomic
def check_submit_plan(campaign: Campaign, *, unit: Unit, actor: User, points: str) -> UnitPlan:
    """The unit's implementation plan, to the level above (again after it was returned)."""
    if not acts_for(actor, unit) or not unit.path.startswith(campaign.owner.path):
        raise ValidationError(_("只有本单位管理员可以报送本单位的实施方案"))
    points = points.strip()
    if len(points) < 10:
        raise ValidationError({"points": [_("请填写方案要点（至少 10 个字）")]})
    plan = UnitPlan.objects.select_for_update().filter(campaign=campaign, unit=unit).first()
    if plan is None:
        plan = UnitPlan.objects.create(
            campaign=campaign,
            unit=unit,
            points=points,
            status=UnitPlan.Status.SUBMITTED,
            submitted_by=actor,
        )
        PLAN.record_event(plan, "submit", actor=actor, to_status=plan.status)
        record_audit(actor=actor, action="campaigns.plan.submit", obj=plan, unit=unit)
        return plan
    with PLAN.move(plan, "resubmit", actor=actor):
        plan.points, plan.submitted_by = points, actor
    return plan


@transaction.atomic
def check_decide_plan(plan: UnitPlan, *, actor: User, approve: bool, reason: str) -> UnitPlan:
    if not decides_for(actor, plan.unit):
        raise ValidationError(_("实施方案由上一级审核，不能审核本单位或无关单位的方案"))
    reason = reason.strip()
    if not approve and not reason:
        raise ValidationError({"reason": [_("退回时请说明理由")]})
    with PLAN.move(plan, "approve" if approve else "return", actor=actor, reason=reason):
        pass
    if approve:
        _evidence_done(plan.campaign, plan.unit, Task.Evidence.PLAN, actor)
    return plan


# The weekly report


def report_due(campaign: Campaign, week_start: date) -> date:
    return due_on(week_start, weekday=campaign.report_due_weekday, calendar=get_calendar())


def locked(report: WeeklyReport, today: date) -> bool:
    """A filed report is locked once its due day is over (a returned one may be filed)."""
    return report.status != WeeklyReport.Status.RETURNED and today > report.due_on


def _clean_corrections(
    corrections: Mapping[str, tuple[int, str]], figures: Mapping[str, int]
) -> tuple[dict[str, dict[str, object]], list[str]]:
    cleaned: dict[str, dict[str, object]] = {}
    errors: list[str] = []
    labels = selectors.label_table()
    for key, (value, reason) in corrections.items():
        if key not in figures:
            errors.append(_("没有名为“%(key)s”的数据项") % {"key": key})
            continue
        if value == figures[key]:
            continue  # the system's own figure: nothing corrected
        label = labels.get(key, key)
        if value < 0:
            errors.append(_("“%(label)s”不能为负数") % {"label": label})
        elif not reason.strip() or len(reason.strip()) > REASON_MAX:
            errors.append(_("更正“%(label)s”须说明理由（200 字以内）") % {"label": label})
        else:
            cleaned[key] = {"value": value, "reason": reason.strip()}
    return cleaned, errors


@transaction.atomic
def check_file_report(
    campaign: Campaign,
    *,
    unit: Unit,
    week_start: date,
    actor: User,
    corrections: Mapping[str, tuple[int, str]] | None = None,
    narrative: str = "",
    next_week: str = "",
    today: date | None = None,
) -> WeeklyReport:
    """File (or correct before the lock, or file again when returned) the unit's report for
    the week. The figures are the system's as of now; late when filed after the due day."""
    today = today or timezone.localdate()
    if not acts_for(actor, unit) or not unit.path.startswith(campaign.owner.path):
        raise ValidationError(_("只有本单位管理员可以报送本单位的周报"))
    if week_start != week_of(week_start):
        raise ValidationError(_("周次须从星期一开始"))
    if week_start > today:
        raise ValidationError(_("这一周还没有开始，不能报送"))
    if week_start < week_of(campaign.starts_on) or week_start > campaign.ends_on:
        raise ValidationError(_("这一周不在专项工作期间内"))
    narrative, next_week = narrative.strip(), next_week.strip()
    errors: dict[str, list[str]] = {}
    cap = campaign.narrative_cap
    for name, text in (("narrative", narrative), ("next_week", next_week)):
        if len(text) > cap:
            errors[name] = [_("不超过 %(cap)s 字（现 %(n)s 字）") % {"cap": cap, "n": len(text)}]
    figures = selectors.prefill(unit, week_start)
    cleaned, wrong = _clean_corrections(corrections or {}, figures)
    if wrong:
        errors["corrections"] = wrong
    if errors:
        raise ValidationError(errors)
    fields = len(cleaned) + bool(narrative) + bool(next_week)
    existing = (
        WeeklyReport.objects.select_for_update()
        .filter(campaign=campaign, unit=unit, week_start=week_start)
        .first()
    )
    if existing is None:
        due = report_due(campaign, week_start)
        report = WeeklyReport.objects.create(
            campaign=campaign,
            unit=unit,
            week_start=week_start,
            due_on=due,
            status=WeeklyReport.Status.FILED,
            figures=figures,
            corrections=cleaned,
            narrative=narrative,
            next_week=next_week,
            filed_by=actor,
            filed_at=timezone.now(),
            late=today > due,
            fields_filled=fields,
        )
        REPORT.record_event(report, "file", actor=actor, to_status=report.status)
        record_audit(
            actor=actor,
            action="campaigns.report.file",
            obj=report,
            unit=unit,
            after={"late": report.late, "corrections": sorted(cleaned)},
        )
        if not report.late:
            _evidence_done(campaign, unit, Task.Evidence.WEEKLY, actor)
        return report
    if locked(existing, today):
        raise ValidationError(
            _("%(week)s 这一周的周报已于 %(due)s 截止报送并锁定，不能再修改")
            % {"week": existing.week_start.isoformat(), "due": existing.due_on.isoformat()}
        )
    action = "refile" if existing.status == WeeklyReport.Status.RETURNED else "correct"
    with REPORT.move(existing, action, actor=actor) as step:
        existing.figures, existing.corrections = figures, cleaned
        existing.narrative, existing.next_week = narrative, next_week
        existing.fields_filled = min(existing.fields_filled + fields, 32767)
        step.note["corrections"] = sorted(cleaned)
    return existing


@transaction.atomic
def check_review_report(
    report: WeeklyReport, *, actor: User, approve: bool, reason: str
) -> WeeklyReport:
    if not decides_for(actor, report.unit):
        raise ValidationError(_("周报由上一级审核，不能审核本单位或无关单位的周报"))
    reason = reason.strip()
    if not approve and not reason:
        raise ValidationError({"reason": [_("退回时请说明理由")]})
    with REPORT.move(report, "approve" if approve else "return", actor=actor, reason=reason):
        pass
    if not approve:
        for admin in _unit_admins([report.unit]).get(report.unit_id, []):
            notify(
                recipient=admin,
                title=_("周报被退回：%(reason)s") % {"reason": reason[:80]},
                link=reverse("campaigns:report", args=[report.pk]),
            )
    return report


def _unit_admins(units: Sequence[Unit]) -> dict[int, list[User]]:
    rows = RoleAssignment.objects.filter(
        unit__in=units, role=Role.UNIT_ADMIN, revoked_at__isnull=True, user__is_active=True
    ).select_related("user")
    result: dict[int, list[User]] = {}
    for row in rows:
        result.setdefault(row.unit_id, []).append(row.user)
    return result


@transaction.atomic
def do_remind_missing(
    campaign: Campaign, *, actor: User, week_start: date, units: Sequence[Unit]
) -> int:
    """催报: a notification to the admins of every unit here that has not filed the week."""
    filed = set(
        campaign.reports.filter(week_start=week_start, unit__in=units).values_list(
            "unit_id", flat=True
        )
    )
    missing = [u for u in units if u.pk not in filed and decides_for(actor, u)]
    sent = 0
    link = reverse("campaigns:weekly_home")
    for unit_admins in _unit_admins(missing).values():
        for admin in unit_admins:
            notify(
                recipient=admin,
                title=_("请报送 %(week)s 这一周的周报（%(name)s）")
                % {"week": week_start.isoformat(), "name": campaign.name},
                link=link,
            )
            sent += 1
    record_audit(
        actor=actor,
        action="campaigns.report.remind",
        obj=campaign,
        after={"week": week_start.isoformat(), "units": len(missing), "sent": sent},
    )
    return sent

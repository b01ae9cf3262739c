"""回炉补课: what closing a round does for each unit the 85 % rule catches, and the decision
after its re-evaluation. Everything in the caller's transaction; idempotent per unit."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from qingfeng.core.actions import notify
from qingfeng.core.audit import record_audit
from qingfeng.core.calendar import get_calendar
from qingfeng.evaluation import selectors, stats
from qingfeng.evaluation.models import Remedial, Response, Round
from qingfeng.evaluation.permissions import OFFICE
from qingfeng.evaluation.selectors import UnitResult
from qingfeng.evaluation.workflow import REMEDIAL
from qingfeng.ledger import actions as ledger_actions
from qingfeng.ledger.models import Category, Problem
from qingfeng.orgs.models import Liaison, Role, RoleAssignment, Unit, User

# Which ledger category a low-scoring item's problem goes under (else 其他).
ITEM_CATEGORIES = {
    "师德师风": "师德师风",
    "规范收费": "乱收费乱办班乱订资料",
    "服务态度": "服务态度与效能",
    "规范办学": "工作纪律",
}


def _category(item: str) -> Category:
    name = ITEM_CATEGORIES.get(item, "其他")
    found = Category.objects.filter(name=name, is_active=True).first()
    return found or Category.objects.filter(is_active=True).order_by("sort_order", "id").first()  # type: ignore[return-value]


def _list_kind(unit: Unit) -> str:
    if unit.kind == Unit.Kind.DEPARTMENT:
        return Problem.ListKind.DEPARTMENT_RISK
    return Problem.ListKind.LEADERSHIP


def recipients(unit: Unit, *, office_of: Unit | None = None) -> list[User]:
    """The unit's admins and the leaders whose liaison counties hold it (and, on
    escalation, the office that ran the round)."""
    admins = RoleAssignment.objects.filter(
        unit=unit, role=Role.UNIT_ADMIN, revoked_at__isnull=True
    ).values("user_id")
    leaders = Liaison.objects.filter(county_id__in=unit.ancestor_ids(include_self=True)).values(
        "leader_id"
    )
    query = Q(pk__in=admins) | Q(pk__in=leaders)
    if office_of is not None:
        query |= Q(
            pk__in=RoleAssignment.objects.filter(
                unit=office_of, role__in=OFFICE, revoked_at__isnull=True
            ).values("user_id")
        )
    return list(User.objects.filter(query, is_active=True).order_by("pk"))


def _description(round_: Round, result: UnitResult, item: str | None, comments: list[str]) -> str:
    lines = [
        _("%(round)s：群众满意率 %(rate)s（有效样本 %(n)d，95%% 置信区间 %(ci)s），低于 %(t)d%%。")
        % {
            "round": round_.name,
            "rate": result.rate_text,
            "n": result.base,
            "ci": result.interval_text,
            "t": round_.threshold,
        }
    ]
    if item is not None:
        lines.append(_("评分较低的项目：%(i)s。") % {"i": item})
    if comments:
        lines.append(_("群众意见（摘录）："))
        lines += [f"- {c}" for c in comments]
    return "\n".join(lines)


def open_remedials(round_: Round, rows: Sequence[UnitResult], *, actor: User) -> list[Remedial]:
    """For each caught unit, once: the remedial record, its ledger problems (one per item
    below the threshold, else one for the overall rate), the notifications, and the
    re-evaluation window."""
    calendar = get_calendar()
    today = timezone.localdate()
    made: list[Remedial] = []
    for result in rows:
        unit = result.unit
        if Remedial.objects.filter(round=round_, unit=unit).exists():
            continue
        opens = calendar.add_workdays(today, round_.reeval_workdays)
        remedial = Remedial.objects.create(
            round=round_,
            unit=unit,
            number=f"HL{round_.pk}-{unit.code}",
            status=Remedial.Status.OPEN,
            rate=Decimal(str(result.rate or 0)).quantize(Decimal("0.0001")),
            base=result.base,
            reeval_opens_on=opens,
            reeval_closes_on=calendar.add_workdays(opens, 10),
        )
        REMEDIAL.record_event(remedial, "create", actor=actor, to_status=remedial.status)
        rates = selectors.item_rates(round_, unit)
        low = [i for i, r in rates.items() if r is not None and r * 100 < round_.threshold]
        comments = selectors.dissatisfied_comments(round_, unit)
        targets: list[str | None] = [*low] or [None]
        for item in targets:
            title = (
                _("群众评议“%(i)s”满意率未达标：%(u)s") % {"i": item, "u": unit.name}
                if item
                else _("群众满意率未达标，回炉补课：%(u)s") % {"u": unit.name}
            )
            problem = ledger_actions.check_create_problem(
                actor=actor,
                unit=unit,
                category=_category(item or ""),
                list_kind=_list_kind(unit),
                source=Problem.Source.REMEDIAL,
                source_ref=remedial.number,
                title=title[:200],
                description=_description(round_, result, item, comments),
                rectification_type=Problem.RectificationType.TIME_LIMITED,
                deadline_workdays=round_.remedial_workdays,
            )
            ledger_actions.check_assign(problem, actor=actor)
        link = reverse("evaluation:remedial", args=[remedial.pk])
        for user in recipients(unit):
            notify(
                recipient=user,
                title=_("回炉补课：%(u)s 群众满意率 %(r)s")
                % {"u": unit.name, "r": result.rate_text},
                body=_("请按台账问题限期整改；复评时间 %(a)s 至 %(b)s。")
                % {"a": opens.isoformat(), "b": remedial.reeval_closes_on.isoformat()},
                link=link,
            )
        record_audit(
            actor=actor,
            action="evaluation.remedial.create",
            obj=remedial,
            after={"rate": str(remedial.rate), "base": remedial.base, "problems": len(low) or 1},
        )
        made.append(remedial)
    return made


@transaction.atomic
def check_decide_reevaluation(remedial: Remedial, *, actor: User) -> Remedial:
    """After the re-evaluation: at or above the threshold closes the remedial round; still
    below escalates it (提级督办) and marks the unit for the quarterly assessment."""
    round_ = remedial.round
    found = selectors.counts(Response.objects.filter(remedial=remedial), round_).get(
        remedial.unit_id, {}
    )
    base, satisfied = found.get("base", 0), found.get("satisfied", 0)
    if base < round_.min_sample:
        raise ValidationError(
            _("复评有效样本 %(n)d 份，少于最低样本量 %(m)d 份，暂不能判定")
            % {"n": base, "m": round_.min_sample}
        )
    passed = satisfied * 100 >= round_.threshold * base
    with REMEDIAL.move(remedial, "pass" if passed else "escalate", actor=actor) as step:
        remedial.reeval_base = base
        remedial.reeval_rate = Decimal(satisfied / base).quantize(Decimal("0.0001"))
        remedial.decided_at, remedial.decided_by = timezone.now(), actor
        remedial.for_assessment = not passed
        step.note.update(rate=stats.percent(satisfied / base), base=base)
    if not passed:
        for user in recipients(remedial.unit, office_of=round_.owner):
            notify(
                recipient=user,
                title=_("提级督办：%(u)s 复评满意率仍低于 %(t)d%%")
                % {"u": remedial.unit.name, "t": round_.threshold},
                body=_("复评满意率 %(r)s（有效样本 %(n)d），已纳入季度考评。")
                % {"r": stats.percent(satisfied / base), "n": base},
                link=reverse("evaluation:remedial", args=[remedial.pk]),
            )
    return remedial

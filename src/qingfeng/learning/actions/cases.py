"""The typical-case library: a case entered, or proposed from a closed ledger problem with a
first redaction (the shared masking, the units and dates generalised), edited by a person,
checked against the source unit's roster names, and approved by the bureau. The search
tokens are written with every change."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qingfeng.core.audit import record_audit
from qingfeng.core.registry import CaseMaterial
from qingfeng.learning import search
from qingfeng.learning.models import Case
from qingfeng.learning.workflow import CASE
from qingfeng.ledger.models import Problem
from qingfeng.lib.redact import Audience, redact
from qingfeng.orgs.models import Unit, User
from qingfeng.orgs.selectors import roster_names

TEXT_FIELDS = ("title", "facts", "rules", "outcome", "lessons", "source_document")
FULL_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*\d{1,2}\s*日")
ISO_DATE = re.compile(r"(\d{4})[-./](\d{1,2})[-./]\d{1,2}")


def _unit_words(unit: Unit) -> list[tuple[str, str]]:
    """The names of the unit and the units above it, longest first, with what replaces them."""
    units = Unit.objects.filter(pk__in=unit.ancestor_ids(include_self=True))
    found: list[tuple[str, str]] = []
    for u in units:
        generic = _("某校") if u.kind in (Unit.Kind.SCHOOL, Unit.Kind.KINDERGARTEN) else _("某单位")
        for name in (u.name, u.short_name, *u.alias_list()):
            if name and len(name) >= 2:
                found.append((name, generic))
    return sorted(found, key=lambda pair: -len(pair[0]))


def generalise(text: str, *, unit: Unit, names: Iterable[str] = ()) -> str:
    """The first redaction of a source text: personal data for the public (roster names
    included), the unit's and its parents' names, and days of the month."""
    text = redact(text, names=names, audience=Audience.PUBLIC, roster=roster_names(unit))
    for name, generic in _unit_words(unit):
        text = text.replace(name, generic)
    text = FULL_DATE.sub(lambda m: f"{m.group(1)}年{int(m.group(2))}月", text)
    return ISO_DATE.sub(lambda m: f"{m.group(1)}年{int(m.group(2))}月", text)


def surviving_names(case: Case) -> list[str]:
    """Roster names of the source unit (or the owner) still in the case's text."""
    if case.source_unit is not None:
        unit = case.source_unit
    elif case.source_problem_id:
        unit = case.source_problem.unit  # type: ignore[union-attr]
    else:
        unit = case.owner
    body = search.body_of({f: getattr(case, f) for f in TEXT_FIELDS})
    return [n for n in roster_names(unit) if len(n) >= 2 and n in body]


def _reindex(case: Case) -> None:
    values = {f: getattr(case, f) for f in TEXT_FIELDS}
    case.body = search.body_of(values)
    case.tokens = search.tokens(case.body)


def _number() -> str:
    year = timezone.localdate().year
    last = Case.objects.filter(number__startswith=f"AL{year}-").order_by("-number").first()
    serial = int(last.number.rsplit("-", 1)[1]) + 1 if last else 1
    return f"AL{year}-{serial:05d}"


def _clean(fields: dict[str, Any]) -> dict[str, Any]:
    out = {k: (v.strip() if isinstance(v, str) else v) for k, v in fields.items()}
    if not out.get("title") or not out.get("facts"):
        raise ValidationError(_("请填写案例标题和基本案情"))
    if out.get("category") not in Case.Category.values:
        raise ValidationError({"category": _("请选择案例类别")})
    if out.get("level") not in Case.Level.values:
        raise ValidationError({"level": _("请选择案例层级")})
    return out


@transaction.atomic
def check_enter_case(*, actor: User, owner: Unit, **fields: Any) -> Case:
    """A case entered by hand (an other region's or a national report), as a draft."""
    case = Case(number=_number(), owner=owner, created_by=actor, **_clean(fields))
    _reindex(case)
    case.full_clean()
    case.save()
    search.write_index(case.pk, case.tokens)
    CASE.record_event(case, "create", actor=actor, to_status=case.status)
    record_audit(actor=actor, action="learning.case.create", obj=case, after={"title": case.title})
    return case


@transaction.atomic
def check_propose_case(problem: Problem, *, actor: User, owner: Unit) -> Case:
    """A closed ledger problem proposed as a case: its text, first redacted; the link to the
    problem is kept (shown only to staff who may open the problem)."""
    if problem.status != Problem.Status.CLOSED:
        raise ValidationError(_("只有已销号的问题才能推荐为典型案例"))
    if Case.objects.filter(source_problem=problem).exclude(status=Case.Status.REJECTED).exists():
        raise ValidationError(_("该问题已推荐为案例"))
    people = [p.name for p in (problem.responsible_person, problem.responsible_leader) if p]
    unit = problem.unit

    def clean(text: str) -> str:
        return generalise(text, unit=unit, names=people)

    day = timezone.localdate(problem.closed_at) if problem.closed_at else None
    return check_enter_case(
        actor=actor,
        owner=owner,
        title=clean(problem.title),
        facts=clean(problem.description),
        outcome=clean(problem.cause or ""),
        lessons="",
        rules="",
        category=Case.Category.OTHER,
        level=Case.Level.LOCAL,
        source_document=problem.number,
        occurred_on=day.replace(day=1) if day else None,
        source_problem=problem,
    )


@transaction.atomic
def check_propose_case_from(material: CaseMaterial, *, actor: User, owner: Unit) -> Case:
    """A closed item of another app (a ticket, through the registry) proposed as a case: its
    text as the proposer may read it, first redacted like a problem's (the shared masking with
    the source unit's roster and the item's names, units and days generalised); the key and
    id of the item are kept privately, never its number in the case's text."""
    proposed = Case.objects.filter(source_kind=material.key, source_id=material.pk)
    if proposed.exclude(status=Case.Status.REJECTED).exists():
        raise ValidationError(_("该工单已推荐为案例"))
    unit = material.unit

    def clean(text: str) -> str:
        return generalise(text, unit=unit, names=material.names)

    day = material.closed_on
    case = check_enter_case(
        actor=actor,
        owner=owner,
        title=clean(material.title),
        facts=clean(material.text) or clean(material.title),
        outcome=clean(material.outcome),
        lessons="",
        rules="",
        category=Case.Category.OTHER,
        level=Case.Level.LOCAL,
        source_document="",
        occurred_on=day.replace(day=1) if day else None,
        source_kind=material.key,
        source_id=material.pk,
        source_number=material.number,
        source_unit=unit,
    )
    record_audit(
        actor=actor,
        action="learning.case.propose",
        obj=case,
        after={"source": material.key, "id": material.pk},
    )
    return case


@transaction.atomic
def check_edit_case(case: Case, *, actor: User, **fields: Any) -> Case:
    if case.status != Case.Status.DRAFT:
        raise ValidationError(_("只有待脱敏（草稿）的案例可以修改"))
    before = {f: getattr(case, f) for f in TEXT_FIELDS}
    current = {f: getattr(case, f) for f in (*TEXT_FIELDS, "category", "level", "occurred_on")}
    current.update(fields)
    for key, value in _clean(current).items():
        setattr(case, key, value)
    _reindex(case)
    case.updated_at = timezone.now()
    case.full_clean()
    case.save()
    search.write_index(case.pk, case.tokens)
    CASE.record_event(case, "edit", actor=actor)
    record_audit(actor=actor, action="learning.case.edit", obj=case, before=before)
    return case


def _names_check(case: Case) -> None:
    left = surviving_names(case)
    if left:
        raise ValidationError(
            _("案例中仍有本单位人员姓名，请先脱敏：%(n)s") % {"n": "、".join(left)}
        )


@transaction.atomic
def check_submit_case(case: Case, *, actor: User) -> Case:
    _names_check(case)
    return CASE.apply(case, "submit", actor=actor)


@transaction.atomic
def check_decide_case(case: Case, *, actor: User, action: str, reason: str = "") -> Case:
    if action not in ("approve", "return", "reject"):
        raise ValidationError(_("审核结果无效"))
    if action != "approve" and not reason.strip():
        raise ValidationError({"reason": _("请填写退回或不予采用的理由")})
    if action == "approve":
        _names_check(case)
    with CASE.move(case, action, actor=actor, reason=reason.strip()):
        if action == "approve":
            case.approved_by = actor
    return case

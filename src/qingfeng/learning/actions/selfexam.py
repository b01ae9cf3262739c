"""五查五看: a self-examination of a leadership team, a department or a person, and the
problems it found written into the ledger in the same transaction (source 自查, the list by
who examined themselves), each assigned with its measures and deadline."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qingfeng.core.audit import record_audit
from qingfeng.core.lifecycle import StrOrPromise
from qingfeng.learning.models import SelfExam
from qingfeng.ledger import actions as ledger_actions
from qingfeng.ledger.models import Category, Problem
from qingfeng.orgs.models import Person, Unit, User

D = Problem.Dimension
# The five checks, each with the ledger dimension its problems carry.
CHECKS: dict[str, tuple[StrOrPromise, StrOrPromise]] = {
    D.THINKING: (gettext_lazy("查思想认识"), gettext_lazy("看政治站位")),
    D.RULES: (gettext_lazy("查制度执行"), gettext_lazy("看纪律意识")),
    D.DELIVERY: (gettext_lazy("查工作落实"), gettext_lazy("看责任担当")),
    D.SERVICE: (gettext_lazy("查服务效能"), gettext_lazy("看宗旨意识")),
    D.INTEGRITY: (gettext_lazy("查廉洁自律"), gettext_lazy("看底线坚守")),
}
COMPARISONS = (
    gettext_lazy("对照党章党规党纪"),
    gettext_lazy("对照中央八项规定及其实施细则精神"),
    gettext_lazy("对照典型案例和群众期盼"),
)
LIST_OF: dict[str, str] = {
    SelfExam.Kind.LEADERSHIP: Problem.ListKind.LEADERSHIP,
    SelfExam.Kind.DEPARTMENT: Problem.ListKind.DEPARTMENT_RISK,
    SelfExam.Kind.PERSON: Problem.ListKind.PERSONAL,
}


@dataclass
class Found:
    """A problem found under one of the five checks."""

    dimension: str
    title: str
    description: str
    measures: Sequence[str] = field(default_factory=list)
    deadline: date | None = None
    long_term: bool = False
    category: Category | None = None


def _default_category() -> Category:
    category = (
        Category.objects.filter(is_active=True, name="其他").first()
        or Category.objects.filter(is_active=True).order_by("sort_order", "id").first()
    )
    if category is None:
        raise ValidationError(_("台账尚未设置问题类别，请联系管理员"))
    return category


def _number(unit: Unit) -> str:
    year = timezone.localdate().year
    count = SelfExam.objects.filter(number__startswith=f"ZC{year}-{unit.code}-").count()
    return f"ZC{year}-{unit.code}-{count + 1:03d}"


@transaction.atomic
def check_submit_self_exam(
    *,
    actor: User,
    unit: Unit,
    kind: str,
    title: str,
    answers: Mapping[str, str],
    comparisons: str = "",
    person: Person | None = None,
    found: Sequence[Found] = (),
) -> SelfExam:
    if kind not in LIST_OF:
        raise ValidationError({"kind": _("自查对象无效")})
    if kind == SelfExam.Kind.PERSON and (person is None or person.unit_id != unit.pk):
        raise ValidationError({"person": _("个人自查须是本单位在岗人员本人")})
    if kind == SelfExam.Kind.DEPARTMENT and unit.kind != Unit.Kind.DEPARTMENT:
        raise ValidationError({"kind": _("科室自查只适用于内设科室")})
    missing = [str(CHECKS[d][0]) for d in CHECKS if not (answers.get(d) or "").strip()]
    if missing:
        raise ValidationError(
            {"answers": _("请逐项填写自查情况：%(m)s") % {"m": "、".join(missing)}}
        )
    today = timezone.localdate()
    for i, item in enumerate(found, start=1):
        if item.dimension not in CHECKS:
            raise ValidationError(_("第 %(i)d 个问题的维度无效") % {"i": i})
        if not item.title.strip():
            raise ValidationError(_("第 %(i)d 个问题请填写问题概述") % {"i": i})
        if not [m for m in item.measures if m.strip()]:
            raise ValidationError(_("第 %(i)d 个问题请填写整改措施") % {"i": i})
        if not item.long_term and (item.deadline is None or item.deadline < today):
            raise ValidationError(_("第 %(i)d 个问题请填写今天以后的整改时限") % {"i": i})
    exam = SelfExam.objects.create(
        number=_number(unit),
        unit=unit,
        person=person if kind == SelfExam.Kind.PERSON else None,
        kind=kind,
        title=title.strip()[:100] or _("五查五看自查"),
        answers={d: (answers.get(d) or "").strip() for d in CHECKS},
        comparisons=comparisons.strip(),
        submitted_by=actor,
    )
    category = None
    problems = []
    for item in found:
        category = item.category or category or _default_category()
        problem = ledger_actions.check_create_problem(
            actor=actor,
            unit=unit,
            category=category,
            list_kind=LIST_OF[kind],
            source=Problem.Source.SELF_CHECK,
            source_ref=exam.number,
            dimension=item.dimension,
            title=item.title.strip()[:200],
            description=item.description.strip() or item.title.strip(),
            responsible_person=exam.person,
            rectification_type=(
                Problem.RectificationType.LONG_TERM
                if item.long_term
                else Problem.RectificationType.TIME_LIMITED
            ),
            deadline=None if item.long_term else item.deadline,
            measures=item.measures,
        )
        ledger_actions.check_assign(problem, actor=actor)
        problems.append(problem.number)
    record_audit(
        actor=actor,
        action="learning.selfexam.submit",
        obj=exam,
        after={"kind": kind, "problems": problems},
    )
    return exam

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Count

from qingfeng.ledger import actions
from qingfeng.ledger.models import PROBLEM_TALLY, Category, Problem
from qingfeng.orgs.models import Person
from qingfeng.test import BaseTestCase

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
_shots = itertools.count(1)


def png(name: str = "after.png", content: bytes | None = None) -> SimpleUploadedFile:
    """A photo; each call a new one (a photo taken again differs), unless `content` is given."""
    data = content if content is not None else PNG + next(_shots).to_bytes(4, "big")
    return SimpleUploadedFile(name, data, content_type="image/png")


def subtree_sums_against_counts(
    units: list[tuple[int, str]],
) -> list[tuple[str, list[Any], list[Any]]]:
    """Per unit (id, path): its path, the ledger's kept subtree sums (folded or not) and a count
    of its subtree's problems per list, status and light, both sorted: equal when exact."""
    rollup = PROBLEM_TALLY.rollup
    assert rollup is not None
    sums = rollup.sums(PROBLEM_TALLY, units)
    found = []
    for pk, path in units:
        rows = (
            Problem.with_staged.filter(unit__path__startswith=path)
            .values_list("list_kind", "status", "urgency")
            .annotate(n=Count("id"))
            .order_by()
        )
        found.append((path, sorted(sums[pk]), sorted(rows)))
    return found


class LedgerTestCase(BaseTestCase):
    """A problem of 东城区实验小学 whose responsible person is the teacher."""

    teacher_person: Person
    category: Category

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.category = Category.objects.get(name="教辅材料违规征订")
        cls.teacher_person = Person.objects.get(user=cls.teacher)

    def make_problem(self, **overrides: Any) -> Problem:
        fields: dict[str, Any] = {
            "list_kind": Problem.ListKind.PERSONAL,
            "source": Problem.Source.SELF_CHECK,
            "category": self.category,
            "dimension": Problem.Dimension.INTEGRITY,
            "title": "违规推荐教辅材料",
            "description": "三年级推荐学生购买指定教辅。",
            "rectification_type": Problem.RectificationType.TIME_LIMITED,
            "deadline_workdays": 10,
            "responsible_person": self.teacher_person,
        }
        fields.update(overrides)
        unit = fields.pop("unit", self.school)
        return actions.check_create_problem(
            actor=self.county_admin, unit=unit, measures=["退回费用", "书面检查"], **fields
        )

    def assigned(self, **overrides: Any) -> Problem:
        return actions.check_assign(self.make_problem(**overrides), actor=self.county_admin)

    def rectifying(self, **overrides: Any) -> Problem:
        problem = actions.do_accept(self.assigned(**overrides), actor=self.teacher)
        actions.check_report_progress(
            problem,
            actor=self.teacher,
            progress=60,
            text="已退回大部分费用",
            files=[(png(), "after")],
        )
        return problem

    def finish_measures(self, problem: Problem) -> None:
        """The report that ticks every measure done, as a unit sends before asking to close."""
        actions.check_report_progress(
            problem,
            actor=self.teacher,
            progress=100,
            text="措施均已落实",
            measures_done=list(problem.measures.values_list("pk", flat=True)),
        )

    def awaiting_verification(self, **overrides: Any) -> Problem:
        problem = self.rectifying(**overrides)
        self.finish_measures(problem)
        return actions.check_request_closure(
            problem, actor=self.teacher, text="费用全部退回，已作检查"
        )


def d(text: str) -> date:
    return date.fromisoformat(text)

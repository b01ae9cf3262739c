from __future__ import annotations

from datetime import date

import time_machine
from django.core.exceptions import ValidationError

from qingfeng.core.registry import problem_sources
from qingfeng.learning import actions
from qingfeng.learning.models import SelfExam
from qingfeng.learning.tests.base import LearningCase, at
from qingfeng.ledger.models import Problem
from qingfeng.orgs.models import Unit

D = Problem.Dimension
ANSWERS = dict.fromkeys(actions.CHECKS, "对照检查，查摆出的问题见下")


class SelfExamTestCase(LearningCase):
    def submit(self, kind: str, *, unit: Unit | None = None, **extra: object) -> SelfExam:
        found = [
            actions.Found(
                dimension=D.INTEGRITY,
                title="接受家长赠送的购物卡未及时退还",
                description="教师节期间接受家长购物卡一张",
                measures=["退还购物卡", "签订廉洁从教承诺"],
                deadline=date(2026, 12, 31),
            ),
            actions.Found(
                dimension=D.SERVICE,
                title="家长来访接待不够热情",
                description="",
                measures=["建立首问负责制"],
                long_term=True,
            ),
        ]
        return actions.check_submit_self_exam(
            actor=self.school_admin,
            unit=unit or self.school,
            kind=kind,
            title="2026年五查五看自查",
            answers=ANSWERS,
            found=found,
            **extra,  # type: ignore[arg-type]
        )

    @time_machine.travel(at("2026-12-01 10:00"), tick=False)
    def test_it_writes_problems_to_the_right_list_with_the_source(self) -> None:
        cases = [
            (SelfExam.Kind.LEADERSHIP, self.school, {}, Problem.ListKind.LEADERSHIP),
            (SelfExam.Kind.DEPARTMENT, self.office, {}, Problem.ListKind.DEPARTMENT_RISK),
            (
                SelfExam.Kind.PERSON,
                self.school,
                {"person": self.teacher.person},
                Problem.ListKind.PERSONAL,
            ),
        ]
        for kind, unit, extra, list_kind in cases:
            exam = self.submit(kind, unit=unit, **extra)
            problems = Problem.objects.filter(source_ref=exam.number)
            self.assertEqual(problems.count(), 2)
            for p in problems:
                self.assertEqual(
                    (p.source, p.list_kind, p.unit), (Problem.Source.SELF_CHECK, list_kind, unit)
                )
                self.assertEqual(p.status, Problem.Status.ASSIGNED)
                self.assertTrue(p.measures.exists())
            self.assertEqual(
                set(problems.values_list("dimension", flat=True)), {D.INTEGRITY, D.SERVICE}
            )
        personal = Problem.objects.filter(list_kind=Problem.ListKind.PERSONAL)
        self.assertEqual(
            {p.responsible_person for p in personal},
            {self.teacher.person},
        )

    @time_machine.travel(at("2026-12-01 10:00"), tick=False)
    def test_it_changes_nothing_when_a_problem_is_incomplete(self) -> None:
        bad = actions.Found(dimension=D.RULES, title="制度执行不严", description="", measures=[])
        with self.assertRaisesMessage(ValidationError, "请填写整改措施"):
            actions.check_submit_self_exam(
                actor=self.school_admin,
                unit=self.school,
                kind=SelfExam.Kind.LEADERSHIP,
                title="自查",
                answers=ANSWERS,
                found=[bad],
            )
        with self.assertRaisesMessage(ValidationError, "查廉洁自律"):
            actions.check_submit_self_exam(
                actor=self.school_admin,
                unit=self.school,
                kind=SelfExam.Kind.LEADERSHIP,
                title="自查",
                answers={**ANSWERS, D.INTEGRITY: ""},
            )
        self.assertFalse(SelfExam.objects.exists())
        self.assertFalse(Problem.objects.exists())

    @time_machine.travel(at("2026-12-01 10:00"), tick=False)
    def test_it_is_a_problem_source(self) -> None:
        exam = self.submit(SelfExam.Kind.LEADERSHIP)
        problem = Problem.objects.filter(source_ref=exam.number).first()
        source = next(s for s in problem_sources() if s.key == "self_exams")
        self.assertIsNone(source.reporters_answered(problem))
        [record] = source.records(problem, viewer=self.school_admin)
        self.assertEqual(record.number, exam.number)
        self.assertTrue(record.url)
        [hidden] = source.records(problem, viewer=self.other_school_admin)
        self.assertEqual(hidden.url, "")

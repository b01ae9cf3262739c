"""Self-examinations (五查五看) as a source of ledger problems (core/registry.py
ProblemSource). Nobody outside reported them: the source answers None and lists the
self-examination behind the problem."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from qingfeng.core.registry import SourceRecord
from qingfeng.learning.models import SelfExam
from qingfeng.learning.selectors import self_exams_visible_to
from qingfeng.ledger.models import Problem


class SelfExamSource:
    key = "self_exams"
    label = _("来源五查五看自查")

    def reporters_answered(self, problem: Problem) -> bool | None:
        return None

    def records(self, problem: Problem, *, viewer: Any) -> list[SourceRecord]:
        if problem.source != Problem.Source.SELF_CHECK or not problem.source_ref:
            return []
        exam = SelfExam.objects.filter(number=problem.source_ref).first()
        if exam is None:
            return []
        visible = self_exams_visible_to(viewer).filter(pk=exam.pk).exists()
        return [
            SourceRecord(
                number=exam.number,
                state=exam.get_kind_display(),
                url=reverse("learning:self_exam", args=[exam.pk]) if visible else "",
            )
        ]

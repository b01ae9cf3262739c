"""Remedial rounds as a source of ledger problems (core/registry.py ProblemSource). The
raters are anonymous: there is nobody to answer, so the source says None (the ledger's own
answer record decides), and lists the remedial round behind the problem."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from qingfeng.core.registry import SourceRecord
from qingfeng.evaluation.models import Remedial
from qingfeng.evaluation.selectors import remedials_visible_to
from qingfeng.ledger.models import Problem


class RemedialSource:
    key = "remedials"
    label = _("来源评议回炉")

    def reporters_answered(self, problem: Problem) -> bool | None:
        return None

    def records(self, problem: Problem, *, viewer: Any) -> list[SourceRecord]:
        if problem.source != Problem.Source.REMEDIAL or not problem.source_ref:
            return []
        remedial = Remedial.objects.filter(number=problem.source_ref).first()
        if remedial is None:
            return []
        visible = remedials_visible_to(viewer).filter(pk=remedial.pk).exists()
        return [
            SourceRecord(
                number=remedial.number,
                state=remedial.get_status_display(),
                url=reverse("evaluation:remedial", args=[remedial.pk]) if visible else "",
            )
        ]

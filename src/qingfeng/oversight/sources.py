"""Visits (督导) as a source of ledger problems (core/registry.py ProblemSource). A visit has
no reporter to answer: the source says None (the ledger's own answer record decides), and
lists the visit behind the problem."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from qingfeng.core.registry import SourceRecord
from qingfeng.ledger.models import Problem
from qingfeng.oversight.models import Round, Visit
from qingfeng.oversight.selectors import rounds_visible_to, visits_visible_to


class VisitSource:
    key = "oversight_visits"
    label = _("来源督导")

    def reporters_answered(self, problem: Problem) -> bool | None:
        return None

    def records(self, problem: Problem, *, viewer: Any) -> list[SourceRecord]:
        if problem.source != Problem.Source.SUPERVISION or not problem.source_ref:
            return []
        visit = Visit.objects.filter(number=problem.source_ref).first()
        if visit is None:
            return []
        visible = visits_visible_to(viewer).filter(pk=visit.pk).exists()
        return [
            SourceRecord(
                number=visit.number,
                state=visit.get_status_display(),
                url=reverse("oversight:visit", args=[visit.pk]) if visible else "",
            )
        ]


class RoundSource:
    """Inspection rounds: the findings handed over (source 巡察) and the units' self-checks
    (source 自查, numbered by the round)."""

    key = "oversight_rounds"
    label = _("来源巡察")

    def reporters_answered(self, problem: Problem) -> bool | None:
        return None

    def records(self, problem: Problem, *, viewer: Any) -> list[SourceRecord]:
        sources = {Problem.Source.INSPECTION, Problem.Source.SELF_CHECK}
        if problem.source not in sources or not problem.source_ref.startswith("XC"):
            return []
        found = Round.objects.filter(number=problem.source_ref).first()
        if found is None:
            return []
        visible = rounds_visible_to(viewer).filter(pk=found.pk).exists()
        return [
            SourceRecord(
                number=found.number,
                state=found.get_status_display(),
                url=reverse("oversight:round", args=[found.pk]) if visible else "",
            )
        ]

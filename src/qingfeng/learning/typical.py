"""The month's typical problems for the monthly bulletin (core/registry.py
`TypicalCaseSource`): the cases that entered the typical-case library (典型案例库) in the
period and are about the units asked for — made from one of their closed problems or tickets,
or entered by one of them. Their text is the library's, already redacted (names removed, unit
and days generalised), so the bulletin may be read by every unit it goes to."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from qingfeng.core import registry
from qingfeng.core.registry import TypicalCase
from qingfeng.learning.models import Case, CaseEvent
from qingfeng.lib.dates import day_bounds


def _origin(case: Case) -> str:
    if case.source_problem_id is not None:
        return _("整改台账问题")
    if case.source_kind:
        source = registry.case_source(case.source_kind)
        return str(source.label) if source is not None else case.source_kind
    return ""


def cases(unit_ids: Sequence[int], start: date, end: date, limit: int) -> list[TypicalCase]:
    """The published cases about those units that entered the library on the days `start` …
    `end` (their approval), those linked to a problem or ticket first, then newest first."""
    first, after = day_bounds(start, end, timezone.get_current_timezone())
    published = CaseEvent.objects.filter(
        to_status=Case.Status.PUBLISHED, created_at__gte=first, created_at__lt=after
    ).values("case_id")
    ids = list(unit_ids)
    # Entered by one of the units: a local case of theirs (not another region's or a national
    # report added to the library).
    about = (
        Q(source_problem__unit_id__in=ids)
        | Q(source_unit_id__in=ids)
        | Q(owner_id__in=ids, level=Case.Level.LOCAL)
    )
    found = (
        Case.objects.filter(about, status=Case.Status.PUBLISHED, pk__in=published)
        .only(
            "number",
            "title",
            "facts",
            "outcome",
            "lessons",
            "category",
            "source_problem_id",
            "source_kind",
            "occurred_on",
        )
        .order_by("-occurred_on", "-pk")
    )
    rows = list(found[: limit * 4])
    # Linked to a closed problem or ticket first: the month's own typical problems.
    rows.sort(key=lambda c: c.source_problem_id is None and not c.source_kind)
    return [
        TypicalCase(
            title=c.title,
            category=c.get_category_display(),
            facts=c.facts,
            outcome=c.outcome,
            lessons=c.lessons,
            case=c.number,
            origin=_origin(c),
            url=reverse("learning:case", args=[c.pk]),
        )
        for c in rows[:limit]
    ]


SOURCE = registry.TypicalCaseSource("learning", 10, cases)

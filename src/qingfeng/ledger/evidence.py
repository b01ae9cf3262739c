"""The ledger's evidence of a campaign task (core/registry.py `TaskEvidence`): the problems of
one list (领导班子 / 科室风险 / 个人整改) of a unit closed (销号) — done when every problem the
unit has on that list is closed, so a task "整改销号" needs no upload. Drafts and withdrawn
problems do not count; a unit with no problem on the list has nothing to show yet."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qingfeng.core.registry import TaskEvidence
from qingfeng.ledger.models import Problem
from qingfeng.lib.dates import day_bounds

S = Problem.Status


def list_options() -> list[tuple[str, str]]:
    return [(str(value), str(label)) for value, label in Problem.ListKind.choices]


def closed_progress(
    option: str, unit_ids: Sequence[int], start: date, end: date
) -> Mapping[int, tuple[int, int | None]]:
    """Per unit: its problems of list `option` closed by the end of `end`, out of all of them
    (registered by then); one grouped query."""
    _first, after = day_bounds(start, end, timezone.get_current_timezone())
    rows = (
        Problem.objects.filter(unit_id__in=unit_ids, list_kind=option, created_at__lt=after)
        .exclude(status__in=(S.DRAFT, S.WITHDRAWN))
        .values("unit_id")
        .annotate(
            whole=Count("id"),
            done=Count("id", filter=Q(status=S.CLOSED, closed_at__lt=after)),
        )
        .order_by()
    )
    return {row["unit_id"]: (row["done"], row["whole"]) for row in rows}


EVIDENCE = TaskEvidence("closed", _("问题清单整改销号"), list_options, closed_progress)

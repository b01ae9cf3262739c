"""The evaluation's panel on the dashboard (core/registry.py `DashboardPanel`): the latest
round's verdicts for the units in view — each satisfaction rate with its 95 % interval, 样本不足
greyed, the composite score and the rank within the unit's category — and the units in a
remedial round (回炉补课) or escalated (提级督办), with how many of each: open now, and
escalated in the period shown (the figures `remedials_open` and `remedials_escalated`, by the
same conditions), those listed first. Counts alone cannot say that a rate from 12 answers
means little; this panel does."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from django.db.models import BooleanField, Case, Count, Q, Value, When
from django.urls import reverse

from qingfeng.evaluation import export, figures, selectors, stats
from qingfeng.evaluation.models import Remedial, Round, RoundUnit
from qingfeng.evaluation.permissions import sees_result
from qingfeng.orgs.models import User

SHOWN = 12  # units listed: the ones that need attention first
SEVERITY = {
    stats.Verdict.CONFIRMED_LOW: 0,
    stats.Verdict.UNDECIDED: 1,
    stats.Verdict.TOO_FEW: 2,
    stats.Verdict.PASSED: 3,
}


def _under(paths: Sequence[str], field: str) -> Q:
    query = Q(pk__in=[])
    for path in paths:
        query |= Q(**{f"{field}__path__startswith": path})
    return query


def verdicts(user: User, paths: Sequence[str], first: date, last: date) -> Mapping[str, Any] | None:
    """The round that had begun by `last` (the latest), for the units in view the user may
    see the results of; None without one."""
    round_ = (
        selectors.rounds_visible_to(user)
        .filter(status__in=(Round.Status.OPEN, Round.Status.CLOSED), starts_on__lte=last)
        .order_by("-starts_on", "-pk")
        .first()
    )
    # The figures' own conditions (figures.py): the counts equal the dashboard's columns.
    in_view = Remedial.objects.filter(_under(paths, "unit"))
    escalated_now = figures.escalated(first, last)
    remedial_counts = in_view.aggregate(
        open=Count("pk", filter=Q(status=Remedial.Status.OPEN)),
        escalated=Count("pk", filter=escalated_now),
    )
    remedials = list(
        in_view.filter(status__in=(Remedial.Status.OPEN, Remedial.Status.ESCALATED))
        .annotate(
            escalated_now=Case(
                When(escalated_now, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
        .select_related("unit", "round")
        .order_by("-escalated_now", "status", "unit__path")[:SHOWN]
    )
    if round_ is None and not remedials:
        return None
    rows: list[selectors.UnitResult] = []
    if round_ is not None:
        covered = RoundUnit.objects.filter(_under(paths, "unit"), round=round_).select_related(
            "unit"
        )
        units = [
            ru.unit for ru in covered.order_by("unit__path") if sees_result(user, round_, ru.unit)
        ]
        rows = selectors.results(round_, units) if units else []
    tally = Counter(r.verdict for r in rows)
    # Where each number leads (the view's top units, a leader's counties each): the round's
    # units with a verdict, and the remedial rounds behind the figures' counts.
    tops = [int(path.rstrip("/").rsplit("/", 1)[-1]) for path in paths]
    unit_query = "&".join(f"unit={pk}" for pk in tops)
    period = f"period_from={first}&period_to={last}"
    one = f"&unit={tops[0]}" if len(tops) == 1 else ""
    figures_url = reverse("evaluation:figures")
    return {
        "eval_round": round_,
        "eval_verdict_query": unit_query,
        "eval_remedial_links": {
            key: f"{figures_url}?figure={figure}&{period}{one}"
            for key, figure in (("open", "remedials_open"), ("escalated", "remedials_escalated"))
        },
        "eval_counts": [
            {"verdict": v, "label": stats.verdict_label(v, round_.threshold), "n": tally.get(v, 0)}
            for v in SEVERITY
        ]
        if round_ is not None
        else [],
        "eval_rows": sorted(rows, key=lambda r: (SEVERITY[r.verdict], r.rate or 0))[:SHOWN],
        "eval_total": len(rows),
        "eval_remedials": remedials,
        "eval_remedial_counts": remedial_counts,
    }


PUBLISHED_SHOWN = 200  # units listed per round on the observer's page, the ones that need
# attention first (a county's schools fit; a city's are counted in full above the table)


def published(path: str) -> Mapping[str, Any] | None:
    """The published results of the units of an area (core/registry.py `PublishedPanel`):
    each unit's satisfaction rate with its 95 % interval, the number of valid ratings and the
    verdict, as the round's own pages print them, with how they are made; only rounds
    published to their units, through `selectors.published_results`. None before any."""
    found = selectors.published_results(path)
    if not found:
        return None
    rounds = []
    for round_, rows in found:
        tally = Counter(r.verdict for r in rows)
        rounds.append(
            {
                "round": round_,
                "counts": [
                    {"verdict": v, "label": stats.verdict_label(v, round_.threshold), "n": tally[v]}
                    for v in SEVERITY
                ],
                "rows": sorted(rows, key=lambda r: (SEVERITY[r.verdict], r.rate or 0))[
                    :PUBLISHED_SHOWN
                ],
                "total": len(rows),
                "definition": export.definition_lines(round_)[:3],
            }
        )
    return {"published_rounds": rounds}

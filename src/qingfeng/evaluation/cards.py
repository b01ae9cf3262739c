"""The evaluation's home cards, scoped. The staff's card: above units (a bureau, a county)
the latest round's state and, from the latest closed round, its units below the threshold; a
school its own published result and its open remedial rounds (回炉补课). A fixed number of
queries however many units a round covers: the closed round's numbers are its snapshot
(RoundUnit), never a count of the ratings.

The assessor's card (第三方评估员) is their work: the rounds still taking scores, for each how
many of their units have no third-party score yet, and where to go next — counted over the
same units as the round page lists (selectors.assessor_rounds)."""

from __future__ import annotations

from typing import Any

from django.db.models import F

from qingfeng.core.http import AuthenticatedHttpRequest
from qingfeng.core.scope import has_role, scope_paths, scope_q
from qingfeng.evaluation import selectors, stats
from qingfeng.evaluation.models import Remedial, Round, RoundUnit
from qingfeng.evaluation.permissions import ASSESSORS, READERS, published_only
from qingfeng.orgs.models import Unit
from qingfeng.orgs.selectors import scope_root_units

SHOWN = 5
LEAVES = {Unit.Kind.SCHOOL, Unit.Kind.KINDERGARTEN}


def _rate(ru: RoundUnit) -> str:
    return stats.percent(ru.satisfied / ru.base if ru.base and ru.satisfied is not None else None)


def overview_card(request: AuthenticatedHttpRequest) -> dict[str, Any] | None:
    user = request.user
    if not has_role(user, *READERS):
        return None
    # Without the joins the card does not show (owner, area): the latest round is then the
    # rounds' index walked backwards to the first the user sees (evaluation_round_latest).
    rounds = selectors.rounds_visible_to(user).exclude(status=Round.Status.DRAFT)
    rounds = rounds.select_related(None)
    current = rounds.first()
    if current is None:
        return None
    own = scope_paths(user, roles=READERS)
    if published_only(user):  # an observer: the latest published round, nothing before
        closed = rounds.filter(status=Round.Status.CLOSED, published_at__isnull=False).first()
    else:
        closed = (
            current
            if current.status == Round.Status.CLOSED
            else rounds.filter(status=Round.Status.CLOSED).first()
        )
    context: dict[str, Any] = {"evaluation_round": current, "evaluation_closed": closed}
    if closed is not None:
        snapshot = RoundUnit.objects.filter(
            scope_q(user, "unit__path", roles=READERS), round=closed
        ).select_related("unit")
        if closed.published_at is None:  # a unit sees its own result only once published
            snapshot = snapshot.exclude(unit__path__in=own)
        mine = list(snapshot.filter(unit__path__in=own)[:1]) if closed.published_at else []
        if mine and mine[0].base is not None:
            ru = mine[0]
            context["evaluation_own"] = {
                "unit": ru.unit,
                "rate": _rate(ru),
                "verdict": stats.verdict_label(ru.verdict, closed.threshold) if ru.verdict else "",
            }
    roots = scope_root_units(user)
    above = any(root.kind not in LEAVES for root in roots)
    if closed is not None and above:
        below = (
            snapshot.filter(base__gte=closed.min_sample)
            .alias(scaled=F("satisfied") * 100)
            .filter(scaled__lt=F("base") * closed.threshold)
            .order_by("unit__path")
        )
        context["evaluation_below"] = [(ru.unit, _rate(ru)) for ru in below[:SHOWN]]
        context["evaluation_below_count"] = below.count()
    remedials = selectors.remedials_visible_to(user).filter(status=Remedial.Status.OPEN)
    context["evaluation_remedials"] = list(remedials[:SHOWN])
    context["evaluation_remedials_count"] = remedials.count()
    return context


def assessor_card(request: AuthenticatedHttpRequest) -> dict[str, Any] | None:
    user = request.user
    if not has_role(user, *ASSESSORS):
        return None
    rounds = list(selectors.assessor_rounds(user)[: SHOWN + 1])
    return {
        "assessor_rounds": rounds[:SHOWN],
        "assessor_more": len(rounds) > SHOWN,
        "assessor_open": Round.Status.OPEN,
    }

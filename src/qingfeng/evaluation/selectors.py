"""Every read of the evaluation, scoped to the caller (404 outside, as for a missing id)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, cast

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qingfeng.core import figurelist
from qingfeng.core.scope import scope_in, scope_paths, scope_q, unit_ids_under
from qingfeng.evaluation import scheme, stats
from qingfeng.evaluation.models import (
    RATING_SCORES,
    UNKNOWN,
    DisciplineReview,
    Remedial,
    Response,
    Round,
    RoundUnit,
    ScoreEvidence,
    ScoreImport,
    ThirdPartyScore,
)
from qingfeng.evaluation.permissions import (
    ASSESSORS,
    OBSERVERS,
    OFFICE,
    READERS,
    ROUND_READERS,
    can,
    sees_confidential,
    sees_result,
    withholds_rates,
)
from qingfeng.orgs.models import Unit, User

SATISFIED_FROM: dict[str, int] = {Round.RateDefinition.TOP3: 3, Round.RateDefinition.TOP2: 4}


def _ancestor_paths(path: str) -> list[str]:
    parts = [p for p in path.split("/") if p]
    return ["".join(f"{p}/" for p in parts[:i]) for i in range(1, len(parts) + 1)]


def rounds_visible_to(user: User) -> QuerySet[Round]:
    """The office's rounds over its scope (drafts too); everyone else's rounds whose area
    holds their part of the tree or lies inside it, once opened."""
    # Units by id (`unit_id IN (…)`, the ancestors' ids read from the path), not joins on
    # their paths: the newest visible round is then the rounds' index walked backwards to the
    # first that passes, not every round of the scope read and sorted.
    managed = scope_in(user, "owner_id", roles=OFFICE)
    # The part of the tree a round covers is its area (a county), else its owner's tree.
    around = Q(pk__in=[])
    for path in scope_paths(user, roles=ROUND_READERS):
        for root in ("area", "owner"):
            near = Q(**{f"{root}_id__in": unit_ids_under([path])}) | Q(
                **{f"{root}_id__in": Unit.path_ids(path)}
            )
            around |= near & (Q(area__isnull=False) if root == "area" else Q(area__isnull=True))
    query = managed | (around & ~Q(status=Round.Status.DRAFT))
    return Round.objects.filter(query).select_related("owner", "area").order_by("-starts_on", "-id")


def assessed_q(user: User, field: str = "unit__path") -> Q:
    """The units the user scores as an assessor: strictly inside their scope, never their own
    unit (permissions.enters); matches nothing for anyone else."""
    query = Q(pk__in=[])
    for path in scope_paths(user, roles=ASSESSORS):
        query |= Q(**{f"{field}__startswith": path}) & ~Q(**{field: path})
    return query


def assessor_rounds(user: User) -> QuerySet[Round]:
    """The assessor's work (their home card): the rounds they see that still take scores
    (opened, results not published) and cover units they score, each annotated with those
    units (`assessed`), the ones without a current third-party score (`unscored`) and the
    first of these in the tree's order (`next_unit_id`) — the same units, and the same test
    of a score, as the round page shows them. One query however many rounds and units."""
    covered = RoundUnit.objects.filter(assessed_q(user), round=OuterRef("pk")).order_by()
    scored = ThirdPartyScore.objects.filter(
        round=OuterRef("round_id"), unit=OuterRef("unit_id"), superseded=False
    )
    unscored = covered.filter(~Exists(scored))

    def tally(rows: QuerySet[RoundUnit]) -> Coalesce:
        counted = rows.values("round_id").annotate(n=Count("pk")).values("n")
        return Coalesce(Subquery(counted[:1]), 0)

    return (
        rounds_visible_to(user)
        .exclude(status=Round.Status.DRAFT)
        .filter(published_at__isnull=True)
        .annotate(
            assessed=tally(covered),
            unscored=tally(unscored),
            next_unit_id=Subquery(unscored.order_by("unit__path").values("unit_id")[:1]),
        )
        .filter(assessed__gt=0)
        .select_related(None)
        .order_by("ends_on", "id")
    )


def get_round_for_user(user: User, pk: int) -> Round:
    return get_object_or_404(rounds_visible_to(user), pk=pk)


# A round's questionnaire and mode are frozen once it opens (actions.rounds), so each process
# keeps the open rounds its public rating pages read, by id and opening time, for a few
# seconds; whether the round is still open is read with the unit on every request. A round
# saved in this process is dropped at once (post_save, apps.py).
KEEP_ROUND_SECONDS = 10.0
_kept_rounds: dict[tuple[int, Any], tuple[float, Round]] = {}


def forget_round(pk: int) -> None:
    for key in [k for k in _kept_rounds if k[0] == pk]:
        _kept_rounds.pop(key, None)


def _open_round(pk: int, opened_at: Any) -> Round:
    now = time.monotonic()
    kept = _kept_rounds.get((pk, opened_at))
    if kept is not None and now - kept[0] < KEEP_ROUND_SECONDS:
        return kept[1]
    round_ = Round.objects.get(pk=pk)
    if len(_kept_rounds) >= 64:
        _kept_rounds.clear()
    _kept_rounds[(pk, opened_at)] = (now, round_)
    return round_


@dataclass(frozen=True)
class RatingTarget:
    """The unit a public rating page names, and where its ratings go now (`round` None: no
    open round and no re-evaluation window)."""

    unit: Unit
    round: Round | None
    remedial: Remedial | None


def rating_target(unit_id: int, today: date) -> RatingTarget | None:
    """For the public rating page and API (a burst of raters): the active unit (None when it
    is missing or deactivated) with its re-evaluation window open today, else the newest open
    round covering it — what `open_reevaluation` and `open_round_for_unit` answer, in one
    statement; the round itself comes from the process's short keep, the window (rare) is read."""
    window = Remedial.objects.filter(
        unit=OuterRef("pk"),
        status=Remedial.Status.OPEN,
        reeval_opens_on__lte=today,
        reeval_closes_on__gte=today,
    ).order_by("id")
    covering = Round.objects.filter(status=Round.Status.OPEN, covered__unit=OuterRef("pk"))
    covering = covering.order_by("-opened_at", "-id")
    unit = (
        Unit.objects.filter(pk=unit_id, is_active=True)
        .annotate(
            window_id=Subquery(window.values("id")[:1]),
            round_id=Subquery(covering.values("id")[:1]),
            round_opened_at=Subquery(covering.values("opened_at")[:1]),
        )
        .order_by()
        .first()
    )
    if unit is None:
        return None
    found = cast(Any, unit)  # the annotations
    if found.window_id is not None:
        remedial = Remedial.objects.select_related("round").get(pk=found.window_id)
        return RatingTarget(unit, remedial.round, remedial)
    if found.round_id is None:
        return RatingTarget(unit, None, None)
    return RatingTarget(unit, _open_round(found.round_id, found.round_opened_at), None)


def open_round_for_unit(unit: Unit) -> Round | None:
    """The open round that covers the unit (the newest, should two overlap)."""
    return (
        Round.objects.filter(status=Round.Status.OPEN, covered__unit=unit)
        .order_by("-opened_at", "-id")
        .first()
    )


def open_reevaluation(unit: Unit, today: Any) -> Remedial | None:
    """The unit's remedial round whose re-evaluation window is open today."""
    return (
        Remedial.objects.filter(
            unit=unit,
            status=Remedial.Status.OPEN,
            reeval_opens_on__lte=today,
            reeval_closes_on__gte=today,
        )
        .select_related("round")
        .first()
    )


@dataclass
class UnitResult:
    unit: Unit
    base: int = 0
    satisfied: int = 0
    unknown: int = 0
    flagged: int = 0
    excluded: int = 0
    rate: float | None = None
    interval: stats.Interval | None = None
    verdict: str = stats.Verdict.TOO_FEW
    verdict_label: str = ""
    triggers: bool = False
    third_party: float | None = None
    discipline: str = ""
    discipline_score: float | None = None
    veto: bool = False
    composite: Decimal | None = None
    rank: int | None = None
    # The served people's numbers are withheld from this viewer (permissions.withholds_rates).
    withheld: bool = False

    @property
    def rate_text(self) -> str:
        return stats.percent(self.rate)

    @property
    def interval_text(self) -> str:
        if self.interval is None:
            return "—"
        return f"{stats.percent(self.interval.low)}–{stats.percent(self.interval.high)}"


def counts(responses: QuerySet[Response], round_: Round) -> dict[int, dict[str, int]]:
    """Per unit: the base (accepted, not 不了解), the satisfied, 不了解, flagged, excluded.
    Counted over a column of the counts index (round, remedial, unit, status, overall), never
    null, not over the id: the index then answers alone (PostgreSQL: an index-only scan)."""
    accepted = Q(status=Response.Status.ACCEPTED)
    known = accepted & ~Q(overall=UNKNOWN)
    rows = responses.values("unit_id").annotate(
        base=Count("status", filter=known),
        satisfied=Count(
            "status", filter=known & Q(overall__gte=SATISFIED_FROM[round_.rate_definition])
        ),
        unknown=Count("status", filter=Q(overall=UNKNOWN)),
        flagged=Count("status", filter=Q(status=Response.Status.FLAGGED)),
        excluded=Count("status", filter=Q(status=Response.Status.EXCLUDED) & ~Q(overall=UNKNOWN)),
    )
    return {row.pop("unit_id"): row for row in rows}


def fill_rate(result: UnitResult, round_: Round) -> None:
    result.rate = result.satisfied / result.base if result.base else None
    result.interval = stats.wilson(result.satisfied, result.base)
    result.verdict = stats.verdict(
        result.satisfied, result.base, min_sample=round_.min_sample, threshold=round_.threshold
    )
    result.verdict_label = stats.verdict_label(result.verdict, round_.threshold)
    result.triggers = stats.triggers(
        result.satisfied,
        result.base,
        min_sample=round_.min_sample,
        threshold=round_.threshold,
        confirmed_only=round_.trigger == Round.Trigger.CONFIRMED,
    )


def results(round_: Round, units: list[Unit] | None = None) -> list[UnitResult]:
    """The result of every covered unit (or of `units`), ranked by composite within its
    category. A fixed number of queries whatever the number of units."""
    responses = Response.objects.filter(round=round_, remedial=None)
    if units is None:  # the whole round: no list of ids to send (a city has 1,400 units)
        units = [
            ru.unit
            for ru in RoundUnit.objects.filter(round=round_)
            .select_related("unit")
            .order_by("unit__path")
        ]
    else:
        responses = responses.filter(unit_id__in=[u.pk for u in units])
    ids = [u.pk for u in units]
    found = counts(responses, round_)
    third: dict[int, dict[str, Decimal]] = {}
    for unit_id, indicator, score in ThirdPartyScore.objects.filter(
        round=round_, unit_id__in=ids, superseded=False
    ).values_list("unit_id", "indicator", "score"):
        third.setdefault(unit_id, {})[indicator] = score
    indicators = scheme.load(round_.indicators)
    reviews = {
        r.unit_id: r
        for r in DisciplineReview.objects.filter(round=round_, unit_id__in=ids, superseded=False)
    }
    weights = (round_.weight_satisfaction, round_.weight_third_party, round_.weight_discipline)
    out = []
    for unit in units:
        tally = found.get(unit.pk, {})
        result = UnitResult(
            unit=unit,
            base=tally.get("base", 0),
            satisfied=tally.get("satisfied", 0),
            unknown=tally.get("unknown", 0),
            flagged=tally.get("flagged", 0),
            excluded=tally.get("excluded", 0),
        )
        fill_rate(result, round_)
        if unit.pk in third:
            result.third_party = third_party_total(indicators, third[unit.pk])
        review = reviews.get(unit.pk)
        if review is not None:
            result.discipline = review.get_rating_display()
            result.discipline_score = RATING_SCORES[review.rating]
            result.veto = review.veto
        result.composite = stats.composite(
            satisfaction=result.rate * 100 if result.rate is not None else None,
            third_party=result.third_party,
            discipline=result.discipline_score,
            weights=weights,
            veto=result.veto,
            cap=round_.veto_cap,
        )
        out.append(result)
    _rank(out)
    return out


def third_party_total(
    indicators: list[scheme.Indicator], scores: dict[str, Decimal]
) -> float | None:
    """The weighted total over the round's scheme, or the mean of free indicators (0–100)."""
    if indicators:
        total = scheme.weighted_total(indicators, scores)
        return None if total is None else float(total)
    return float(sum(scores.values()) / len(scores)) if scores else None


def _rank(rows: list[UnitResult]) -> None:
    """Ranks within each category (机关 / 学校 / 教研机构), never all together; a unit with
    too few ratings is not ranked."""
    by_category: dict[str, list[UnitResult]] = {}
    for row in rows:
        if row.composite is not None and row.verdict != stats.Verdict.TOO_FEW:
            by_category.setdefault(row.unit.category, []).append(row)
    for group in by_category.values():
        group.sort(key=lambda r: r.composite or 0, reverse=True)
        for i, row in enumerate(group, start=1):
            row.rank = i


def withhold(rows: list[UnitResult]) -> list[UnitResult]:
    """The results without the served people's numbers: their rates, intervals, verdicts and
    counts, and the composite and rank made from them. The third-party and discipline entries
    stay."""
    for row in rows:
        row.base = row.satisfied = row.unknown = row.flagged = row.excluded = 0
        row.rate = row.interval = row.composite = row.rank = None
        row.verdict, row.verdict_label, row.triggers = "", "", False
        row.withheld = True
    return rows


def _as_seen(user: User, round_: Round, rows: list[UnitResult]) -> list[UnitResult]:
    return withhold(rows) if withholds_rates(user, round_) else rows


def visible_results(user: User, round_: Round) -> list[UnitResult]:
    units = [
        ru.unit
        for ru in RoundUnit.objects.filter(round=round_)
        .select_related("unit")
        .order_by("unit__path")
        if sees_result(user, round_, ru.unit)
    ]
    return _as_seen(user, round_, results(round_, units))


def published_results(path: str, *, rounds: int = 2) -> list[tuple[Round, list[UnitResult]]]:
    """The latest published rounds (at most `rounds`, the newest first) with the results of
    their units at or below `path`, as every result page computes them (`results`): for a
    reader who sees what is published only, an observer of an area. A round not yet
    published gives nothing."""
    covering = RoundUnit.objects.filter(
        unit__path__startswith=path, round__published_at__isnull=False
    ).values("round_id")
    found = (
        Round.objects.filter(pk__in=covering)
        .select_related("owner")
        .order_by("-published_at", "-pk")[:rounds]
    )
    out = []
    for round_ in found:
        units = [
            ru.unit
            for ru in RoundUnit.objects.filter(round=round_, unit__path__startswith=path)
            .select_related("unit")
            .order_by("unit__path")
        ]
        out.append((round_, results(round_, units)))
    return out


def get_unit_result(user: User, round_: Round, unit_id: int) -> UnitResult:
    covered = get_object_or_404(
        RoundUnit.objects.select_related("unit"), round=round_, unit_id=unit_id
    )
    if not sees_result(user, round_, covered.unit):
        raise Http404
    return _as_seen(user, round_, results(round_, [covered.unit]))[0]


def item_rates(
    round_: Round, unit: Unit, *, remedial: Remedial | None = None
) -> dict[str, float | None]:
    """Each item's satisfaction rate at the unit (accepted ratings, 不了解 left out)."""
    line = SATISFIED_FROM[round_.rate_definition]
    tallies = {item: [0, 0] for item in round_.items}
    for answers in Response.objects.filter(
        round=round_, unit=unit, remedial=remedial, status=Response.Status.ACCEPTED
    ).values_list("answers", flat=True):
        for item, level in (answers or {}).items():
            if item in tallies and level:
                tallies[item][1] += 1
                tallies[item][0] += int(level >= line)
    return {item: (s / n if n else None) for item, (s, n) in tallies.items()}


def flagged_responses(round_: Round) -> QuerySet[Response]:
    return (
        Response.objects.filter(round=round_, status=Response.Status.FLAGGED)
        .select_related("unit")
        .order_by("unit__path", "submitted_at")
    )


def remedials_visible_to(user: User) -> QuerySet[Remedial]:
    """Staff over their scope; an observer over the area only those of published rounds."""
    staff = scope_q(user, "unit__path", roles=READERS - OBSERVERS)
    observed = scope_q(user, "unit__path", roles=OBSERVERS) & Q(round__published_at__isnull=False)
    return (
        Remedial.objects.filter(staff | observed)
        .select_related("unit", "round")
        .order_by("-created_at")
    )


def get_remedial_for_user(user: User, pk: int) -> Remedial:
    return get_object_or_404(remedials_visible_to(user), pk=pk)


def dissatisfied_comments(round_: Round, unit: Unit, *, limit: int = 10) -> list[str]:
    return list(
        Response.objects.filter(round=round_, unit=unit, remedial=None, overall__in=[1, 2])
        .exclude(comment="")
        .exclude(status=Response.Status.EXCLUDED)
        .order_by("-submitted_at")
        .values_list("comment", flat=True)[:limit]
    )


def can_manage(user: User, round_: Round) -> bool:
    return can(user, "manage", round_)


def remedial_problems(user: User, remedial: Remedial) -> QuerySet[Any]:
    """The ledger problems a remedial round made, as far as the viewer may see them."""
    from qingfeng.ledger.models import Problem
    from qingfeng.ledger.selectors import problems_visible_to

    return (
        problems_visible_to(user)
        .filter(source=Problem.Source.REMEDIAL, source_ref=remedial.number)
        .order_by("serial")
    )


def score_imports_for(user: User, round_: Round) -> QuerySet[ScoreImport]:
    """The office sees every score workbook of its round; an assessor their own uploads."""
    rows = (
        ScoreImport.objects.filter(round=round_)
        .select_related("uploaded_by", "decided_by")
        .order_by("-created_at", "-id")
    )
    return rows if can(user, "manage", round_) else rows.filter(uploaded_by=user)


def get_score_import(user: User, round_: Round, pk: int) -> ScoreImport:
    return get_object_or_404(score_imports_for(user, round_), pk=pk)


def dissatisfied_for_review(round_: Round) -> QuerySet[Response]:
    """The comments of 不满意 / 非常不满意 ratings (not excluded), newest first: what staff
    may turn into intake tickets."""
    return (
        Response.objects.filter(round=round_, overall__in=[1, 2])
        .exclude(comment="")
        .exclude(status=Response.Status.EXCLUDED)
        .select_related("unit")
        .order_by("-submitted_at", "-id")
    )


def unit_evidence(
    user: User, round_: Round, unit: Unit
) -> tuple[dict[int, list[ScoreEvidence]], list[ScoreEvidence]]:
    """The evidence of the unit's current entries that the viewer may open (the caller has
    already found the unit's result within the viewer's sight): third-party files by score
    id, and the discipline files only for those who see the confidential comment."""
    rows = ScoreEvidence.objects.filter(round=round_, unit=unit).filter(
        Q(third_party__superseded=False) | Q(discipline__superseded=False)
    )
    if not sees_confidential(user, unit):
        rows = rows.filter(kind=ScoreEvidence.Kind.THIRD_PARTY)
    by_score: dict[int, list[ScoreEvidence]] = {}
    discipline: list[ScoreEvidence] = []
    for row in rows.order_by("id"):
        if row.third_party_id is not None:
            by_score.setdefault(row.third_party_id, []).append(row)
        else:
            discipline.append(row)
    return by_score, discipline


def get_evidence_for_user(user: User, pk: int) -> ScoreEvidence:
    """A score's evidence, as its entry is seen: third-party files wherever the unit's result
    is (above the unit, the unit itself after publication), discipline files only from above
    the unit by the inspector and the office. Anything else is a 404."""
    evidence = get_object_or_404(ScoreEvidence.objects.select_related("round", "unit"), pk=pk)
    round_ = get_round_for_user(user, evidence.round_id)
    if round_.status == Round.Status.DRAFT or not sees_result(user, round_, evidence.unit):
        raise Http404
    if evidence.kind == ScoreEvidence.Kind.DISCIPLINE and not sees_confidential(
        user, evidence.unit
    ):
        raise Http404
    return evidence


def figure_units(user: User) -> QuerySet[Unit]:
    """The units whose evaluation numbers the reader sees on the dashboard."""
    return Unit.objects.filter(scope_q(user, "path", roles=READERS), is_active=True)


def figure_listing(key: str, unit_ids: Any, start: date, end: date) -> figurelist.Listing:
    """The records behind the evaluation's dashboard numbers (evaluation/figures.py
    `records`): a rating shows its round, unit, day, respondent type and overall level only
    (never the comment, the answers or the time of day, which could name a respondent); a
    remedial round links to its page."""
    from qingfeng.evaluation import figures

    found = figures.records(key, unit_ids, start, end)
    C = figurelist.Column
    if key.startswith("ratings_"):
        return figurelist.Listing(
            found.select_related("round", "unit").order_by("-submitted_at", "-id"),
            (
                C(_("评议"), lambda r: r.round.name),
                C(_("单位"), lambda r: r.unit.name),
                C(_("日期"), lambda r: timezone.localdate(r.submitted_at)),
                C(_("评议人类型"), lambda r: r.get_respondent_type_display()),
                C(_("总体评价"), lambda r: r.get_overall_display()),
            ),
        )
    return figurelist.Listing(
        found.select_related("round", "unit").order_by("-created_at", "-id"),
        (
            C(
                _("编号"),
                lambda m: m.number,
                lambda m: reverse("evaluation:remedial", args=[m.pk]),
            ),
            C(_("单位"), lambda m: m.unit.name),
            C(_("评议"), lambda m: m.round.name),
            C(_("满意率"), lambda m: f"{m.rate * 100:.1f}%"),
            C(_("状态"), lambda m: m.get_status_display()),
        ),
    )

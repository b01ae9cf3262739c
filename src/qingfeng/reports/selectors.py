"""Every read of the bulletins, scoped: issued bulletins of an issuer at or above the user's
units; drafts only for the issuer's office and leaders. Anything else is a 404."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from qingfeng.core.scope import active_roles, scope_paths
from qingfeng.orgs.models import User
from qingfeng.reports.models import Assessment, Bulletin, BulletinVersion, ManualScore, Score
from qingfeng.reports.permissions import DRAFTERS, sees_drafts


def bulletins_visible_to(user: User) -> QuerySet[Bulletin]:
    above: set[int] = set()
    for path in scope_paths(user):
        above.update(int(segment) for segment in path.split("/") if segment)
    drafting = {unit for role, _path, unit in active_roles(user) if role in DRAFTERS}
    return Bulletin.objects.filter(
        Q(issuer_id__in=above, status=Bulletin.Status.ISSUED) | Q(issuer_id__in=drafting)
    ).select_related("issuer")


def get_bulletin_for_user(user: User, pk: int) -> Bulletin:
    return get_object_or_404(bulletins_visible_to(user), pk=pk)


def get_version_for_user(user: User, bulletin: Bulletin, pk: int) -> BulletinVersion:
    return get_object_or_404(bulletin.versions.all(), pk=pk)


def assessments_visible_to(user: User) -> QuerySet[Assessment]:
    """Published assessments of an issuer above the user's units; all of the issuer's own
    office and leaders."""
    above: set[int] = set()
    for path in scope_paths(user):
        above.update(int(segment) for segment in path.split("/") if segment)
    drafting = {unit for role, _path, unit in active_roles(user) if role in DRAFTERS}
    return Assessment.objects.filter(
        Q(issuer_id__in=above, status=Assessment.Status.PUBLISHED) | Q(issuer_id__in=drafting)
    ).select_related("issuer")


def get_assessment_for_user(user: User, pk: int) -> Assessment:
    return get_object_or_404(assessments_visible_to(user), pk=pk)


def scores_visible_to(user: User, assessment: Assessment) -> QuerySet[Score]:
    """Every score for the issuer's office and leaders; a unit its own (and those below it)."""
    scores = assessment.scores.select_related("unit").order_by("category", "rank", "unit__path")
    if sees_drafts(user, assessment.issuer):
        return scores
    query = Q(pk__in=[])
    for path in scope_paths(user):
        query |= Q(unit__path__startswith=path)
    return scores.filter(query)


def get_score_for_user(user: User, assessment: Assessment, pk: int) -> Score:
    return get_object_or_404(scores_visible_to(user, assessment), pk=pk)


def manual_scores_for(scores: list[Score]) -> dict[int, dict[str, ManualScore]]:
    """The current manual scores of those (already scoped) scores: score id → indicator →
    score with its evidence. One query."""
    found: dict[int, dict[str, ManualScore]] = {}
    rows = ManualScore.objects.filter(
        score__in=[s.pk for s in scores], superseded_at__isnull=True
    ).select_related("entered_by")
    for row in rows:
        found.setdefault(row.score_id, {})[row.indicator] = row
    return found


def get_manual_score_for_user(user: User, assessment: Assessment, pk: int) -> ManualScore:
    """A manual score's evidence, of a score the user may see (a superseded one too: the
    audit trail names it); anything else is a 404."""
    scores = scores_visible_to(user, assessment).values("pk")
    return get_object_or_404(ManualScore.objects.filter(score__in=scores), pk=pk)

"""The quarterly assessment's pages (/reports/assessments/): the ranking by category with the
formula, the office's deductions and vetoes, approval, publication, the export. Thin."""

from __future__ import annotations

from itertools import groupby
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from qingfeng.core import replica
from qingfeng.core.attachments import download
from qingfeng.core.http import AuthenticatedHttpRequest
from qingfeng.core.policy import guarded
from qingfeng.orgs.models import Unit
from qingfeng.orgs.selectors import scope_root_units
from qingfeng.reports import assessments, export, scoring, selectors
from qingfeng.reports.models import Score
from qingfeng.reports.permissions import approves, can, drafts

CATEGORY = dict(Unit.Category.choices)


@guarded(can, "draft")
@require_POST
def assessment_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    issuers = [u for u in scope_root_units(request.user) if drafts(request.user, u)]
    if not issuers:
        raise Http404
    try:
        made = assessments.check_create_assessment(
            actor=request.user, issuer=issuers[0], quarter=request.POST.get("quarter", "")
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return HttpResponseRedirect(reverse("reports:bulletins"))
    return HttpResponseRedirect(reverse("reports:assessment", args=[made.pk]))


@guarded(can, "view")
@require_GET
def assessment_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    assessment = selectors.get_assessment_for_user(request.user, pk)
    scores, narrowed = _narrow_scores(
        request, selectors.scores_visible_to(request.user, assessment)
    )
    indicators = scoring.kept_indicators(assessment.scheme)
    manual = selectors.manual_scores_for(scores)
    for score in scores:  # each cell: the indicator, its value, its manual score if any
        given = manual.get(score.pk, {})
        score.cells = [  # type: ignore[attr-defined]
            (i, score.values.get(i["key"]), given.get(i["key"])) for i in indicators
        ]
    groups = [
        (CATEGORY.get(category, category), list(rows))
        for category, rows in groupby(scores, key=lambda s: s.category)
    ]
    return render(
        request,
        "reports/assessment.html",
        {
            "assessment": assessment,
            "narrowed": narrowed,
            "groups": groups,
            "indicators": indicators,
            "formula": scoring.FORMULA,
            "weights": [
                (CATEGORY.get(c, c), [w.get(i["key"], 0) for i in indicators])
                for c, w in assessment.scheme["weights"].items()
            ],
            "manual_indicators": [i for i in indicators if i.get("manual")],
            "drafts": drafts(request.user, assessment.issuer),
            "approves": approves(request.user, assessment.issuer),
        },
    )


def _narrow_scores(
    request: AuthenticatedHttpRequest, scores: QuerySet[Score]
) -> tuple[list[Score], dict[str, Any] | None]:
    """The scores under `?unit=` (repeatable: a leader's counties), of `?category=`, ranked
    only with `?ranked=1`: the scores behind a number of the dashboard's panel
    (reports/panels.py), of those the user may see; None when the page is not narrowed."""
    ids = request.GET.getlist("unit")
    category = request.GET.get("category", "")
    ranked = request.GET.get("ranked") == "1"
    if not ids and not category and not ranked:
        return list(scores), None
    if not all(i.isdigit() for i in ids) or (category and category not in CATEGORY):
        raise Http404
    if ids:
        paths = Unit.objects.filter(pk__in=[int(i) for i in ids]).values_list("path", flat=True)
        if len(paths) != len(set(ids)):
            raise Http404
        under = Q(pk__in=[])
        for path in paths:
            under |= Q(unit__path__startswith=path)
        scores = scores.filter(under)
    if category:
        scores = scores.filter(category=category)
    if ranked:
        scores = scores.filter(rank__gt=0)
    found = list(scores)
    return found, {"category": CATEGORY.get(category, ""), "total": len(found)}


@guarded(can, "draft")
@require_POST
def score_adjust(request: AuthenticatedHttpRequest, pk: int, score_id: int) -> HttpResponse:
    assessment = selectors.get_assessment_for_user(request.user, pk)
    score = selectors.get_score_for_user(request.user, assessment, score_id)
    try:
        assessments.check_adjust_score(
            score,
            actor=request.user,
            deduction=request.POST.get("deduction", ""),
            deduction_reason=request.POST.get("deduction_reason", ""),
            veto_reason=request.POST.get("veto_reason", ""),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已调整 %(unit)s 的得分") % {"unit": score.unit.name})
    return HttpResponseRedirect(reverse("reports:assessment", args=[assessment.pk]))


@guarded(can, "draft")
@require_POST
def score_manual(request: AuthenticatedHttpRequest, pk: int, score_id: int) -> HttpResponse:
    """A manual indicator scored with its evidence (multipart form)."""
    assessment = selectors.get_assessment_for_user(request.user, pk)
    score = selectors.get_score_for_user(request.user, assessment, score_id)
    try:
        assessments.check_score_manual(
            score,
            actor=request.user,
            indicator=request.POST.get("indicator", ""),
            value=request.POST.get("value", ""),
            note=request.POST.get("note", ""),
            upload=request.FILES.get("file"),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已为 %(unit)s 评分") % {"unit": score.unit.name})
    return HttpResponseRedirect(reverse("reports:assessment", args=[assessment.pk]))


@guarded(can, "view")
@require_GET
def manual_evidence(request: AuthenticatedHttpRequest, pk: int, evidence_id: int) -> FileResponse:
    assessment = selectors.get_assessment_for_user(request.user, pk)
    return download(selectors.get_manual_score_for_user(request.user, assessment, evidence_id))


def _move(request: AuthenticatedHttpRequest, pk: int, run: object) -> HttpResponse:
    assessment = selectors.get_assessment_for_user(request.user, pk)
    try:
        run(assessment, actor=request.user)  # type: ignore[operator]
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已完成"))
    return HttpResponseRedirect(reverse("reports:assessment", args=[assessment.pk]))


@guarded(can, "view")
@require_POST
def assessment_approve(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _move(request, pk, assessments.check_approve_assessment)


@guarded(can, "draft")
@require_POST
def assessment_publish(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _move(request, pk, assessments.check_publish_assessment)


@guarded(can, "view")
@require_GET
def assessment_export(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The scores as a workbook, read from the read replica when there is one."""
    with replica.reads():
        assessment = selectors.get_assessment_for_user(request.user, pk)
        scores = list(selectors.scores_visible_to(request.user, assessment))
        data = export.scores_workbook(assessment, scores, selectors.manual_scores_for(scores))
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="assessment-{assessment.quarter}.xlsx"'
    return response

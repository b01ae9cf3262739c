"""The staff pages of the evaluation (/evaluation/): rounds, results, flagged ratings, codes,
third-party and discipline entry, remedial rounds. Thin: a selector, an action, a render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from qingfeng.core import figurelist, registry
from qingfeng.core.attachments import MB, body_too_large, download
from qingfeng.core.http import AuthenticatedHttpRequest
from qingfeng.core.policy import guarded
from qingfeng.core.publicform import qr
from qingfeng.core.publicform.poster import PosterFontError
from qingfeng.evaluation import actions, excel, export, figures, panels, scheme, selectors, stats
from qingfeng.evaluation.actions.scores import MAX_FILES
from qingfeng.evaluation.forms import (
    CodesForm,
    DisciplineForm,
    ReturnForm,
    ReviewForm,
    RoundForm,
    SchemeForm,
    ScoreUploadForm,
    ThirdPartyForm,
)
from qingfeng.evaluation.models import (
    LEVELS,
    DisciplineReview,
    Response,
    Round,
    ThirdPartyScore,
)
from qingfeng.evaluation.permissions import can, enters, sees_confidential, withholds_rates
from qingfeng.evaluation.publicform import unit_posters, unit_rate_url
from qingfeng.orgs.models import Unit
from qingfeng.orgs.selectors import scope_root_units

EVIDENCE_BODY_MAX = MAX_FILES * 20 * MB + MB  # the files and the form around them


def _round(request: AuthenticatedHttpRequest, pk: int, *, manage: bool = False) -> Round:
    round_ = selectors.get_round_for_user(request.user, pk)
    if manage and not can(request.user, "manage", round_):
        raise Http404
    return round_


def _errors(form: Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, msgs in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, msgs)
    else:
        form.add_error(None, exc.messages)


@guarded(can, "view_rounds")
@require_GET
def rounds(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(
        request,
        "evaluation/rounds.html",
        {
            "rounds": selectors.rounds_visible_to(request.user),
            "can_create": can(request.user, "manage"),
        },
    )


@guarded(can, "manage")
@require_http_methods(["GET", "POST"])
def round_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    roots = scope_root_units(request.user)
    owner = roots[0] if roots else None
    if owner is None:
        raise Http404
    areas = Unit.objects.within(owner).filter(kind=Unit.Kind.COUNTY, is_active=True)
    form = RoundForm(request.POST or None, areas=areas)
    if request.method == "POST" and form.is_valid():
        try:
            round_ = actions.check_create_round(
                actor=request.user, owner=owner, **form.action_kwargs()
            )
        except ValidationError as exc:
            _errors(form, exc)
        else:
            return HttpResponseRedirect(reverse("evaluation:round", args=[round_.pk]))
    return render(request, "evaluation/round_new.html", {"form": form, "owner": owner})


@guarded(can, "view_rounds")
@require_GET
def round_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    round_ = _round(request, pk)
    manage = can(request.user, "manage", round_)
    rows = selectors.visible_results(request.user, round_) if round_.status != "draft" else []
    rows, narrowed = _narrow_results(request, round_, rows)
    scoring = can(request.user, "enter_third_party", round_)
    return render(
        request,
        "evaluation/round.html",
        {
            "round": round_,
            "rows": rows,
            "narrowed": narrowed,
            "manage": manage,
            "withheld": withholds_rates(request.user, round_),
            # The assessor's work: which units still have no third-party score (the home
            # card counts the same units, selectors.assessor_rounds).
            "scoring": scoring,
            "unscored": sum(r.third_party is None for r in rows) if scoring else 0,
            "definition": export.definition_lines(round_),
            **scheme.context(round_.indicators),
            "flagged": selectors.flagged_responses(round_).count() if manage else 0,
            "scores": round_.status != Round.Status.DRAFT
            and (manage or can(request.user, "enter_third_party", round_)),
        },
    )


def _narrow_results(
    request: AuthenticatedHttpRequest, round_: Round, rows: list[selectors.UnitResult]
) -> tuple[list[selectors.UnitResult], dict[str, Any] | None]:
    """The results under `?unit=` (repeatable: a leader's counties) with `?verdict=`: the
    units behind a verdict count of the dashboard's panel (evaluation/panels.py), already
    only those the user may see; None when the page is not narrowed."""
    verdict = request.GET.get("verdict", "")
    ids = request.GET.getlist("unit")
    if not verdict and not ids:
        return rows, None
    if verdict not in panels.SEVERITY or not all(i.isdigit() for i in ids):
        raise Http404
    if withholds_rates(request.user, round_):  # a verdict's units would tell the verdicts
        raise Http404
    paths = list(Unit.objects.filter(pk__in=[int(i) for i in ids]).values_list("path", flat=True))
    if len(paths) != len(set(ids)):
        raise Http404
    kept = [
        r
        for r in rows
        if r.verdict == verdict and (not paths or r.unit.path.startswith(tuple(paths)))
    ]
    label = stats.verdict_label(verdict, round_.threshold)
    return kept, {"verdict": verdict, "label": label, "total": len(kept)}


def _move(request: AuthenticatedHttpRequest, pk: int, run: Any) -> HttpResponse:
    round_ = _round(request, pk, manage=True)
    try:
        run(round_, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已完成"))
    return HttpResponseRedirect(reverse("evaluation:round", args=[round_.pk]))


@guarded(can, "manage")
@require_http_methods(["GET", "POST"])
def round_scheme(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The third-party indicator scheme: edited while the round is a draft, then frozen."""
    round_ = _round(request, pk, manage=True)
    draft = round_.status == Round.Status.DRAFT
    initial = {"indicators": scheme.as_lines(scheme.load(round_.indicators))}
    form = SchemeForm(request.POST or None, initial=initial) if draft else None
    if form is not None and request.method == "POST" and form.is_valid():
        try:
            actions.check_set_scheme(
                round_, actor=request.user, indicators=form.cleaned_data["indicators"]
            )
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("已保存"))
            return HttpResponseRedirect(reverse("evaluation:round", args=[round_.pk]))
    return render(
        request,
        "evaluation/scheme.html",
        {"round": round_, "form": form, **scheme.context(round_.indicators)},
        status=400 if form is not None and form.errors else 200,
    )


@guarded(can, "manage")
@require_POST
def round_open(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _move(request, pk, actions.check_open_round)


@guarded(can, "manage")
@require_POST
def round_close(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _move(request, pk, actions.check_close_round)


@guarded(can, "manage")
@require_POST
def round_publish(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _move(request, pk, actions.check_publish_round)


@guarded(can, "view_rounds")
@require_GET
def round_export(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    round_ = _round(request, pk)
    if round_.status == Round.Status.DRAFT:
        raise Http404
    rows = selectors.visible_results(request.user, round_)
    data = export.results_workbook(round_, rows)
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="evaluation-{round_.pk}.xlsx"'
    return response


@guarded(can, "view_rounds")
@require_GET
def unit_result(request: AuthenticatedHttpRequest, pk: int, unit_id: int) -> HttpResponse:
    round_ = _round(request, pk)
    if round_.status == Round.Status.DRAFT:
        raise Http404
    result = selectors.get_unit_result(request.user, round_, unit_id)
    unit = result.unit
    return render(request, "evaluation/unit.html", _unit_context(request, round_, unit, result))


def _unit_context(
    request: AuthenticatedHttpRequest, round_: Round, unit: Unit, result: Any, **forms: Any
) -> dict[str, Any]:
    user = request.user
    confidential = sees_confidential(user, unit)
    may_score = can(user, "enter_third_party", round_) and enters(user, "enter_third_party", unit)
    may_review = can(user, "enter_discipline", round_) and enters(user, "enter_discipline", unit)
    indicators = scheme.load(round_.indicators)
    scores = list(ThirdPartyScore.objects.filter(round=round_, unit=unit, superseded=False))
    by_score, discipline_files = selectors.unit_evidence(user, round_, unit)
    for score in scores:
        score.files = by_score.get(score.pk, [])  # type: ignore[attr-defined]
    return {
        "discipline_files": discipline_files,
        "round": round_,
        "unit": unit,
        "result": result,
        "items": {} if result.withheld else selectors.item_rates(round_, unit),
        "definition": export.definition_lines(round_),
        "scores": scores,
        "scheme_rows": _scheme_rows(indicators, scores),
        **scheme.context(round_.indicators),
        "review": DisciplineReview.objects.filter(
            round=round_, unit=unit, superseded=False
        ).first(),
        "confidential": confidential,
        "manage": can(user, "manage", round_),
        "third_party_form": forms.get("third_party_form")
        or (ThirdPartyForm(indicators=indicators) if may_score else None),
        "discipline_form": forms.get("discipline_form")
        or (DisciplineForm() if may_review else None),
    }


def _scheme_rows(
    indicators: list[scheme.Indicator], scores: list[ThirdPartyScore]
) -> list[tuple[scheme.Indicator, ThirdPartyScore | None]]:
    """Each indicator of the scheme with the unit's current score (None: not scored)."""
    by_name = {s.indicator: s for s in scores}
    return [(ind, by_name.get(ind.name)) for ind in indicators]


def _entry(request: AuthenticatedHttpRequest, pk: int, unit_id: int, kind: str) -> HttpResponse:
    round_ = _round(request, pk)
    result = selectors.get_unit_result(request.user, round_, unit_id)
    unit = result.unit
    if not (can(request.user, kind, round_) and enters(request.user, kind, unit)):
        raise Http404
    if body_too_large(request, max_bytes=EVIDENCE_BODY_MAX):
        messages.error(request, _("上传的文件合计超过 %(mb)d MB") % {"mb": EVIDENCE_BODY_MAX // MB})
        return HttpResponseRedirect(reverse("evaluation:unit", args=[round_.pk, unit.pk]))
    form: Form
    if kind == "enter_third_party":
        form = ThirdPartyForm(
            request.POST, request.FILES, indicators=scheme.load(round_.indicators)
        )
        run = actions.check_enter_third_party
        name = "third_party_form"
    else:
        form = DisciplineForm(request.POST, request.FILES)
        run = actions.check_enter_discipline  # type: ignore[assignment]
        name = "discipline_form"
    if form.is_valid():
        try:
            run(round_, actor=request.user, unit=unit, **form.cleaned_data)
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("已保存"))
            return HttpResponseRedirect(reverse("evaluation:unit", args=[round_.pk, unit.pk]))
    context = _unit_context(request, round_, unit, result, **{name: form})
    return render(request, "evaluation/unit.html", context, status=400)


@guarded(can, "view_rounds")
@require_GET
def evidence(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    """A score's evidence file: found through the scoped selector, its opening audited."""
    row = selectors.get_evidence_for_user(request.user, pk)
    actions.do_record_evidence_download(row, actor=request.user)
    return download(row)


@guarded(can, "view_rounds")
@require_POST
def third_party(request: AuthenticatedHttpRequest, pk: int, unit_id: int) -> HttpResponse:
    return _entry(request, pk, unit_id, "enter_third_party")


@guarded(can, "view_rounds")
@require_POST
def discipline(request: AuthenticatedHttpRequest, pk: int, unit_id: int) -> HttpResponse:
    return _entry(request, pk, unit_id, "enter_discipline")


@guarded(can, "manage")
@require_GET
def flags(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    round_ = _round(request, pk, manage=True)
    return render(
        request,
        "evaluation/flags.html",
        {
            "round": round_,
            "responses": selectors.flagged_responses(round_)[:200],
            "rules": actions.RULES,
            "form": ReviewForm(),
        },
    )


@guarded(can, "manage")
@require_POST
def review(request: AuthenticatedHttpRequest, pk: int, response_id: int) -> HttpResponse:
    round_ = _round(request, pk, manage=True)
    response = get_object_or_404(Response, round=round_, pk=response_id)
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            actions.check_review_response(response, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("已复核"))
    else:
        messages.error(request, _("请选择复核结果并填写理由"))
    return HttpResponseRedirect(reverse("evaluation:flags", args=[round_.pk]))


@guarded(can, "manage")
@require_http_methods(["GET", "POST"])
def codes(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    round_ = _round(request, pk, manage=True)
    units = Unit.objects.filter(pk__in=round_.covered.values("unit_id")).order_by("path")
    # 待定 on the results page links here with ?unit=: the office orders an extra sample.
    chosen = request.GET.get("unit", "")
    initial = {"unit": int(chosen)} if chosen.isdigit() else {}
    form = CodesForm(request.POST or None, units=units, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            batch, slips = actions.check_draw_codes(
                round_,
                actor=request.user,
                unit=data["unit"],
                frame=data["frame"].splitlines(),
                draw=data["draw"],
                per_entry=data["per_entry"],
                seed=data["seed"],
            )
        except ValidationError as exc:
            _errors(form, exc)
        else:
            # The only time the codes are shown: the answer to the POST, for printing.
            return render(
                request,
                "evaluation/codes_slips.html",
                {
                    "round": round_,
                    "batch": batch,
                    "slips": slips,
                    "unit": data["unit"],
                    "rate_url": unit_rate_url(request, data["unit"]),
                },
            )
    batches = round_.code_batches.select_related("unit").order_by("-created_at")
    return render(
        request, "evaluation/codes.html", {"round": round_, "form": form, "batches": batches}
    )


@guarded(can, "view_rounds")
@require_GET
def poster(request: AuthenticatedHttpRequest, pk: int, unit_id: int) -> HttpResponse:
    round_ = _round(request, pk)
    if round_.status != Round.Status.OPEN or not can(request.user, "manage", round_):
        raise Http404
    unit = get_object_or_404(Unit, pk=unit_id, pk__in=round_.covered.values("unit_id"))
    try:
        data = unit_posters(request, round_, [unit])
    except PosterFontError as exc:
        return HttpResponse(str(exc), status=503, content_type="text/plain; charset=utf-8")
    return qr.inline_response(data, content_type="application/pdf", filename=f"rate-{unit.pk}.pdf")


@guarded(can, "view_rounds")
@require_GET
def qr_png(request: AuthenticatedHttpRequest, pk: int, unit_id: int) -> HttpResponse:
    round_ = _round(request, pk)
    if not can(request.user, "manage", round_):
        raise Http404
    unit = get_object_or_404(Unit, pk=unit_id, pk__in=round_.covered.values("unit_id"))
    return qr.png_response(unit_rate_url(request, unit), filename=f"rate-{unit.pk}.png")


@guarded(can, "view_remedials")
@require_GET
def remedials(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(
        request,
        "evaluation/remedials.html",
        {"remedials": selectors.remedials_visible_to(request.user)[:500]},
    )


@guarded(can, "view_remedials")
@require_http_methods(["GET", "POST"])
def remedial(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item = selectors.get_remedial_for_user(request.user, pk)
    manage = can(request.user, "manage", item.round)
    if request.method == "POST":
        if not manage:
            raise Http404
        try:
            actions.check_decide_reevaluation(item, actor=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return HttpResponseRedirect(reverse("evaluation:remedial", args=[item.pk]))
    return render(
        request,
        "evaluation/remedial.html",
        {
            "remedial": item,
            "problems": selectors.remedial_problems(request.user, item),
            "manage": manage,
        },
    )


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _scores_round(request: AuthenticatedHttpRequest, pk: int) -> tuple[Round, bool, bool]:
    """The round, whether the user runs it, and whether they may upload scores to it."""
    round_ = _round(request, pk)
    manage = can(request.user, "manage", round_)
    upload = can(request.user, "enter_third_party", round_)
    if not (manage or upload):
        raise Http404
    return round_, manage, upload


@guarded(can, "view_rounds")
@require_http_methods(["GET", "POST"])
def score_imports(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """第三方评分导入: the assessor uploads the workbook; the office sees every upload."""
    round_, manage, upload = _scores_round(request, pk)
    if request.method == "POST" and not upload:
        raise Http404
    # An oversize workbook is refused before its body is received (the reader's own limit).
    too_large = request.method == "POST" and body_too_large(
        request, max_bytes=excel.MAX_BYTES + 64 * 1024
    )
    posted = request.method == "POST" and not too_large
    form = ScoreUploadForm(request.POST if posted else None, request.FILES if posted else None)
    refused = (
        _("文件超过 %(n)d MB，请分批导入") % {"n": excel.MAX_BYTES // 2**20} if too_large else ""
    )
    if upload and posted and form.is_valid():
        try:
            record = actions.check_import_scores(
                round_, form.cleaned_data["file"], actor=request.user
            )
        except ValidationError as exc:
            _errors(form, exc)
        else:
            return HttpResponseRedirect(
                reverse("evaluation:score_import", args=[round_.pk, record.pk])
            )
    return render(
        request,
        "evaluation/score_imports.html",
        {
            "round": round_,
            "form": form if upload else None,
            "refused": refused,
            "manage": manage,
            "imports": selectors.score_imports_for(request.user, round_)[:100],
        },
        status=400 if refused or form.errors else 200,
    )


@guarded(can, "view_rounds")
@require_GET
def score_template(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The blank form: the round's units the assessor scores, one column per indicator (the
    indicators already entered in the round, else the round's items)."""
    round_, _manage, _upload = _scores_round(request, pk)
    units = [
        (ru.unit.name, ru.unit.code)
        for ru in round_.covered.select_related("unit").order_by("unit__path")
        if enters(request.user, "enter_third_party", ru.unit) or can(request.user, "manage", round_)
    ]
    indicators = scheme.load(round_.indicators)
    if indicators:  # the scheme: "name（max分）" under its group, as the reader matches it
        columns = [(ind.header, ind.group) for ind in indicators]
    else:
        entered = list(
            ThirdPartyScore.objects.filter(round=round_, superseded=False)
            .order_by("indicator")
            .values_list("indicator", flat=True)
            .distinct()
        )
        columns = [(name, "") for name in entered or round_.items]
    data = excel.template_workbook(
        title=_("%(r)s 第三方评估得分表") % {"r": round_.name}, units=units, indicators=columns
    )
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="scores-{round_.pk}.xlsx"'
    return response


@guarded(can, "view_rounds")
@require_http_methods(["GET", "POST"])
def score_import(request: AuthenticatedHttpRequest, pk: int, import_id: int) -> HttpResponse:
    """One upload: its scores (waiting for the office) or its errors; the office confirms
    (every score entered, or none) or returns it with a reason."""
    round_, manage, _upload = _scores_round(request, pk)
    record = selectors.get_score_import(request.user, round_, import_id)
    form = ReturnForm(request.POST or None)
    if request.method == "POST":
        if not manage:
            raise Http404
        try:
            if request.POST.get("decision") == "confirm":
                actions.check_confirm_scores(record, actor=request.user)
                messages.success(request, _("已确认导入 %(n)d 项评分") % {"n": len(record.rows)})
            elif form.is_valid():
                actions.check_return_scores(record, actor=request.user, **form.cleaned_data)
                messages.success(request, _("已退回"))
            else:
                messages.error(request, _("请填写退回理由"))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return HttpResponseRedirect(reverse("evaluation:score_import", args=[round_.pk, record.pk]))
    return render(
        request,
        "evaluation/score_import.html",
        {"round": round_, "record": record, "manage": manage, "form": form},
    )


@guarded(can, "view_rounds")
@require_GET
def score_import_errors(request: AuthenticatedHttpRequest, pk: int, import_id: int) -> HttpResponse:
    round_, _manage, _upload = _scores_round(request, pk)
    record = selectors.get_score_import(request.user, round_, import_id)
    if not record.error_file:
        raise Http404
    with record.error_file.open("rb") as handle:
        data = handle.read()
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="score-errors-{record.pk}.xlsx"'
    return response


@guarded(can, "manage")
@require_GET
def comments(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """不满意意见: the dissatisfied ratings' comments, each one turned into an intake ticket by
    a person's decision (or already linked to the ticket it became)."""
    round_ = _round(request, pk, manage=True)
    sink = registry.complaint_sink()
    rows = [
        (r, sink.url(r.ticket_number) if sink is not None and r.ticket_number else "")
        for r in selectors.dissatisfied_for_review(round_)[:200]
    ]
    return render(
        request,
        "evaluation/comments.html",
        {
            "round": round_,
            "rows": rows,
            "categories": sink.categories() if sink is not None else [],
            "levels": dict(LEVELS),
        },
    )


@guarded(can, "manage")
@require_POST
def comment_ticket(request: AuthenticatedHttpRequest, pk: int, response_id: int) -> HttpResponse:
    round_ = _round(request, pk, manage=True)
    response = get_object_or_404(Response, round=round_, pk=response_id)
    try:
        category = int(request.POST.get("category", ""))
    except ValueError:
        messages.error(request, _("请选择反映类别"))
    else:
        try:
            number = actions.check_comment_to_ticket(
                response, actor=request.user, category_id=category
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("已转为直通车工单 %(n)s") % {"n": number})
    return HttpResponseRedirect(reverse("evaluation:comments", args=[round_.pk]))


@guarded(can, "view_remedials")
@require_GET
def figure_records(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The records behind an evaluation number of the dashboard (core/figurelist.py)."""
    return figurelist.figure_records(
        request,
        figures.SOURCE,
        selectors.figure_units(request.user),
        selectors.figure_listing,
        title=_("群众评议统计明细"),
    )

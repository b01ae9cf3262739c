"""The bulletin pages (/reports/): the list, a new draft, a bulletin with its figures, its
versions and their format check, and the moves (upload, approve, issue); downloads. Thin."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from qingfeng.core.attachments import download
from qingfeng.core.http import AuthenticatedHttpRequest
from qingfeng.core.policy import guarded
from qingfeng.orgs.selectors import scope_root_units
from qingfeng.reports import actions, compose, selectors
from qingfeng.reports import render as renderer
from qingfeng.reports.forms import BulletinForm, UploadForm
from qingfeng.reports.models import Bulletin
from qingfeng.reports.permissions import approves, can, drafts
from qingfeng.reports.workflow import BULLETIN


@guarded(can, "view")
@require_GET
def bulletins(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(
        request,
        "reports/list.html",
        {
            "bulletins": selectors.bulletins_visible_to(request.user),
            "assessments": selectors.assessments_visible_to(request.user),
            "can_draft": can(request.user, "draft"),
        },
    )


@guarded(can, "draft")
@require_http_methods(["GET", "POST"])
def bulletin_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    issuers = [u for u in scope_root_units(request.user) if drafts(request.user, u)]
    if not issuers:
        raise Http404
    form = BulletinForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            bulletin = actions.check_create_bulletin(
                actor=request.user,
                issuer=issuers[0],
                month=data["month"],
                number=data["number"],
                addressees=data["addressees"],
                copies_to=data["copies_to"],
                signer=data["signer"],
                rules=form.rules(),
            )
        except ValidationError as exc:
            for field, msgs in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, msgs)
        else:
            return HttpResponseRedirect(reverse("reports:bulletin", args=[bulletin.pk]))
    return render(request, "reports/new.html", {"form": form, "issuer": issuers[0]})


@guarded(can, "view")
@require_GET
def bulletin_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    bulletin = selectors.get_bulletin_for_user(request.user, pk)
    snapshot = bulletin.snapshot
    issuer = bulletin.issuer
    return render(
        request,
        "reports/bulletin.html",
        {
            "bulletin": bulletin,
            "overview": compose.overview(snapshot),
            "columns": compose.COUNTY_COLUMNS,
            "rows": compose.county_rows(snapshot),
            "versions": bulletin.versions.select_related("uploaded_by"),
            "drafts": drafts(request.user, issuer),
            "approves": approves(request.user, issuer),
            "events": _labelled(bulletin),
            "pdf_available": renderer.soffice() is not None,
            "form": UploadForm(),
        },
    )


def _labelled(bulletin: Bulletin) -> list[Any]:
    rows = list(bulletin.events.select_related("actor"))
    for row in rows:
        row.label = BULLETIN.event_labels.get(row.action, row.action)  # type: ignore[attr-defined]
    return rows


def _move(request: AuthenticatedHttpRequest, pk: int, run: object) -> HttpResponse:
    bulletin = selectors.get_bulletin_for_user(request.user, pk)
    try:
        run(bulletin, actor=request.user)  # type: ignore[operator]
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已完成"))
    return HttpResponseRedirect(reverse("reports:bulletin", args=[bulletin.pk]))


@guarded(can, "view")
@require_POST
def bulletin_approve(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _move(request, pk, actions.check_approve_bulletin)


@guarded(can, "draft")
@require_POST
def bulletin_issue(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _move(request, pk, actions.check_issue_bulletin)


@guarded(can, "draft")
@require_POST
def bulletin_pdf(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _move(request, pk, actions.do_request_pdf)


@guarded(can, "draft")
@require_POST
def bulletin_upload(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    bulletin = selectors.get_bulletin_for_user(request.user, pk)
    form = UploadForm(request.POST, request.FILES)
    try:
        if not form.is_valid():
            raise ValidationError(_("请选择修改稿文件（.docx）"))
        version = actions.check_upload_edited(
            bulletin, actor=request.user, upload=form.cleaned_data["file"]
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if version.deviations:
            messages.warning(
                request,
                _("修改稿已保存，但有 %(n)s 处不符合公文格式") % {"n": len(version.deviations)},
            )
        else:
            messages.success(request, _("修改稿已保存，格式检查通过"))
    return HttpResponseRedirect(reverse("reports:bulletin", args=[bulletin.pk]))


@guarded(can, "view")
@require_GET
def version_file(request: AuthenticatedHttpRequest, pk: int, version_id: int) -> FileResponse:
    bulletin = selectors.get_bulletin_for_user(request.user, pk)
    return download(selectors.get_version_for_user(request.user, bulletin, version_id))


@guarded(can, "view")
@require_GET
def version_pdf(request: AuthenticatedHttpRequest, pk: int, version_id: int) -> FileResponse:
    bulletin = selectors.get_bulletin_for_user(request.user, pk)
    version = selectors.get_version_for_user(request.user, bulletin, version_id)
    if not version.pdf:
        raise Http404
    response = FileResponse(
        version.pdf.open("rb"), filename=f"{bulletin.number}.pdf", content_type="application/pdf"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response

"""Uploading and downloading the campaign's files (campaigns/files.py). Thin."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from qingfeng.campaigns import files, selectors
from qingfeng.campaigns.forms import FileForm
from qingfeng.campaigns.permissions import can
from qingfeng.core.attachments import MB, body_too_large, download
from qingfeng.core.http import AuthenticatedHttpRequest
from qingfeng.core.policy import guarded
from qingfeng.orgs.models import User

TARGETS: dict[str, tuple[Callable[[User, int], files.Target], str, Callable[[Any], int]]] = {
    "campaign": (selectors.get_campaign_for_user, "campaigns:detail", lambda t: t.pk),
    "plan": (selectors.get_plan_for_user, "campaigns:plan", lambda t: t.pk),
    "assignment": (selectors.get_assignment_for_user, "campaigns:task", lambda t: t.task_id),
    "report": (selectors.get_report_for_user, "campaigns:report", lambda t: t.pk),
}


@guarded(can, "report")
@require_POST
def file_upload(request: AuthenticatedHttpRequest, kind: str, pk: int) -> HttpResponse:
    if kind not in TARGETS:
        raise Http404
    find, page, page_id = TARGETS[kind]
    target = find(request.user, pk)
    back = HttpResponseRedirect(reverse(page, args=[page_id(target)]))
    if body_too_large(request, max_bytes=files.CAMPAIGN_FILE.max_bytes + MB):
        messages.error(
            request, _("文件超过 %(mb)d MB") % {"mb": files.CAMPAIGN_FILE.max_bytes // MB}
        )
        return back
    form = FileForm(request.POST, request.FILES)
    try:
        if not form.is_valid():
            raise ValidationError(_("请选择要上传的文件"))
        files.check_attach_file(target, actor=request.user, upload=form.cleaned_data["file"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已上传"))
    return back


@guarded(can, "view")
@require_GET
def file_download(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    return download(selectors.get_file_for_user(request.user, pk))

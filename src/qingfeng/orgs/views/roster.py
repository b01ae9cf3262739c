"""Roster import and export pages: upload a workbook, see the result, download files."""

from __future__ import annotations

from pathlib import PurePath

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from qingfeng.core.http import AuthenticatedHttpRequest, xlsx_response
from qingfeng.core.policy import guarded
from qingfeng.core.progress import job_url
from qingfeng.orgs import roster, selectors
from qingfeng.orgs.forms import RosterImportForm
from qingfeng.orgs.models import RosterImport, Unit
from qingfeng.orgs.permissions import can
from qingfeng.orgs.roster import work

SHOWN_ERRORS = 200


@never_cache
@guarded(can, "import_roster")
def roster_import(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    form = RosterImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        # Stored first; checked and written by the task worker, with progress to watch.
        with transaction.atomic():
            record = roster.do_receive_roster(form.cleaned_data["file"], actor=user)
            job = work.start_import(record, actor=user)
        return redirect(job_url(job))
    context = {
        "form": form,
        "imports": roster.imports_of(user)[:10],
        "can_export": can(user, "export_roster"),
        "can_export_clear": can(user, "export_clear_phones"),
        "export_units": roster.export_choices(user),
        "instructions": roster.instructions(),
        "active_nav": "roster",
    }
    return render(request, "orgs/roster_import.html", context)


@never_cache
@guarded(can, "import_roster")
def roster_result(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    record = roster.get_import_for_user(request.user, pk)
    job = work.job_of(record)
    context = {
        "record": record,
        "job": job if record.status == RosterImport.Status.RECEIVED else None,
        "told": job.outcome if job is not None else "",
        "percent": None,
        "ended": False,
        "errors": record.errors[:SHOWN_ERRORS],
        "more_errors": max(0, record.error_count - SHOWN_ERRORS),
        "active_nav": "roster",
    }
    return render(request, "orgs/roster_result.html", context)


@never_cache
@guarded(can, "import_roster")
def roster_error_file(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    record = roster.get_import_for_user(request.user, pk)
    if not record.error_file:
        raise Http404
    with record.error_file.open("rb") as handle:
        data = handle.read()
    stem = PurePath(record.original_name).stem or "roster"
    return xlsx_response(data, _("%(name)s-错误说明.xlsx") % {"name": stem})


@guarded(can, "import_roster")
def roster_template(request: AuthenticatedHttpRequest) -> HttpResponse:
    return xlsx_response(roster.build_template(), _("名册导入模板.xlsx"))


@never_cache
@guarded(can, "export_roster")
def roster_export(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    unit_id = request.GET.get("unit", "")
    root = selectors.get_unit_for_user(user, int(unit_id)) if unit_id.isdigit() else None
    if root is not None and not can(user, "export_roster", root):
        raise Http404
    data = roster.export_roster(user, root=root)
    return xlsx_response(data, _export_name(root))


def _export_name(root: Unit | None) -> str:
    scope = root.name if root is not None else _("全部")
    stamp = timezone.localdate().strftime("%Y%m%d")
    return _("名册-%(scope)s-%(date)s.xlsx") % {"scope": scope, "date": stamp}


@never_cache
@require_POST
@guarded(can, "export_clear_phones")
def roster_export_clear(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The roster with clear mobile numbers: asked for with a reason, written to the audit."""
    user = request.user
    unit_id = request.POST.get("unit", "")
    root = selectors.get_unit_for_user(user, int(unit_id)) if unit_id.isdigit() else None
    try:
        data = roster.check_export_roster_clear(
            user, root=root, reason=request.POST.get("reason", "")
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("orgs:roster_import")
    return xlsx_response(data, _export_name(root))

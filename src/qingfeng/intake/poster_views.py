"""Unit QR codes and posters: the staff page (/intake/posters/) listing the units in the
viewer's scope with their PNG, SVG and A4 PDF, the audited "print all" PDF, and the public
short link a code opens (/report/u/<id>/).

Who may print: a unit's admin for their unit (a county's admin also for its schools) and the
bureau's intake office for the whole city; any other unit is a 404.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from qingfeng.core import registry
from qingfeng.core.http import AuthenticatedHttpRequest
from qingfeng.core.policy import guarded, public
from qingfeng.core.publicform import qr
from qingfeng.core.publicform.poster import PosterFontError
from qingfeng.intake import actions
from qingfeng.intake.permissions import can
from qingfeng.intake.publicform import unit_posters, unit_report_url
from qingfeng.intake.selectors import poster_units_visible_to
from qingfeng.orgs.models import Unit

PAGE_SIZE = 50


class PosterFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=50, label=gettext_lazy("单位名称"))
    under = forms.IntegerField(required=False, min_value=1, label=gettext_lazy("范围"))


def _filtered(
    request: AuthenticatedHttpRequest,
) -> tuple[PosterFilterForm, Unit | None, QuerySet[Unit]]:
    """The units in scope that match the filter (a bad filter shows everything in scope)."""
    units = poster_units_visible_to(request.user)
    form = PosterFilterForm(request.GET or None)
    data: dict[str, Any] = form.cleaned_data if form.is_valid() else {}
    under = None
    if data.get("under"):
        under = get_object_or_404(units, pk=data["under"])
        units = units.filter(under.subtree_q(""))
    text = (data.get("q") or "").strip()
    if text:
        units = units.filter(Q(name__contains=text) | Q(short_name__contains=text))
    return form, under, units.order_by("path")


def _pdf(request: HttpRequest, units: list[Unit], filename: str) -> HttpResponse:
    try:
        data = unit_posters(request, units)
    except PosterFontError as exc:
        return render(request, "intake/poster_unavailable.html", {"message": str(exc)}, status=503)
    return qr.inline_response(data, content_type="application/pdf", filename=filename)


@guarded(can, "posters")
@require_GET
def poster_list(
    request: AuthenticatedHttpRequest, *, error: str = "", status: int = 200
) -> HttpResponse:
    form, under, units = _filtered(request)
    page = Paginator(units.select_related("parent"), PAGE_SIZE).get_page(request.GET.get("page"))
    scopes = poster_units_visible_to(request.user).filter(
        kind__in=[Unit.Kind.BUREAU, Unit.Kind.COUNTY]
    )
    query = request.GET.copy()
    query.pop("page", None)
    notices = registry.unit_notices([u.pk for u in page])
    context = {
        "form": form,
        "under": under,
        "page": page,
        "rows": [(unit, notices.get(unit.pk, [])) for unit in page],
        "scopes": list(scopes.order_by("path")[:200]),
        "query": query.urlencode(),
        "base_url": qr.public_base_url(request),
        "base_url_set": bool(settings.QF_PUBLIC_BASE_URL),
        "bulk_max": settings.QF_POSTER_BULK_MAX,
        "error": error,
    }
    return render(request, "intake/posters.html", context, status=status)


@guarded(can, "posters")
@require_GET
def poster_print_all(request: AuthenticatedHttpRequest) -> HttpResponse:
    """打印全部: one page per unit of the filtered list, up to QF_POSTER_BULK_MAX; audited."""
    _form, under, units = _filtered(request)
    found = list(units[: settings.QF_POSTER_BULK_MAX + 1])
    if not found:
        return poster_list(request, error=_("没有符合条件的单位"), status=400)
    if len(found) > settings.QF_POSTER_BULK_MAX:
        message = _("一次最多打印 %(n)d 张海报，请先按县区或单位名称筛选") % {
            "n": settings.QF_POSTER_BULK_MAX
        }
        return poster_list(request, error=message, status=400)
    response = _pdf(request, found, _("直通车海报") + ".pdf")
    if response.status_code == 200:
        actions.do_record_poster_print(actor=request.user, under=under, units=found)
    return response


def _unit(request: AuthenticatedHttpRequest, unit_id: int) -> Unit:
    """404 for a unit outside the user's poster scope, exactly as for a missing id."""
    return get_object_or_404(poster_units_visible_to(request.user), pk=unit_id)


@guarded(can, "posters")
@require_GET
def poster_png(request: AuthenticatedHttpRequest, unit_id: int) -> HttpResponse:
    unit = _unit(request, unit_id)
    return qr.png_response(unit_report_url(request, unit), filename=f"{unit.name}.png")


@guarded(can, "posters")
@require_GET
def poster_svg(request: AuthenticatedHttpRequest, unit_id: int) -> HttpResponse:
    unit = _unit(request, unit_id)
    return qr.svg_response(unit_report_url(request, unit), filename=f"{unit.name}.svg")


@guarded(can, "posters")
@require_GET
def poster_pdf(request: AuthenticatedHttpRequest, unit_id: int) -> HttpResponse:
    unit = _unit(request, unit_id)
    return _pdf(request, [unit], f"{unit.name}.pdf")


@public
@require_GET
def unit_link(request: HttpRequest, unit_id: int) -> HttpResponse:
    """The address a unit's QR code opens: on to the form with the unit preset (the form
    ignores a unit that no longer exists or is inactive and lets the reporter choose)."""
    return HttpResponseRedirect(f"{reverse('report:new')}?unit={unit_id}")

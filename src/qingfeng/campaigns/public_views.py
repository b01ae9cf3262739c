"""/notice/reception/: the public notices of principals' reception days and the bureau's open
week — when, where, who receives, how to come — a unit's list, one notice (printable), and its
A4 poster with a QR code of the notice's address. Only what the unit announced is shown: no
name of anyone who came, nothing of what was raised."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from qingfeng.campaigns import selectors
from qingfeng.campaigns.models import Activity
from qingfeng.core.policy import public
from qingfeng.core.publicform import poster, qr
from qingfeng.orgs.models import Unit


def _report_url(unit: Unit) -> str:
    """The unit's page of the channel (where one can also write in), when the channel is on."""
    try:
        return reverse("report:unit", args=[unit.pk])
    except NoReverseMatch:
        return ""


@public
@require_GET
def notices(request: HttpRequest) -> HttpResponse:
    rows = selectors.public_notices()[:200]
    return render(request, "campaigns/public/notices.html", {"rows": rows})


@public
@require_GET
def unit_notices(request: HttpRequest, unit_id: int) -> HttpResponse:
    unit = get_object_or_404(Unit.objects.filter(is_active=True), pk=unit_id)
    rows = selectors.public_notices(unit)[:50]
    context = {"unit": unit, "rows": rows, "report_url": _report_url(unit)}
    return render(request, "campaigns/public/unit.html", context)


@public
@require_GET
def notice(request: HttpRequest, pk: int) -> HttpResponse:
    activity = selectors.get_public_notice(pk)
    context = {"a": activity, "report_url": _report_url(activity.unit)}
    return render(request, "campaigns/public/notice.html", context)


HOW_WIDTH = 34


def notice_lines(activity: Activity) -> tuple[poster.Line, ...]:
    """The notice's facts under the code, as the page states them."""
    day = selectors.notice_when(activity)
    lines = [
        poster.Line(_("时间：%(d)s") % {"d": day}, size=20, gap=36),
        poster.Line(_("地点：%(p)s") % {"p": activity.place}, size=18, gap=30),
        poster.Line(_("接待人：%(c)s") % {"c": activity.cadre}, size=18, gap=30),
    ]
    # The poster's lines do not wrap: how to come (at most 120 characters) in lines of 34.
    text = activity.how_to_come
    chunks = [text[i : i + HOW_WIDTH] for i in range(0, len(text), HOW_WIDTH)]
    lines += [poster.Line(c, size=13, gap=28 if i == 0 else 19) for i, c in enumerate(chunks)]
    if activity.contact:
        lines.append(poster.Line(_("咨询电话：%(t)s") % {"t": activity.contact}, size=14, gap=24))
    if activity.status == Activity.Status.CANCELLED:
        lines.insert(0, poster.Line(_("本次活动已取消：%(r)s") % {"r": activity.cancel_reason}))
    return tuple(lines)


@public
@require_GET
def notice_poster(request: HttpRequest, pk: int) -> HttpResponse:
    """The A4 notice to print and put up at the gate: the code opens the notice's page."""
    activity = selectors.get_public_notice(pk)
    url = qr.public_url(request, reverse("reception:unit", args=[activity.unit_id]))
    wording = poster.Wording(
        title=str(activity.get_kind_display()),
        subtitle=_("欢迎来访 · 当面反映意见建议"),
        lines=notice_lines(activity),
    )
    root = Unit.objects.filter(pk=activity.unit.ancestor_ids(include_self=True)[0]).first()
    page = poster.Poster(name=activity.unit.name, url=url, issuer=root.name if root else "")
    try:
        data = poster.render([page], wording=wording)
    except poster.PosterFontError as exc:
        return HttpResponse(str(exc), status=503, content_type="text/plain; charset=utf-8")
    return qr.inline_response(
        data, content_type="application/pdf", filename=f"{activity.unit.name}.pdf"
    )

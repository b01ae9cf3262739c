"""The supervision channel's use of the public-form kit (`core.publicform`): its human check
and rate limits under its own settings, and what its QR codes open and its posters say.

A unit's code opens `/report/u/<id>/`, which sends the phone on to the form with the unit
preset. The raw id is enough: unit ids are public already (the form's unit search, the public
progress pages), so a token would hide nothing, and a token signed with the secret key would
break every printed poster when the key is rotated. The short path keeps the code small
(bigger modules scan better from a wall) and is short enough to type from the poster.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.db.models import Max, Min
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from qingfeng.core import registry
from qingfeng.core.publicform import poster, qr
from qingfeng.core.publicform.captcha import HumanCheck
from qingfeng.core.publicform.throttle import Limit
from qingfeng.core.publicform.views import HumanCheckViews
from qingfeng.core.publicform.work import WorkCheck
from qingfeng.core.registry import UnitNotice
from qingfeng.intake.models import TicketCategory
from qingfeng.orgs.models import Unit

captcha = HumanCheck(
    namespace="intake", switch="QF_INTAKE_HUMAN_CHECK", sum_switch="QF_INTAKE_SUM_CHECK"
)
work = WorkCheck(namespace="intake", switch="QF_INTAKE_HUMAN_CHECK")
HUMAN_CHECK = HumanCheckViews(check=captcha, work=work, url_namespace="report")


def submit_limit() -> Limit:
    return Limit("intake", "submit", settings.QF_INTAKE_SUBMITS_PER_HOUR, 3600)


# Submissions of an address this hour that leave the next at the base work: the first four
# of an hour cost the same (a family, a school's network), each one after doubles the work.
FREE_SUBMISSIONS = 3


def work_level(request: HttpRequest) -> int:
    """How much harder the proof of work is for this address: one doubling for each of its
    submissions this hour beyond the first few."""
    return max(0, submit_limit().count(request) - FREE_SUBMISSIONS)


def lookup_limit() -> Limit:
    """Failed receipt-code look-ups: guessing codes is what it slows down."""
    return Limit(
        "intake",
        "lookup",
        settings.QF_INTAKE_LOOKUP_FAILURES,
        settings.QF_INTAKE_LOOKUP_WINDOW_MINUTES * 60,
    )


def unit_report_url(request: HttpRequest, unit: Unit) -> str:
    """The absolute address a unit's QR code opens."""
    return qr.public_url(request, reverse("report:unit", args=[unit.pk]))


def deadline_text() -> str:
    """受理/办结 deadlines as the landing page states them (the active categories' range)."""
    limits = TicketCategory.objects.filter(is_active=True).aggregate(
        accept_min=Min("accept_days"),
        accept_max=Max("accept_days"),
        reply_min=Min("reply_days"),
        reply_max=Max("reply_days"),
    )
    if limits["accept_min"] is None:
        return ""

    def span(low: int, high: int) -> str:
        return str(low) if low == high else f"{low}–{high}"

    return _("受理 %(a)s 个工作日 · 办结 %(r)s 个工作日") % {
        "a": span(limits["accept_min"], limits["accept_max"]),
        "r": span(limits["reply_min"], limits["reply_max"]),
    }


def poster_wording() -> poster.Wording:
    """The channel's words on its posters; the hotline and deadlines as configured now."""
    lines = []
    if settings.QF_HOTLINE_NUMBER:
        lines.append(
            poster.Line(_("监督热线：%(n)s") % {"n": settings.QF_HOTLINE_NUMBER}, size=20, gap=34)
        )
    lines.append(poster.Line(_("可以投诉、举报，也可以提意见建议"), gap=40))
    lines.append(poster.Line(_("匿名可选 · 回执码查询进度 · 信息加密保护"), gap=32))
    if deadlines := deadline_text():
        lines.append(poster.Line(deadlines, gap=30))
    return poster.Wording(title=_("作风建设直通车"), subtitle=_("扫码反映问题"), lines=tuple(lines))


# A unit's coming reception days printed on its poster: the soonest few, then where to read
# them all (the poster hangs for weeks; the page is current).
POSTER_NOTICES = 2


def notice_lines(request: HttpRequest, notices: Sequence[UnitNotice]) -> tuple[poster.Line, ...]:
    """The unit's coming public notices (reception days, open weeks) under the channel's own
    lines, and the address of the page that lists them."""
    if not notices:
        return ()
    lines = [poster.Line(_("近期接待安排（可当面反映）"), size=15, gap=30)]
    lines += [poster.Line(n.text, size=12, gap=20) for n in notices[:POSTER_NOTICES]]
    link = qr.public_url(request, notices[0].path)
    lines.append(poster.Line(_("接待公告：%(url)s") % {"url": link}, size=10, gap=17))
    return tuple(lines)


def unit_posters(request: HttpRequest, units: Sequence[Unit]) -> bytes:
    """One A4 poster per unit, each with the name of its tree's root (the bureau that runs the
    channel) in the footer and the unit's coming reception days (`registry.unit_notices`).
    Raises `poster.PosterFontError` without a usable font."""
    root_ids = {u.ancestor_ids(include_self=True)[0] for u in units}
    names = dict(Unit.objects.filter(pk__in=root_ids).values_list("pk", "name"))
    notices = registry.unit_notices([u.pk for u in units])
    pages = [
        poster.Poster(
            name=unit.name,
            url=unit_report_url(request, unit),
            issuer=names.get(unit.ancestor_ids(include_self=True)[0], ""),
            lines=notice_lines(request, notices.get(unit.pk, [])),
        )
        for unit in units
    ]
    return poster.render(pages, wording=poster_wording())

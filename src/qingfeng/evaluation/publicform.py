"""The rating page's use of the public-form kit (`core.publicform`): its human check, its
address signal, the device cookie, and what its QR codes open and its posters say.

The device token is a signed cookie that lists the (round, unit) pairs this browser rated:
a second rating of the same unit from it is flagged, and nothing about the device is kept on
the server. The address signal counts under a salted hash (`Limit`), never the address.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from qingfeng.core.publicform import poster, qr
from qingfeng.core.publicform.captcha import HumanCheck
from qingfeng.core.publicform.device import DeviceMemory
from qingfeng.core.publicform.throttle import Limit
from qingfeng.core.publicform.views import HumanCheckViews
from qingfeng.core.publicform.work import WorkCheck
from qingfeng.evaluation.models import Round
from qingfeng.orgs.models import Unit

captcha = HumanCheck(namespace="evaluation", switch="QF_EVALUATION_HUMAN_CHECK")
work = WorkCheck(namespace="evaluation", switch="QF_EVALUATION_HUMAN_CHECK")
HUMAN_CHECK = HumanCheckViews(check=captcha, work=work, url_namespace="rate")

DEVICE_COOKIE = "qf_rated"
# The (round, unit) pairs this browser rated; a quarter and a bit: one round.
RATED = DeviceMemory(
    cookie=DEVICE_COOKIE,
    salt="qingfeng.evaluation.device",
    max_age=120 * 24 * 3600,
    path="/rate/",
)
FORM_SALT = "qingfeng.evaluation.form"
FORM_AGE = 6 * 3600


def rate_limit() -> Limit:
    return Limit("evaluation", "rate", settings.QF_EVALUATION_RATES_PER_HOUR, 3600)


def address_busy(request: HttpRequest) -> bool:
    """The address rated more than the hourly number: the human check is asked for."""
    return rate_limit().is_limited(request)


def device_rated(request: HttpRequest, round_: Round, unit: Unit) -> bool:
    return RATED.has(request, f"{round_.pk}-{unit.pk}")


def remember_device(
    request: HttpRequest, response: HttpResponse, round_: Round, unit: Unit
) -> None:
    RATED.remember(request, response, f"{round_.pk}-{unit.pk}")


def form_token(key: str) -> str:
    """The render's idempotency key and time, signed: the time to complete is measured."""
    return signing.dumps({"k": key, "t": int(time.time())}, salt=FORM_SALT)


def seconds_taken(token: str, key: str) -> int | None:
    try:
        data = signing.loads(token, salt=FORM_SALT, max_age=FORM_AGE)
    except signing.BadSignature:
        return None
    if data.get("k") != key:
        return None
    return max(0, int(time.time()) - int(data["t"]))


def unit_rate_url(request: HttpRequest, unit: Unit) -> str:
    return qr.public_url(request, reverse("rate:unit", args=[unit.pk]))


def poster_wording(round_: Round) -> poster.Wording:
    """The poster says what is rated and for which period."""
    period = _("评议时间：%(a)s 至 %(b)s") % {
        "a": round_.starts_on.isoformat(),
        "b": round_.ends_on.isoformat(),
    }
    lines = [
        poster.Line(round_.name, size=20, gap=34),
        poster.Line(period, gap=34),
        poster.Line(_("家长、学生、教职工和社会人士均可评议"), gap=32),
        poster.Line(_("匿名评议 · 不记录个人信息 · 约 30 秒完成"), gap=30),
    ]
    return poster.Wording(
        title=_("群众满意度评议"), subtitle=_("扫码评议本单位"), lines=tuple(lines)
    )


def unit_posters(request: HttpRequest, round_: Round, units: Sequence[Unit]) -> bytes:
    pages = [
        poster.Poster(name=u.name, url=unit_rate_url(request, u), issuer=round_.owner.name)
        for u in units
    ]
    return poster.render(pages, wording=poster_wording(round_))

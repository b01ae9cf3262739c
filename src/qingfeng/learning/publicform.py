"""The public pledge rating's use of the public-form kit (`core.publicform`): its own human
check and hourly number under the `learning` namespace, the device signal as a signed cookie
the browser keeps (the units it rated this quarter), the QR code and the A4 poster.

Nothing about the rater reaches the server's tables: the address signal is a salted count in
the cache, the device signal lives in the browser.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from qingfeng.core.publicform import poster, qr
from qingfeng.core.publicform.captcha import HumanCheck
from qingfeng.core.publicform.device import DeviceMemory
from qingfeng.core.publicform.throttle import Limit
from qingfeng.core.publicform.views import HumanCheckViews
from qingfeng.core.publicform.work import WorkCheck
from qingfeng.orgs.models import Unit

captcha = HumanCheck(namespace="learning", switch="QF_LEARNING_HUMAN_CHECK")
work = WorkCheck(namespace="learning", switch="QF_LEARNING_HUMAN_CHECK")
HUMAN_CHECK = HumanCheckViews(check=captcha, work=work, url_namespace="pledge_rate")

# The (quarter, unit) pairs this browser rated; a quarter and a bit.
RATED = DeviceMemory(
    cookie="qf_pledge_rated",
    salt="qingfeng.learning.device",
    max_age=100 * 24 * 3600,
    path="/rate/pledge/",
)


def rate_limit() -> Limit:
    return Limit("learning", "pledge_rate", settings.QF_LEARNING_RATES_PER_HOUR, 3600)


def device_rated(request: HttpRequest, unit: Unit, period: str) -> bool:
    return RATED.has(request, f"{period}-{unit.pk}")


def remember_device(request: HttpRequest, response: HttpResponse, unit: Unit, period: str) -> None:
    RATED.remember(request, response, f"{period}-{unit.pk}")


def rate_url(request: HttpRequest, unit: Unit) -> str:
    return qr.public_url(request, reverse("pledge_rate:unit", args=[unit.pk]))


def qr_png(request: HttpRequest, unit: Unit) -> HttpResponse:
    return qr.png_response(rate_url(request, unit), filename=f"pledge-rate-{unit.pk}.png")


def poster_pdf(request: HttpRequest, unit: Unit, *, issuer: str) -> bytes:
    wording = poster.Wording(
        title=_("评诺：请您评一评"),
        subtitle=_("扫码评议本单位教职工践行承诺情况"),
        lines=(
            poster.Line(_("廉洁从教承诺践诺"), size=20, gap=34),
            poster.Line(_("家长、学生和社会人士均可评议"), gap=32),
            poster.Line(_("匿名评议 · 不记录个人信息 · 约 10 秒完成"), gap=30),
        ),
    )
    page = poster.Poster(name=unit.name, url=rate_url(request, unit), issuer=issuer)
    return poster.render([page], wording=wording)

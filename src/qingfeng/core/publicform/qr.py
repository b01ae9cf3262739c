"""QR codes that open a public page: the address they encode, and the code as an image.

The address is QF_PUBLIC_BASE_URL (the name the internet knows the public pages by, when
staff pages are reached by another) or else the scheme and host of the staff member's own
request. The drawing itself is `lib.qr`'s.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.http import content_disposition_header

from qingfeng.lib import qr


def public_base_url(request: HttpRequest) -> str:
    """QF_PUBLIC_BASE_URL, or the scheme and host of this request."""
    return settings.QF_PUBLIC_BASE_URL or request.build_absolute_uri("/").rstrip("/")


def public_url(request: HttpRequest, path: str) -> str:
    """The absolute address of a public page's path (from `reverse`)."""
    return public_base_url(request) + path


def inline_response(data: bytes, *, content_type: str, filename: str) -> HttpResponse:
    """A generated file shown in the browser, saved under `filename` when the user saves it."""
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(False, filename) or ""
    return response


def png_response(url: str, *, filename: str) -> HttpResponse:
    return inline_response(
        qr.png_bytes(qr.make_code(url)), content_type="image/png", filename=filename
    )


def svg_response(url: str, *, filename: str) -> HttpResponse:
    return inline_response(
        qr.svg_bytes(qr.make_code(url)), content_type="image/svg+xml", filename=filename
    )

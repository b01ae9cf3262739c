"""A request whose user is signed in, for views behind `signed_in` or `guarded` (as
healthchecks' `AuthenticatedHttpRequest`): the views read `request.user` as the project's
user model without casts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest, HttpResponse
from django.utils.http import content_disposition_header

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from qingfeng.orgs.models import User


class AuthenticatedHttpRequest(HttpRequest):
    user: User
    htmx: HtmxDetails  # set by django-htmx's middleware on every request


class HtmxHttpRequest(HttpRequest):
    """Any request (signed in or not) as django-htmx's middleware leaves it."""

    htmx: HtmxDetails


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_response(data: bytes, filename: str) -> HttpResponse:
    """An .xlsx download named `filename` (any script: RFC 6266 `filename*`)."""
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, filename) or ""
    return response

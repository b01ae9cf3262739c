"""Answers for when the site cannot serve a request right now, instead of an HTML 500 or a
request left waiting: 503 with `Retry-After`, as JSON under /api/ and as a Chinese page
elsewhere.

- `server_error` is the site's handler500: a database that cannot be reached (OperationalError,
  InterfaceError — the server down, the file gone, the connection lost) is an outage, not a
  bug, wherever in the request it happened (middleware included, which a middleware's
  `process_exception` would not see).
- `overloaded` is what the load shedding in `core.capacity` answers, and what a request gets
  that still waited its longest in its process's queue (`core.waits.WaitedTooLong`): for a
  pooled PostgreSQL connection (core.postgresql) or behind the process's other writers for
  SQLite's write lock (core.sqlite): the process is over capacity, the database is fine.

Neither touches the database: the page is rendered without the request's context processors.
"""

from __future__ import annotations

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views import defaults

from qingfeng.core.waits import WaitedTooLong

log = logging.getLogger(__name__)

OUTAGE_RETRY_AFTER = 30  # seconds
OVERLOAD_RETRY_AFTER = 5


def unavailable(request: HttpRequest, message: str, *, retry_after: int) -> HttpResponse:
    """503 with `Retry-After`: the API's JSON error shape, or the Chinese page."""
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=503)
    else:
        page = render_to_string("503.html", {"message": message, "retry_after": retry_after})
        response = HttpResponse(page, status=503)
    response["Retry-After"] = str(retry_after)
    response["Cache-Control"] = "no-store"
    # Set here: a shed answer skips the middleware that would add it, and without it a
    # kept-alive client gets the body chunked.
    response["Content-Length"] = str(len(response.content))
    return response


def overloaded(request: HttpRequest) -> HttpResponse:
    response = unavailable(
        request, _("访问人数过多，系统繁忙，请稍后再试。"), retry_after=OVERLOAD_RETRY_AFTER
    )
    # The access log shows each 503; an error line (or a traceback) apiece would add to the
    # load that caused it.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: called while the uncaught exception is being handled."""
    error = sys.exc_info()[1]
    if isinstance(error, OperationalError) and isinstance(error.__cause__, WaitedTooLong):
        return overloaded(request)
    if isinstance(error, OperationalError | InterfaceError):
        log.error("database unavailable: %s", type(error).__name__)
        return unavailable(
            request,
            _("系统正在维护或数据库暂时无法连接，请稍后再试。"),
            retry_after=OUTAGE_RETRY_AFTER,
        )
    return defaults.server_error(request)

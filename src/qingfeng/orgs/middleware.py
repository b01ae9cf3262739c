from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from qingfeng.core.context import SESSION_SEEN, SESSION_STARTED, SESSION_VERIFIED
from qingfeng.orgs import permissions

__all__ = [
    "SESSION_STARTED",
    "SESSION_VERIFIED",
    "AccountGateMiddleware",
    "SessionLimitsMiddleware",
]

# Paths outside the gate. The API checks the same conditions in its own authentication
# (qingfeng.api.auth); public pages do not depend on who is signed in.
_GATE_EXEMPT = ("/static/", "/healthz", "/i18n/", "/api/", "/report/", "/progress/", "/rate/")
# Before the second factor, only the pages that finish or abandon the sign-in: the profile
# (API tokens) and the password change need both factors.
_BEFORE_SECOND_FACTOR = ("/accounts/login/", "/accounts/logout/", "/accounts/second-factor/")
_BEFORE_PASSWORD_CHANGE = (*_BEFORE_SECOND_FACTOR, "/accounts/password/")


# How stale the idle clock may get: a session is written at most once a minute, so reading
# pages does not write to the database (on SQLite, would wait for an import's write lock).
SEEN_RESOLUTION = 60


class SessionLimitsMiddleware:
    """The idle timeout (QF_SESSION_IDLE_MINUTES) and the absolute limit, both kept here.

    The idle clock is the session's last-seen time, moved forward at most once a minute
    (`SEEN_RESOLUTION`): a request inside that minute changes nothing, so the session is not
    saved and a page view writes nothing. The session row itself expires a minute after the
    idle limit (SESSION_COOKIE_AGE), so the check here is the one that ends an idle session.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = time.time()
            session = request.session
            started = session.get(SESSION_STARTED)
            seen = float(session.get(SESSION_SEEN, started or 0))
            if started is None or now - float(started) > settings.QF_SESSION_ABSOLUTE_HOURS * 3600:
                logout(request)
                if request.path.startswith("/api/"):
                    return self.get_response(request)  # the API answers 401 itself
                messages.info(request, _("登录已超时，请重新登录"))
                return redirect(settings.LOGIN_URL)
            if now - seen > settings.QF_SESSION_IDLE_MINUTES * 60:
                logout(request)  # then on as anyone signed out: the sign-in page, with ?next=
            elif now - seen >= SEEN_RESOLUTION:
                session[SESSION_SEEN] = now
        return self.get_response(request)


class AccountGateMiddleware:
    """A signed-in user must finish the second factor and any due password change first."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        path = request.path
        if user.is_authenticated and not path.startswith(_GATE_EXEMPT):
            if not request.session.get(SESSION_VERIFIED):
                if not path.startswith(_BEFORE_SECOND_FACTOR):
                    return redirect("accounts:second_factor")
            elif not path.startswith(_BEFORE_PASSWORD_CHANGE) and permissions.password_expired(
                user
            ):
                return redirect("accounts:password_change")
        return self.get_response(request)

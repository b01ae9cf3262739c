from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from qingfeng.core.context import SESSION_STARTED, SESSION_VERIFIED
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


class SessionLimitsMiddleware:
    """Idle timeout comes from SESSION_COOKIE_AGE; this adds the absolute limit."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            started = request.session.get(SESSION_STARTED)
            limit = settings.QF_SESSION_ABSOLUTE_HOURS * 3600
            if started is None or time.time() - float(started) > limit:
                logout(request)
                if request.path.startswith("/api/"):
                    return self.get_response(request)  # the API answers 401 itself
                messages.info(request, _("登录已超时，请重新登录"))
                return redirect(settings.LOGIN_URL)
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

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.sessions.backends.base import SessionBase, UpdateError
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from qingfeng.core.context import SESSION_SEEN, SESSION_STARTED, SESSION_VERIFIED
from qingfeng.orgs import permissions

__all__ = [
    "SEEN_COOKIE",
    "SESSION_STARTED",
    "SESSION_VERIFIED",
    "AccountGateMiddleware",
    "SessionLimitsMiddleware",
]

# Paths outside the gate. The API checks the same conditions in its own authentication
# (qingfeng.api.auth); public pages do not depend on who is signed in.
_GATE_EXEMPT = ("/static/", "/healthz", "/i18n/", "/api/", "/report/", "/progress/", "/rate/")
# Before the second factor, only the pages that finish or abandon the sign-in (with the
# challenge's picture and "换一题", which the code page may ask for): the profile (API tokens)
# and the password change need both factors.
_BEFORE_SECOND_FACTOR = (
    "/accounts/login/",
    "/accounts/logout/",
    "/accounts/second-factor/",
    "/accounts/check/",
)
_BEFORE_PASSWORD_CHANGE = (*_BEFORE_SECOND_FACTOR, "/accounts/password/")


# How stale the idle clock may get: the clock moves at most once a minute.
SEEN_RESOLUTION = 60
# The clock between two saves of the session row: a signed cookie bound to the session key,
# so moving it writes nothing on the server. Replaying an older one only makes the session
# look idler; without it the row's own stamp counts.
SEEN_COOKIE = "qf_seen"
_SEEN_SALT = "qingfeng.orgs.seen:"

logger = logging.getLogger(__name__)


def row_slack() -> float:
    """How far the row's own stamp may lag the last request.

    The row expires SESSION_COOKIE_AGE after it was last saved, and must still be there
    QF_SESSION_IDLE_MINUTES after the last request: so it is saved again once its stamp is
    older than the difference (a minute while the row outlives the idle limit by a minute;
    never within the absolute limit when the row lives that long).
    """
    idle = settings.QF_SESSION_IDLE_MINUTES * 60
    return float(max(SEEN_RESOLUTION, settings.SESSION_COOKIE_AGE - idle))


def _cookie_seen(request: HttpRequest, key: str | None) -> float:
    if not key:
        return 0.0
    value = request.get_signed_cookie(SEEN_COOKIE, default="", salt=_SEEN_SALT + key) or ""
    try:
        return float(value)
    except ValueError:
        return 0.0


class SessionLimitsMiddleware:
    """The idle timeout (QF_SESSION_IDLE_MINUTES) and the absolute limit, both kept here.

    The idle clock is the later of the session's stamp (`SESSION_SEEN`, in the row) and the
    signed cookie `SEEN_COOKIE`, and moves at most once a minute (`SEEN_RESOLUTION`). A
    request moves it in the cookie; the row is saved only when its stamp is older than
    `row_slack()`, so that the row outlives the idle limit counted from the last request.
    A page that only reads writes nothing else, and when that save fails (on SQLite, the
    write lock busy past its timeout) the page is still served: the next request saves it.
    The middleware's check is the one that ends an idle session.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.user.is_authenticated:
            return self.get_response(request)
        now = time.time()
        session = request.session
        key = session.session_key
        started = session.get(SESSION_STARTED)
        stored = float(session.get(SESSION_SEEN, started or 0))
        seen = max(stored, _cookie_seen(request, key))
        if started is None or now - float(started) > settings.QF_SESSION_ABSOLUTE_HOURS * 3600:
            logout(request)
            if request.path.startswith("/api/"):
                return self.get_response(request)  # the API answers 401 itself
            messages.info(request, _("登录已超时，请重新登录"))
            return redirect(settings.LOGIN_URL)
        if now - seen > settings.QF_SESSION_IDLE_MINUTES * 60:
            logout(request)  # then on as anyone signed out: the sign-in page, with ?next=
            return self.get_response(request)
        response = self.get_response(request)
        if not request.user.is_authenticated or session.session_key != key:
            return response  # signed out or in again by the view: nothing of this clock
        saved = now - stored >= row_slack() and self._save_stamp(session, now)
        if not saved and now - seen >= SEEN_RESOLUTION:
            response.set_signed_cookie(
                SEEN_COOKIE,
                str(int(now)),  # floored: never later than the request
                salt=_SEEN_SALT + str(key),
                domain=settings.SESSION_COOKIE_DOMAIN,
                path=settings.SESSION_COOKIE_PATH,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite=settings.SESSION_COOKIE_SAMESITE,
            )
        return response

    @staticmethod
    def _save_stamp(session: SessionBase, now: float) -> bool:
        changed = session.modified  # the view changed the session: saved as usual, or fails
        session[SESSION_SEEN] = now
        if changed:
            return True
        try:
            session.save()
        except (DatabaseError, UpdateError):
            # Only the stamp was to be written: the page stands, the next request tries again
            # (the cookie keeps the clock meanwhile).
            logger.warning("session idle stamp not saved; the next request tries again")
            return False
        finally:
            session.modified = False  # saved here (or given up), not by SessionMiddleware
        return True


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

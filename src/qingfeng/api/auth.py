"""API authentication: the browser session (with CSRF) or a personal bearer token."""

from __future__ import annotations

from typing import Any, cast

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from qingfeng.orgs.actions import do_mark_token_used, hash_token
from qingfeng.orgs.middleware import SESSION_VERIFIED
from qingfeng.orgs.models import User
from qingfeng.orgs.permissions import password_expired
from qingfeng.orgs.selectors import active_token


def api_user(request: HttpRequest) -> User:
    """The user of a request the API's authentication let in: both ways below set it."""
    return cast("User", request.user)


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = active_token(hash_token(token))
        if found is None:
            return None
        do_mark_token_used(found)
        request.user = found.user
        request.api_token = found  # type: ignore[attr-defined]
        return found.user


class VerifiedSessionAuth(SessionAuth):
    """A session counts only once the second factor (where required) is done and no
    password change is due — the same gate the pages apply."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if user is None or not request.session.get(SESSION_VERIFIED):
            return None
        if password_expired(user):
            return None
        return user

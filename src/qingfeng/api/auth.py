"""API authentication: the browser session (with CSRF) or a personal bearer token."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer, SessionAuth

from qingfeng.orgs.actions import hash_token
from qingfeng.orgs.middleware import SESSION_VERIFIED
from qingfeng.orgs.models import ApiToken
from qingfeng.orgs.permissions import password_expired


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = (
            ApiToken.objects.select_related("user")
            .filter(key_hash=hash_token(token), revoked_at__isnull=True, user__is_active=True)
            .first()
        )
        if found is None:
            return None
        if found.last_used_at is None or (timezone.now() - found.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=timezone.now())
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

"""Rate limits for the public pages, without keeping anybody's address.

A counter's key is an HMAC of the client address under a salt that changes every day (and
is derived from the secret key, so it cannot be recomputed from a copy of the cache). The
counters live in the Django cache with a timeout of one window, so they expire by
themselves; nothing here touches the database, the logs or the audit trail.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils import timezone

from qingfeng.core.middleware import client_address


@dataclass(frozen=True)
class Limit:
    scope: str  # "submit", "lookup"
    limit: int
    window: int  # seconds


def submit_limit() -> Limit:
    return Limit("submit", settings.QF_INTAKE_SUBMITS_PER_HOUR, 3600)


def lookup_limit() -> Limit:
    return Limit(
        "lookup", settings.QF_INTAKE_LOOKUP_FAILURES, settings.QF_INTAKE_LOOKUP_WINDOW_MINUTES * 60
    )


def _daily_salt() -> bytes:
    day = timezone.now().date().isoformat()  # UTC day: the same on every server
    return hmac.new(
        settings.SECRET_KEY.encode(), f"qingfeng-intake-throttle:{day}".encode(), hashlib.sha256
    ).digest()


def _key(request: HttpRequest, limit: Limit) -> str:
    digest = hmac.new(_daily_salt(), client_address(request).encode(), hashlib.sha256)
    bucket = int(time.time()) // limit.window
    return f"qf:intake:{limit.scope}:{bucket}:{digest.hexdigest()[:40]}"


def count(request: HttpRequest, limit: Limit) -> int:
    return int(cache.get(_key(request, limit), 0))


def is_limited(request: HttpRequest, limit: Limit) -> bool:
    return limit.limit > 0 and count(request, limit) >= limit.limit


def hit(request: HttpRequest, limit: Limit) -> int:
    """Count one event against the address; returns the new count."""
    key = _key(request, limit)
    cache.add(key, 0, timeout=limit.window + 60)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=limit.window + 60)
        return 1

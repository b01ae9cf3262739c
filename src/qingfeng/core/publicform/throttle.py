"""Rate limits for the public pages, without keeping anybody's address.

A counter's key is an HMAC of the client address under a salt that changes every day (and
is derived from the secret key and the form's namespace, so it cannot be recomputed from a
copy of the cache, nor matched between two forms). The counters live in the Django cache
with a timeout of one window, so they expire by themselves; nothing here touches the
database, the logs or the audit trail.

Each public form makes its own limits, e.g. `Limit("intake", "submit", 20, 3600)`: one
namespace's counts are never another's.
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
    namespace: str  # the form: "intake", "evaluation"
    scope: str  # what is counted: "submit", "lookup"
    limit: int  # events per window from one address; 0 turns `is_limited` off
    window: int  # seconds

    def _salt(self) -> bytes:
        day = timezone.now().date().isoformat()  # UTC day: the same on every server
        purpose = f"qingfeng-{self.namespace}-throttle:{day}".encode()
        return hmac.new(settings.SECRET_KEY.encode(), purpose, hashlib.sha256).digest()

    def _key(self, request: HttpRequest) -> str:
        digest = hmac.new(self._salt(), client_address(request).encode(), hashlib.sha256)
        bucket = int(time.time()) // self.window
        return f"qf:{self.namespace}:{self.scope}:{bucket}:{digest.hexdigest()[:40]}"

    def count(self, request: HttpRequest) -> int:
        return int(cache.get(self._key(request), 0))

    def is_limited(self, request: HttpRequest) -> bool:
        return self.limit > 0 and self.count(request) >= self.limit

    def over_after_hit(self, request: HttpRequest) -> bool:
        """Count one event, and say whether it went over the limit (a limit of 0 is none)."""
        count = self.hit(request)
        return self.limit > 0 and count > self.limit

    def hit(self, request: HttpRequest) -> int:
        """Count one event against the address; returns the new count."""
        key = self._key(request)
        cache.add(key, 0, timeout=self.window + 60)
        try:
            return cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=self.window + 60)
            return 1

"""Load shedding: past its capacity a web process answers the public channel at once with
503 and `Retry-After` (core.unavailable), instead of letting every request wait its turn
for seconds.

Under `serve` each web process is a gevent loop that accepts connections as they come
(core.webworker): a request waits inside the process, behind every request accepted before
it. Its queue time is known three ways:

- for the first request of a connection, how long the connection waited from being
  accepted to its greenlet's first run (`core.accepted.waited`, set by the worker);
- in any case, how late the loop runs: a small greenlet (a thread elsewhere) wakes every
  `TICK` seconds and records how far past its due time it woke;
- how long the longest-waiting request of the process has waited so far where it queues
  without making the loop late (core.waits): on SQLite for the write lock (core.sqlite), on
  PostgreSQL for a connection of the process's pool (core.postgresql).

Beyond QF_SHED_QUEUE_MS milliseconds the public channel is turned away: the prefixes
QF_SHED_PREFIXES names (the public API's) and every public page an app mounts
(`registry.add_urls(..., public=True)`: the report form, progress, ratings, notices — a new
app's public pages are shed without a setting); staff pages, /healthz and static files never are, and the refusal costs no database
work (the middleware sits before the session). A lone client is never turned away: with no
queue, its requests wait for nothing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from qingfeng.core import registry, waits
from qingfeng.core.accepted import waited
from qingfeng.core.unavailable import overloaded

TICK = 0.05  # seconds between the monitor's wake-ups


class LagMonitor:
    """How far behind this process's scheduler runs (gevent's loop, or the GIL's threads)."""

    def __init__(self) -> None:
        self.lag = 0.0
        self.started = False
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            if self.started:
                return
            self.started = True
        # Under gevent's monkey patching this thread is a greenlet of the request loop.
        threading.Thread(target=self._run, name="qf-lag-monitor", daemon=True).start()

    def _run(self) -> None:
        while True:
            due = time.monotonic() + TICK
            time.sleep(TICK)
            self.lag = max(0.0, time.monotonic() - due)

    def queue_seconds(self) -> float:
        """How late the loop ran at its last wake-up."""
        return self.lag


def queue_seconds() -> float:
    """How long the request being served waited for this process, or the longest current wait
    of a request of this process for SQLite's write lock or a pooled PostgreSQL connection
    (core.waits: they queue inside the process without making its loop late)."""
    return max(waited.get() or 0.0, monitor.queue_seconds(), waits.longest())


monitor = LagMonitor()


def _under_gevent() -> bool:
    try:
        from gevent import monkey
    except ImportError:
        return False
    return bool(monkey.is_module_patched("threading"))


def shed_prefixes() -> tuple[str, ...]:
    """QF_SHED_PREFIXES and the prefix of every public page an app mounts."""
    mounted = [f"/{mount.prefix}" for mount in registry.url_mounts() if mount.public]
    return tuple(dict.fromkeys([*settings.QF_SHED_PREFIXES, *mounted]))


class LoadSheddingMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.prefixes = shed_prefixes()
        if _under_gevent():
            # Elsewhere (a test process, another WSGI server) a thread's lateness measures the
            # GIL's contention, not a queue of requests: only the worker's own figure counts.
            monitor.start()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            settings.QF_SHED_QUEUE_MS > 0
            and request.path.startswith(self.prefixes)
            and queue_seconds() * 1000 > settings.QF_SHED_QUEUE_MS
        ):
            return overloaded(request)
        return self.get_response(request)

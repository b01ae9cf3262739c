"""The web worker `manage.py serve` runs: gunicorn's gevent worker, accepting eagerly and
noting how long each new connection waited to be served.

Gunicorn's gevent worker accepts one connection per turn of its loop when there are several
worker processes. Under load the rest then wait in the kernel's listen queue, where this
process cannot see them: a request would wait there for seconds and only then be turned
away. Accepting every waiting connection (up to gevent's 100 a turn) moves the queue into
the process, and the time from accepting a connection to its greenlet's first run is the
queue time of its first request, which the load shedding (core.capacity) compares with its limit.
"""

from __future__ import annotations

import contextvars
import time
from typing import Any

from gevent.server import StreamServer
from gunicorn.workers import ggevent

from qingfeng.core.accepted import waited


class _EagerStreamServer(StreamServer):  # type: ignore[misc]  # gevent ships no types here
    @property
    def max_accept(self) -> int:
        return int(StreamServer.max_accept)

    @max_accept.setter
    def max_accept(self, _value: int) -> None:
        """Gunicorn's `max_accept = 1` is ignored (see the module)."""

    def do_handle(self, *args: Any) -> None:
        # The accepting moment rides along to the connection's greenlet (GeventWorker.handle).
        super().do_handle(*args, time.monotonic())


class GeventWorker(ggevent.GeventWorker):  # type: ignore[misc]  # gunicorn ships no types
    def run(self) -> None:
        # This worker process's servers only; gunicorn's module reads the name at run time.
        ggevent.StreamServer = _EagerStreamServer
        super().run()

    def handle(self, listener: Any, client: Any, addr: Any, accepted: float | None = None) -> None:
        # Each connection in a context of its own: Django keeps its database connection (and
        # the active language) in context variables, and a greenlet would otherwise share
        # the dictionary that holds them with every other greenlet of the process.
        contextvars.Context().run(self._handle, listener, client, addr, accepted)

    def _handle(self, listener: Any, client: Any, addr: Any, accepted: float | None) -> None:
        # How long the connection waited for this greenlet to run: the queue its first
        # request stood in; later ones on a kept-alive connection are not timed here.
        waited.set(time.monotonic() - accepted if accepted is not None else None)
        super().handle(listener, client, addr)

    def handle_request(self, listener_name: Any, req: Any, sock: Any, addr: Any) -> None:
        try:
            super().handle_request(listener_name, req, sock, addr)
        finally:
            waited.set(None)

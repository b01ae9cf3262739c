"""When the web worker accepted the connection whose first request is being served
(time.monotonic(); None otherwise): core.webworker sets it, core.capacity reads it.

Nothing else is imported here: gunicorn loads the worker class in its master process, before
gevent patches the worker's threads, and any Django module imported then would keep a real
thread-local (the database connections' among them) shared by every greenlet.
"""

from __future__ import annotations

from contextvars import ContextVar

accepted_at: ContextVar[float | None] = ContextVar("qf_accepted_at", default=None)

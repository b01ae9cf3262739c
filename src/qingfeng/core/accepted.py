"""How long the connection being served waited, from being accepted to its greenlet first
running (seconds; None when not known, as for later requests on a kept-alive connection):
core.webworker sets it, core.capacity reads it. The client's own time to send its request is
not in it.

Nothing else is imported here: gunicorn loads the worker class in its master process, before
gevent patches the worker's threads, and any Django module imported then would keep a real
thread-local (the database connections' among them) shared by every greenlet.
"""

from __future__ import annotations

from contextvars import ContextVar

waited: ContextVar[float | None] = ContextVar("qf_waited", default=None)

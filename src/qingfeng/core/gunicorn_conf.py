"""Gunicorn's settings for `manage.py serve`: what the web server writes, and what it never does.

Access lines carry the time, method, path without the query string, status, size and
duration, for every request, staff pages included: one format, so no prefix list can drift
out of date and leak an anonymous reporter's address, browser or referring page. Staff
actions keep their source address in the audit trail (core.audit), which is where it is
needed. Gunicorn's own "Invalid request from ip=…" warning gets the address removed.
"""

from __future__ import annotations

import os
import re
from typing import Any

from gunicorn.glogging import Logger
from gunicorn.http import wsgi

# Gunicorn's atoms: t time, m method, U path (no query), s status, B bytes, M milliseconds.
# Never h (address), a (user agent), f (referrer), r/q (the query may hold a receipt code).
ACCESS_LOG_FORMAT = '%(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
_ADDRESS = re.compile(r"\bip=.*?(?=: |$)")  # up to gunicorn's ": " before the error


class NoAddressLogger(Logger):  # type: ignore[misc]  # gunicorn ships no types
    """Gunicorn's logger, minus the client address in its invalid-request warning."""

    def warning(self, msg: str, *args: Any, **kwargs: Any) -> None:
        super().warning(_ADDRESS.sub("ip=-", str(msg)), *args, **kwargs)

    def setup(self, cfg: Any) -> None:
        """Gunicorn's handlers (stdout, stderr) — JSON lines with QF_LOG_FORMAT=json — plus
        the application's day files, so the access lines are kept as long as the other logs
        (core/logs.py)."""
        super().setup(cfg)
        from django.conf import settings

        from qingfeng.core.logs import DailyFileHandler, JsonFormatter

        if settings.QF_LOG_FORMAT == "json":
            for log in (self.error_log, self.access_log):
                for console in log.handlers:
                    console.setFormatter(JsonFormatter())
        if settings.QF_LOG_DIR:
            handler = DailyFileHandler(settings.QF_LOG_DIR)
            handler.setFormatter(JsonFormatter())
            for log in (self.error_log, self.access_log):
                log.addHandler(handler)


accesslog = "-"
loglevel = os.environ.get("LOG_LEVEL", "INFO").lower()  # gunicorn's own messages, as Django's
errorlog = "-"
access_log_format = ACCESS_LOG_FORMAT
logger_class = "qingfeng.core.gunicorn_conf.NoAddressLogger"
# Gunicorn 27 opens a control socket in the home directory by default: serve does not use it,
# and two instances on one machine would share its path.
control_socket_disable = True


def _without_server(response: Any) -> list[str]:
    """Gunicorn's own header lines minus "Server: gunicorn": what runs the site is nobody's
    business, and the name (with a version once) only helps someone looking for a weakness."""
    return [line for line in _default_headers(response) if not line.startswith("Server:")]


_default_headers = wsgi.Response.default_headers
wsgi.Response.default_headers = _without_server


def post_worker_init(worker: Any) -> None:
    """Gunicorn's hook, in each web worker once it has loaded the application and before it
    accepts a connection: the first request's one-off cost paid here (core.warmup); and on
    SQLite its write transactions stamp their time for the task worker (core/sqlite)."""
    from qingfeng.core.sqlite.base import start_stamping
    from qingfeng.core.warmup import warm

    start_stamping()
    worker.log.debug("warmed up in %.0f ms", warm() * 1000)

"""What a web process does once, before it takes its first connection, that its first
request would otherwise pay for.

A fresh process imports every URL module on its first request (the API's schemas, the views
and what they import): about a second, under load more, while every request accepted behind
it waits. Right after a start or a worker's restart the queue then passes the load
shedding's limit (core.capacity) and the public channel is turned away with 503 for a few
seconds (bench/README.md, Real server). `serve` calls `warm()` in each web worker after it
loads the application and before it accepts (core.gunicorn_conf.post_worker_init).

It writes nothing. It opens the database connection and the shared cache's once and closes
them again: on SQLite a closed connection stays open in the process's pool (core/sqlite/
base.py), so the first request finds one with the schema already read; elsewhere the
connection is simply closed (each greenlet opens its own).

The task worker does the same before it takes a job (`warm_worker`, a huey start-up hook in
core/tasks.py), plus what the apps' jobs load once per process (`registry.add_worker_warmup`):
the channel's duplicate check loads jieba's dictionary and the unit-name matcher, about 4 s of
processor. Left to the first job after a start, that was paid while the first reports came
in, and the web processes answered 5–10 times slower for those seconds (bench/README.md,
Real server).
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.urls import get_resolver
from django.utils import translation

from qingfeng.core import registry

logger = logging.getLogger(__name__)


def warm() -> float:
    """Load what the first request would; the seconds it took."""
    started = time.perf_counter()
    resolver = get_resolver()
    resolver.url_patterns  # noqa: B018 - imports every URL module, the API and the views
    resolver.reverse_dict  # noqa: B018 - and builds the tables reverse() reads
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            translation.gettext("清风")  # the language's catalogues, merged once per process
    for alias in connections:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")  # the connection's settings and, on SQLite, the schema
    connections.close_all()
    cache.get("qingfeng:warmup")  # the shared cache's connection (core/scratch.py), a read
    return time.perf_counter() - started


def warm_worker() -> float:
    """`warm()`, then each app's worker warm-up; the seconds it took. A warm-up that fails is
    logged and skipped: the job that needs it loads it then, as before."""
    started = time.perf_counter()
    warm()
    for key, run in registry.worker_warmups():
        try:
            run()
        except Exception:
            logger.exception("worker warm-up %s failed", key)
    connections.close_all()
    return time.perf_counter() - started

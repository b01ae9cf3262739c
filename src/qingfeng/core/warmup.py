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
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.urls import get_resolver
from django.utils import translation


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

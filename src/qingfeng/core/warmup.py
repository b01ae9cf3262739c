"""What a web process does once, before it takes its first connection, that its first
request would otherwise pay for.

A fresh process imports every URL module on its first request (the API's schemas, the views
and what they import): about a second, under load more, while every request accepted behind
it waits. Right after a start or a worker's restart the queue then passes the load
shedding's limit (core.capacity) and the public channel is turned away with 503 for a few
seconds (bench/README.md, Real server). `serve` calls `warm()` in each web worker after it
loads the application and before it accepts (core.gunicorn_conf.post_worker_init).

Nothing here touches the database or writes anything: it only loads code and catalogues.
"""

from __future__ import annotations

import time

from django.conf import settings
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
    return time.perf_counter() - started

"""What a page costs beyond its SQL, and what a typical Django page would cost (issue 12).

Used by bench/ledger.py and bench/intake.py inside their measuring child (Django set up):

- `statements(operation)`: the SQL statements one run of a page sends, with their parameters,
  as the driver received them (`connection.execute_wrapper`), and how many are not SELECTs;
- `bare(statements)`: an operation that sends exactly those statements again through the
  database cursor (`cursor.execute(sql, params)` and `fetchall()`), with no Django around
  them. *page ÷ bare SQL* is the page's median divided by this operation's median, both
  timed in the same round robin: 1.0 would be a page that costs nothing but its SQL;
- `typical_list(...)`: the list page a typical Django project writes — a plain `Paginator`
  (COUNT(*) over the filtered, scoped queryset, then OFFSET) and a straightforward template
  extending the site's base, served through the same middleware stack at a bench-only URL —
  measured in the same run, so that the ratio to it is re-measured, never quoted.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

Statement = tuple[str, Any]

TYPICAL_TEMPLATE = """{% extends "base.html" %}
{% block title %}{{ title }}{% endblock %}
{% block content %}
<div class="card"><div class="card-header"><h3 class="card-title">{{ title }}
 <span class="text-secondary">共 {{ page_obj.paginator.count }} 条</span></h3></div>
<table class="table table-vcenter card-table">
<thead><tr>{% for c in columns %}<th>{{ c }}</th>{% endfor %}</tr></thead>
<tbody>
{% for row in page_obj %}<tr>
{% for value in row.cells %}<td>{{ value }}</td>{% endfor %}
</tr>{% empty %}<tr><td>无</td></tr>{% endfor %}
</tbody></table>
<div class="card-footer">
{% if page_obj.has_previous %}<a href="?{{ query }}&page={{ page_obj.previous_page_number }}">上一页</a>{% endif %}
第 {{ page_obj.number }} / {{ page_obj.paginator.num_pages }} 页
{% if page_obj.has_next %}<a href="?{{ query }}&page={{ page_obj.next_page_number }}">下一页</a>{% endif %}
</div></div>
{% endblock %}
"""


def statements(operation: Callable[[], Any]) -> tuple[list[Statement], int]:
    """The statements one run of `operation` sends, and how many of them are not SELECTs."""
    from django.db import connection

    sent: list[Statement] = []

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        sent.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        operation()
    writes = sum(1 for sql, _p in sent if not sql.lstrip().upper().startswith("SELECT"))
    return [
        (sql, params) for sql, params in sent if sql.lstrip().upper().startswith("SELECT")
    ], writes


def bare(sent: list[Statement]) -> Callable[[], None]:
    """The page's SELECTs sent again through the cursor, each result fetched whole."""
    from django.db import connection

    def run() -> None:
        with connection.cursor() as cursor:
            for sql, params in sent:
                cursor.execute(sql, params)
                cursor.fetchall()

    return run


class _Row:
    __slots__ = ("cells",)

    def __init__(self, cells: list[Any]) -> None:
        self.cells = cells


def typical_view(
    queryset: Callable[[Any, dict[str, str]], Any],
    columns: list[tuple[str, Callable[[Any], Any]]],
    title: str,
    per_page: int,
) -> Callable[[Any], Any]:
    """A function view as a typical project writes it: login required, the scoped queryset
    filtered by the query string, Django's Paginator, the rows rendered by a plain template."""
    from django.contrib.auth.decorators import login_required
    from django.core.paginator import Paginator
    from django.http import HttpResponse
    from django.template import engines

    # Compiled once, as the cached template loader of a production project would.
    template = engines["django"].from_string(TYPICAL_TEMPLATE)
    headers = [name for name, _get in columns]

    @login_required
    def view(request: Any) -> Any:
        params = {k: v for k, v in request.GET.items() if k != "page"}
        paginator = Paginator(queryset(request.user, params), per_page)
        page = paginator.get_page(request.GET.get("page"))
        page.object_list = [_Row([get(obj) for _n, get in columns]) for obj in page.object_list]
        query = "&".join(f"{k}={v}" for k, v in params.items())
        context = {"page_obj": page, "columns": headers, "title": title, "query": query}
        return HttpResponse(template.render(context, request))

    return view


@contextmanager
def bench_urls(views: dict[str, Callable[[Any], Any]]) -> Iterator[None]:
    """The project's URLs plus `views` at /bench/<name>/, for the comparators only."""
    import types

    from django.test.utils import override_settings
    from django.urls import include, path

    from qingfeng import urls as project

    module = types.ModuleType("bench_typical_urls")
    module.urlpatterns = [  # type: ignore[attr-defined]
        *[path(f"bench/{name}/", view) for name, view in views.items()],
        path("", include(project)),
    ]
    sys.modules[module.__name__] = module
    with override_settings(ROOT_URLCONF=module.__name__):
        yield


def timed(operation: Callable[[], Any]) -> float:
    started = time.perf_counter()
    operation()
    return (time.perf_counter() - started) * 1000

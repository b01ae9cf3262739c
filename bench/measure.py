"""Time named operations against a database that `bench/run.py` has built and seeded.

Runs in its own process with the benchmark's environment (DATABASE_URL, keys, QF_DEBUG=0)
and prints one JSON document: database facts and, per operation, the samples in ms.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qingfeng.settings")

WARMUP = 2


def percentile(samples: list[float], pct: float) -> float:
    """Nearest-rank percentile: the smallest sample with pct% of samples at or below it."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def summarise(samples: list[float]) -> dict[str, float]:
    return {
        "n": len(samples),
        "median": statistics.median(samples),
        "p95": percentile(samples, 95),
        "min": min(samples),
        "max": max(samples),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()

    import django

    django.setup()

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from qingfeng.orgs import selectors
    from qingfeng.orgs.middleware import SESSION_STARTED, SESSION_VERIFIED
    from qingfeng.orgs.models import Person, Role, RoleAssignment, Unit, User
    from qingfeng.orgs.views.people import PAGE_SIZE

    def signed_in(username: str) -> Client:
        """A client past both factors, as BaseTestCase.login does."""
        client = Client()
        client.force_login(User.objects.get(username=username))
        session = client.session
        session[SESSION_STARTED] = time.time()
        session[SESSION_VERIFIED] = True
        session.save()
        return client

    def fresh(username: str) -> User:
        # A new object each time, so the role lookup a request makes is part of the timing.
        return User.objects.get(username=username)

    county = RoleAssignment.objects.get(
        user__username="demo_county", role=Role.UNIT_ADMIN, revoked_at=None
    ).unit
    county_people = selectors.filter_people(fresh("demo_county")).count()
    all_people = selectors.filter_people(fresh("demo_bureau")).count()
    clients = {"county admin": signed_in("demo_county"), "bureau admin": signed_in("demo_bureau")}
    last_page = {
        "county admin": max(1, math.ceil(county_people / PAGE_SIZE)),
        "bureau admin": max(1, math.ceil(all_people / PAGE_SIZE)),
    }

    operations: list[tuple[str, Callable[[], Any]]] = [
        (
            "subtree query: count (county admin)",
            lambda: selectors.filter_people(fresh("demo_county")).count(),
        ),
        (
            "subtree query: first 50 (county admin)",
            lambda: list(
                selectors.filter_people(fresh("demo_county")).order_by("unit__path", "id")[:50]
            ),
        ),
        (
            f"subtree query: all {county_people:,} with phones (county admin)",
            lambda: [p.phone for p in selectors.filter_people(fresh("demo_county"))],
        ),
    ]

    def get(client: Client, url: str) -> Callable[[], Any]:
        def request() -> Any:
            response = client.get(url)
            if response.status_code != 200:
                raise RuntimeError(f"GET {url} answered {response.status_code}")
            return response

        return request

    for who, client in clients.items():
        pages = [
            ("page 1", "/orgs/people/"),
            (f"page {last_page[who]} (last)", f"/orgs/people/?active=1&page={last_page[who]}"),
            ("filter 党员教师 + 李", "/orgs/people/?q=李&post_type=party_teacher&active=1"),
        ]
        for label, url in pages:
            operations.append((f"people list page: {who}, {label}", get(client, url)))
    for who, client in clients.items():
        operations.append(
            (f"unit tree children: {who}", get(client, f"/orgs/units/{county.pk}/children/"))
        )
    for who, client in clients.items():
        operations.append((f"home page (scope counts): {who}", get(client, "/")))

    # Round robin rather than one operation after another: a burst of load from elsewhere on
    # the machine then spreads over all operations instead of spoiling one of them.
    for _name, operation in operations:
        for _ in range(WARMUP):
            operation()
    samples: dict[str, list[float]] = {name: [] for name, _operation in operations}
    # CPU time of this process: on a busy machine wall time grows while this stays put (for
    # SQLite it is nearly all the work; PostgreSQL's own work is not in it).
    cpu: dict[str, list[float]] = {name: [] for name, _operation in operations}
    for _ in range(args.repeat):
        for name, operation in operations:
            started, started_cpu = time.perf_counter(), time.process_time()
            operation()
            samples[name].append((time.perf_counter() - started) * 1000)
            cpu[name].append((time.process_time() - started_cpu) * 1000)
    results = []
    for name, operation in operations:
        with CaptureQueriesContext(connection) as queries:
            operation()
        results.append(
            {
                "name": name,
                "queries": len(queries),
                "cpu_median": statistics.median(cpu[name]),
                **summarise(samples[name]),
            }
        )

    if connection.vendor == "postgresql":
        major, minor = divmod(connection.pg_version, 10000)  # type: ignore[attr-defined]
        version = f"PostgreSQL {major}.{minor}"
    else:
        import sqlite3

        version = f"SQLite {sqlite3.sqlite_version}"
    document = {
        "database": version,
        "units": Unit.objects.count(),
        "people": Person.objects.count(),
        "county": county.name,
        "county_people": county_people,
        "warmup": WARMUP,
        "operations": results,
    }
    print(json.dumps(document, ensure_ascii=False))


if __name__ == "__main__":
    main()

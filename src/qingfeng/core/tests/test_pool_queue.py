"""On PostgreSQL a request waiting for a connection of its process's pool (QF_PG_POOL) is a
request queued inside the process: the load shedding counts its wait (core/postgresql,
core/waits.py) and turns the public channel away at once while staff pages are served; a wait
that still runs out is answered as an overload, not as a database outage. A real pool of one
connection, held by one thread while another waits for it."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import OperationalError, connection
from django.db.utils import ConnectionHandler
from django.test import Client, RequestFactory

from qingfeng.core import capacity, waits
from qingfeng.core.postgresql.base import PoolExhausted
from qingfeng.core.unavailable import server_error

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's pool"),
    pytest.mark.django_db,
]

BUSY = "访问人数过多，系统繁忙，请稍后再试。"


@pytest.fixture
def pooled(request: pytest.FixtureRequest) -> Iterator[ConnectionHandler]:
    """The test database behind a pool of one connection, as QF_PG_POOL=1 would make it, and
    QF_PG_POOL_WAIT the test's parameter (seconds)."""
    database = {
        **connection.settings_dict,
        "ENGINE": "qingfeng.core.postgresql",
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": False,
        "OPTIONS": {
            **connection.settings_dict["OPTIONS"],
            "pool": {"min_size": 1, "max_size": 1, "timeout": request.param},
        },
    }
    handler = ConnectionHandler({"default": connection.settings_dict, "pooled": database})
    yield handler
    handler["pooled"].close_pool()  # type: ignore[attr-defined]


def _waiting_for_the_pool(handler: ConnectionHandler, outcome: list[Any]) -> None:
    db = handler["pooled"]  # this thread's own, as a request's greenlet has
    try:
        db.ensure_connection()
        with db.cursor() as cursor:
            cursor.execute("SELECT 1")
            outcome.append(cursor.fetchone()[0])
    except OperationalError as error:
        outcome.append(error)
    finally:
        db.close()


@pytest.mark.parametrize("pooled", [30], indirect=True)
def test_a_request_waiting_for_the_pool_sheds_the_public_channel(
    pooled: ConnectionHandler, client: Client, settings: Any
) -> None:
    settings.QF_SHED_QUEUE_MS = 200
    holder = pooled["pooled"]
    holder.ensure_connection()  # the pool's one connection, lent to this thread
    assert waits.longest() == 0.0  # a free connection is no wait
    outcome: list[Any] = []
    waiter = threading.Thread(target=_waiting_for_the_pool, args=(pooled, outcome))
    waiter.start()
    deadline = time.monotonic() + 5
    while waits.longest() < 0.25 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert capacity.queue_seconds() >= 0.25  # the waiter's time, though the loop is on time
    started = time.monotonic()
    public = client.get("/api/intake/categories")
    shed_in = time.monotonic() - started
    staff = client.get("/accounts/login/")
    holder.close()  # back to the pool: the waiter gets it
    waiter.join(5)
    assert public.status_code == 503 and public["Retry-After"] == "5"
    assert public.json() == {"detail": BUSY}
    assert shed_in < 0.2  # at once, not after the pool's timeout
    assert staff.status_code == 200
    assert outcome == [1]  # the waiter was served once the connection came back
    assert waits.longest() == 0.0
    assert client.get("/api/intake/categories").status_code == 200  # no queue, no shedding


@pytest.mark.parametrize("pooled", [0.5], indirect=True)
def test_a_wait_that_runs_out_is_answered_as_an_overload(pooled: ConnectionHandler) -> None:
    holder = pooled["pooled"]
    holder.ensure_connection()
    outcome: list[Any] = []
    waiter = threading.Thread(target=_waiting_for_the_pool, args=(pooled, outcome))
    waiter.start()
    waiter.join(5)  # the pool's timeout is 0.5 s
    holder.close()
    [error] = outcome
    assert isinstance(error, OperationalError)
    assert isinstance(error.__cause__, PoolExhausted)
    assert waits.longest() == 0.0
    request = RequestFactory().get("/api/intake/reports")
    try:
        raise error
    except OperationalError:
        response = server_error(request)  # as handler500 is called, inside the except
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert json.loads(response.content) == {"detail": BUSY}
    assert response._has_been_logged  # type: ignore[attr-defined]  # no traceback apiece

"""The database out of reach: the API answers JSON 503 with Retry-After, the pages a Chinese
503 page, never an HTML 500 — wherever the request first needed the database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connection
from django.test import Client

from qingfeng.core.tests.liveserver import free_port
from qingfeng.orgs.models import User


@contextmanager
def database_unreachable(tmp_path: object) -> Iterator[None]:
    """The default connection pointed at a database that is not there: PostgreSQL at a port
    nobody listens on, SQLite at a file in a directory that does not exist."""
    saved = dict(connection.settings_dict)
    kept = None
    if connection.vendor == "postgresql":
        connection.close()
        connection.settings_dict.update(HOST="127.0.0.1", PORT=str(free_port()))
    else:
        # The test database lives in memory as long as its connection: set it aside (closing
        # it would destroy it) and let the next query open the missing file.
        kept, connection.connection = connection.connection, None
        connection.settings_dict["NAME"] = f"{tmp_path}/gone/qingfeng.sqlite3"
    try:
        yield
    finally:
        if kept is None:
            connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)
        if kept is not None:
            connection.connection = kept


@pytest.fixture
def client() -> Client:
    return Client(raise_request_exception=False)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_api_answers_json_503_with_retry_after(client: Client, tmp_path: object) -> None:
    body = {
        "kind": "complaint",
        "category_id": 1,
        "unit_id": 1,
        "title": "食堂饭菜分量不足",
        "content": "食堂的饭菜分量越来越少，孩子每天回家都说没吃饱，我是孩子妈妈。",
    }
    with database_unreachable(tmp_path):
        answers = [
            client.get("/api/intake/categories"),
            client.post("/api/intake/reports", body, content_type="application/json"),
        ]
    for response in answers:
        assert response.status_code == 503
        assert response["Retry-After"] == "30"
        assert response["Content-Type"] == "application/json"
        assert "数据库暂时无法连接" in response.json()["detail"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_pages_answer_a_chinese_503_page(tmp_path: object) -> None:
    User.objects.create_user("ouyang_lan", password="Qingfeng-2024!x")
    signed_in = Client(raise_request_exception=False)
    signed_in.login(username="ouyang_lan", password="Qingfeng-2024!x")
    anonymous = Client(raise_request_exception=False)
    with database_unreachable(tmp_path):
        answers = {
            "public page": anonymous.get("/progress/"),
            "public form": anonymous.get("/report/new/"),
            # The session and the user are read by middleware, before any view runs.
            "staff page": signed_in.get("/"),
            "login": anonymous.post(
                "/accounts/login/", {"username": "司马青", "password": "Wrong-1"}
            ),
        }
    for name, response in answers.items():
        assert response.status_code == 503, name
        assert response["Retry-After"] == "30", name
        page = response.content.decode()
        assert "暂时无法服务" in page and "请约 30 秒后刷新本页重试" in page, name
    # Once the database is back, the same pages answer as before.
    assert Client().get("/progress/").status_code == 200

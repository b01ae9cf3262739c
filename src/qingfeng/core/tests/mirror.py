"""A read replica in tests: the alias "replica" added for one test class as Django's TEST
MIRROR of the test database — a second connection, of its own, to the same database, as
settings.py makes it when DATABASE_REPLICA_URL is set — so `replica.configured()` is true
and the reads inside `replica.reads()` really run on that connection, where a test can count
them. The mirror sees what the primary committed: use it in a TransactionTestCase (a
TestCase's wrapping transaction is the primary's, invisible to the mirror, and the router
sends every read inside a transaction to the primary anyway)."""

from __future__ import annotations

import copy
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.test.utils import CaptureQueriesContext

from qingfeng.core.replica import REPLICA


def add_mirror() -> None:
    primary = settings.DATABASES[DEFAULT_DB_ALIAS]  # its NAME is the test database's by now
    mirror = copy.deepcopy(primary)
    mirror["TEST"] = {**mirror.get("TEST", {}), "MIRROR": DEFAULT_DB_ALIAS}
    settings.DATABASES[REPLICA] = mirror  # also `connections.settings` (the same dict)
    connections.settings[REPLICA] = mirror


def remove_mirror() -> None:
    if any(c.alias == REPLICA for c in connections.all(initialized_only=True)):
        connections[REPLICA].close()
        del connections[REPLICA]
    settings.DATABASES.pop(REPLICA, None)
    connections.settings.pop(REPLICA, None)


class ReplicaMirror:
    """Mixed into a TransactionTestCase (before it): the class runs with a replica. The class
    names both databases: `databases = {"default", "replica"}`."""

    @classmethod
    def setUpClass(cls) -> None:
        add_mirror()  # before Django checks the class's `databases`
        try:
            super().setUpClass()  # type: ignore[misc]
        except Exception:
            remove_mirror()
            raise

    @classmethod
    def tearDownClass(cls) -> None:
        try:
            super().tearDownClass()  # type: ignore[misc]
        finally:
            remove_mirror()


class Statements:
    """The statements each connection ran inside `with Statements() as run:`."""

    def __enter__(self) -> Statements:
        self._primary = CaptureQueriesContext(connections[DEFAULT_DB_ALIAS])
        self._replica = CaptureQueriesContext(connections[REPLICA])
        self._primary.__enter__()
        self._replica.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._replica.__exit__(*exc)
        self._primary.__exit__(*exc)

    @property
    def primary(self) -> list[str]:
        return [q["sql"] for q in self._primary.captured_queries]

    @property
    def replica(self) -> list[str]:
        return [q["sql"] for q in self._replica.captured_queries]

    @staticmethod
    def reads_of(statements: list[str], table: str) -> list[str]:
        return [s for s in statements if s.lstrip().upper().startswith("SELECT") and table in s]

    @staticmethod
    def writes(statements: list[str]) -> list[str]:
        """Anything but a read (transaction control and savepoints included)."""
        return [s for s in statements if not s.lstrip().upper().startswith(("SELECT", "WITH"))]

"""One writer at a time for a named piece of work, until the transaction ends.

On SQLite every write transaction begins IMMEDIATE and so already holds the one write lock;
on PostgreSQL a transaction-scoped advisory lock named by the text does it. For work that
reads what is there and then writes what is missing (a summary refreshed by a job that runs
on several hosts at once), so that two runs do not both insert the same rows."""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connections


def hold_for_transaction(name: str, using: str = DEFAULT_DB_ALIAS) -> None:
    """Wait until no other transaction holds `name`, and hold it until this one ends."""
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [name])

"""Counts kept by the database itself: summary rows, not scans (DESIGN.md §4).

A page that shows "how many problems per unit, per status, per light" over a whole city
must not count the city's rows on every view. A tally table holds one row per combination
of a few columns of a source table (unit, status, light…) and its count; triggers on the
source table keep it exact in the same transaction as every INSERT, UPDATE and DELETE —
the app's actions, bulk imports and the nightly light recomputation alike, with no code path
to forget. A page then reads O(units in view) tally rows.

    TALLY = Tally(source="ledger_problem", table="ledger_problemtally",
                  columns=("unit_id", "list_kind", "status", "urgency"))
    migrations.RunPython(TALLY.install, TALLY.uninstall)     # triggers, then a full count

The tally table is an ordinary model of the app (the columns, `n`, a unique constraint over
the columns). A source column that may be NULL is named in `nullable` and kept as 0 in the
tally (NOT NULL there): two NULLs are never equal, so a unique constraint could not hold the
combination "no unit" once. Rows whose count fell to zero stay (they are reused); `rebuild` recounts
everything from the source (after a restore, or to check: `check` compares).

SQLite drops a table's triggers when a migration rebuilds it (Django's way to alter a column
there: a new table, the rows copied, the old one dropped), and a tally without its triggers
goes silently wrong. So an app registers its tallies (`core.registry.add_tally`), every
`migrate` ends by putting back the missing triggers and counting that tally again
(`ensure_all`, on post_migrate), and the system check `qingfeng.W020` names a tally whose
triggers are missing on a database changed some other way (a warning, not an error:
`migrate`, which mends it, runs the checks first and would stop on an error).
"""

# ruff: noqa: S608 -- the SQL is built from table and column names the code declares (checked
# to be plain identifiers below), never from anything a user sent.
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from django.core import checks
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Tally:
    source: str
    table: str
    columns: tuple[str, ...]
    nullable: tuple[str, ...] = ()  # source columns kept as 0 when NULL

    def __post_init__(self) -> None:
        for name in (self.source, self.table, *self.columns):
            if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
                raise ValueError(f"not a plain identifier: {name!r}")
        if not set(self.nullable) <= set(self.columns):
            raise ValueError(f"nullable columns must be columns: {self.nullable!r}")

    def _value(self, column: str, row: str = "") -> str:
        """The source's value of a column as the tally keeps it (`row.column`)."""
        ref = f"{row}.{column}" if row else column
        return f"COALESCE({ref}, 0)" if column in self.nullable else ref

    def _values(self, row: str = "") -> str:
        return ", ".join(self._value(c, row) for c in self.columns)

    @property
    def _name(self) -> str:
        return f"{self.table}_keep"

    def _cols(self, prefix: str = "") -> str:
        return ", ".join(f"{prefix}{c}" for c in self.columns)

    def _match(self, row: str) -> str:
        return " AND ".join(f"{c} = {self._value(c, row)}" for c in self.columns)

    def _add(self, row: str) -> str:
        return (
            f"INSERT INTO {self.table} ({self._cols()}, n) VALUES ({self._values(row)}, 1) "
            f"ON CONFLICT ({self._cols()}) DO UPDATE SET n = {self.table}.n + 1"
        )

    def _remove(self, row: str) -> str:
        return f"UPDATE {self.table} SET n = n - 1 WHERE {self._match(row)}"

    def _changed(self) -> str:
        return " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in self.columns)

    def sqlite(self) -> list[str]:
        name, src = self._name, self.source
        changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in self.columns)
        return [
            f"CREATE TRIGGER {name}_insert AFTER INSERT ON {src} BEGIN {self._add('NEW')}; END",
            f"CREATE TRIGGER {name}_delete AFTER DELETE ON {src} BEGIN {self._remove('OLD')}; END",
            f"CREATE TRIGGER {name}_update AFTER UPDATE OF {self._cols()} ON {src} "
            f"WHEN {changed} BEGIN {self._remove('OLD')}; {self._add('NEW')}; END",
        ]

    def sqlite_drop(self) -> list[str]:
        return [
            f"DROP TRIGGER IF EXISTS {self._name}_{op}" for op in ("insert", "delete", "update")
        ]

    def postgres(self) -> list[str]:
        name, src = self._name, self.source
        function = f"""CREATE OR REPLACE FUNCTION {name}() RETURNS trigger AS $$
            BEGIN
              IF TG_OP = 'UPDATE' AND NOT ({self._changed()}) THEN RETURN NULL; END IF;
              IF TG_OP IN ('UPDATE', 'DELETE') THEN {self._remove("OLD")}; END IF;
              IF TG_OP IN ('UPDATE', 'INSERT') THEN {self._add("NEW")}; END IF;
              RETURN NULL;
            END; $$ LANGUAGE plpgsql"""
        return [
            function,
            f"CREATE TRIGGER {name} AFTER INSERT OR DELETE OR UPDATE OF {self._cols()} ON {src} "
            f"FOR EACH ROW EXECUTE FUNCTION {name}()",
        ]

    def postgres_drop(self) -> list[str]:
        return [
            f"DROP TRIGGER IF EXISTS {self._name} ON {self.source}",
            f"DROP FUNCTION IF EXISTS {self._name}()",
        ]

    def rebuild(self, cursor: Any = None) -> None:
        """Count everything again from the source (in the caller's transaction)."""
        own = cursor is None
        cursor = cursor or connection.cursor()
        try:
            cursor.execute(f"DELETE FROM {self.table}")
            cursor.execute(
                f"INSERT INTO {self.table} ({self._cols()}, n) "
                f"SELECT {self._values()}, COUNT(*) FROM {self.source} GROUP BY {self._values()}"
            )
        finally:
            if own:
                cursor.close()

    def check(self) -> list[tuple[Any, ...]]:
        """Combinations whose kept count differs from a count of the source: [] when exact."""
        kept = ", ".join(f"{self._value(c)} AS {c}" for c in self.columns)
        on = " AND ".join(f"t.{c} = s.{c}" for c in self.columns)
        on_source = " AND ".join(f"t.{c} = {self._value(c, 's')}" for c in self.columns)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {self._cols('s.')}, s.n, COALESCE(t.n, 0) FROM "
                f"(SELECT {kept}, COUNT(*) AS n FROM {self.source} GROUP BY {self._values()}) s "
                f"LEFT JOIN {self.table} t ON {on} WHERE COALESCE(t.n, 0) <> s.n "
                f"UNION ALL SELECT {self._cols('t.')}, 0, t.n FROM {self.table} t "
                f"WHERE t.n <> 0 AND NOT EXISTS (SELECT 1 FROM {self.source} s WHERE {on_source})"
            )
            return list(cursor.fetchall())

    # -- kept in place --

    def state(self, conn: BaseDatabaseWrapper) -> str:
        """'kept' (its triggers are there), 'missing' (the tables are, the triggers are not) or
        'absent' (a table or a column is not there: a database migrated to an earlier state)."""
        with conn.cursor() as cursor:
            tables = set(conn.introspection.table_names(cursor))
            if not {self.source, self.table} <= tables:
                return "absent"
            found = {c.name for c in conn.introspection.get_table_description(cursor, self.source)}
            if not set(self.columns) <= found:
                return "absent"
            if conn.vendor == "sqlite":
                cursor.execute(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' "
                    "AND tbl_name = %s AND name IN (%s, %s, %s)",
                    [self.source, *(f"{self._name}_{op}" for op in ("insert", "delete", "update"))],
                )
                expected = 3
            else:
                cursor.execute(
                    "SELECT count(*) FROM pg_trigger WHERE tgrelid = to_regclass(%s) "
                    "AND tgname = %s AND NOT tgisinternal",
                    [self.source, self._name],
                )
                expected = 1
            return "kept" if cursor.fetchone()[0] == expected else "missing"

    def ensure(self, conn: BaseDatabaseWrapper | None = None) -> bool:
        """Put the triggers back if they are missing and count everything again (the changes
        made without them were not counted). True when it had to."""
        conn = conn or connection
        if self.state(conn) != "missing":
            return False
        drop = {"sqlite": self.sqlite_drop, "postgresql": self.postgres_drop}[conn.vendor]
        create = {"sqlite": self.sqlite, "postgresql": self.postgres}[conn.vendor]
        with transaction.atomic(using=conn.alias), conn.cursor() as cursor:
            for sql in (*drop(), *create()):
                cursor.execute(sql)
            self.rebuild(cursor)
        return True

    # -- migrations --

    def install(self, apps: Any, schema_editor: Any) -> None:
        vendor = schema_editor.connection.vendor
        statements = {"sqlite": self.sqlite, "postgresql": self.postgres}[vendor]()
        for sql in statements:
            schema_editor.execute(sql)
        with schema_editor.connection.cursor() as cursor:
            self.rebuild(cursor)

    def uninstall(self, apps: Any, schema_editor: Any) -> None:
        vendor = schema_editor.connection.vendor
        statements = {"sqlite": self.sqlite_drop, "postgresql": self.postgres_drop}[vendor]()
        for sql in statements:
            schema_editor.execute(sql)


def ensure_all(*, using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> list[str]:
    """After every `migrate` (post_migrate): the registered tallies whose triggers a table
    rebuild dropped get them back and are counted again. The tables put back, by name."""
    from qingfeng.core import registry

    conn = connections[using]
    restored = [t.table for t in registry.tallies() if t.ensure(conn)]
    for table in restored:
        log.warning("tally %s: its triggers were missing; put back and counted again", table)
    return restored


def check_tallies(
    app_configs: Any = None, databases: Any = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """The system check: a warning per registered tally whose triggers are missing."""
    from qingfeng.core import registry

    found: list[checks.CheckMessage] = []
    for alias in databases or []:
        for tally in registry.tallies():
            if tally.state(connections[alias]) == "missing":
                found.append(
                    checks.Warning(
                        f"计数表 {tally.table} 的触发器缺失，计数不再准确 (the triggers keeping "
                        f"{tally.table} are missing: its counts are no longer exact)",
                        hint="运行 manage.py migrate 会重建触发器并重新计数 (manage.py migrate "
                        "puts them back and counts again)",
                        id="qingfeng.W020",
                    )
                )
    return found

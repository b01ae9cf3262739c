# ruff: noqa: S608, S610, S611 - the SQL is built from the code's own table and column names only
"""A Chinese full-text index over text columns of any table, the same answers on SQLite and
PostgreSQL as a substring scan (`LIKE '%…%'`), without the scan.

    PROBLEMS = TextIndex(table="ledger_problem", columns=("title", "description"))
    registry.add_text_index(PROBLEMS)          # from the app's ready(): refresh() knows it
    # the model: search_tokens = models.TextField(null=True, editable=False)
    # its migration: AddField, then migrations.RunPython(PROBLEMS.install, PROBLEMS.uninstall)
    rows = PROBLEMS.narrow(rows, text).filter(Q(title__contains=text) | …)  # the old filter

The tokens (lib/search.py: CJK bigrams and other words) live in the row's `search_tokens`
column. Nothing the app writes has to know: a trigger sets the column to NULL whenever a text
column changes (a new row starts NULL), and `refresh()` (core.tasks, every minute) fills the
NULL ones. `narrow` keeps the rows whose tokens hold every bigram of the text, *or* whose
tokens are NULL (a partial index finds those), so no matching row is ever missed; the caller's
substring filter after it makes the answer exact. A text that is not all CJK, or of one
character, is not narrowed (the caller's scan answers it, as before).

SQLite keeps the tokens in an FTS5 table (`unicode61`, rowid = the row's id) by triggers on
`search_tokens`; PostgreSQL in a GIN index over `to_tsvector('simple', search_tokens)`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL

from qingfeng.lib.search import indexed, tokens

COLUMN = "search_tokens"


def fts_match(grams: list[str]) -> str:
    """An FTS5 query that needs every gram (each quoted: a gram is a phrase of one token)."""
    return " AND ".join('"{}"'.format(g.replace('"', '""')) for g in dict.fromkeys(grams))


@dataclass
class TextIndex:
    table: str
    columns: tuple[str, ...]
    batch: int = 2000
    _name: str = field(init=False)

    def __post_init__(self) -> None:
        self._name = f"{self.table}_search"

    # ---- querying -------------------------------------------------------------------------

    def narrow(self, queryset: QuerySet[Any], text: str) -> QuerySet[Any]:
        """The rows that may hold `text` (a superset of those that do); the caller filters
        them by its substring condition after this."""
        grams = indexed(text.strip())
        if not grams:
            return queryset
        if connection.vendor == "sqlite":
            sql = f"SELECT rowid FROM {self._name} WHERE {self._name} MATCH %s"
            return queryset.filter(
                Q(pk__in=RawSQL(sql, [fts_match(grams)])) | Q(**{f"{COLUMN}__isnull": True})
            )
        return queryset.extra(
            where=[
                f"(to_tsvector('simple', {self.table}.{COLUMN}) @@ "
                f"plainto_tsquery('simple', %s) OR {self.table}.{COLUMN} IS NULL)"
            ],
            params=[" ".join(dict.fromkeys(grams))],
        )

    # ---- keeping it -----------------------------------------------------------------------

    def ensure(self) -> bool:
        """SQLite drops a table's triggers and raw indexes when a migration rebuilds the table
        (its way to alter a column): put them back, and mark every row for a refresh (the
        changes made meanwhile were not seen). True when it had to. PostgreSQL keeps them."""
        if connection.vendor != "sqlite":
            return False
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s "
                "AND name LIKE %s",
                [self.table, f"{self._name}_%"],
            )
            if cursor.fetchone()[0] == 4:
                return False
            for statement in self.sqlite():
                cursor.execute(statement)
            cursor.execute(f"UPDATE {self.table} SET {COLUMN} = NULL")
        return True

    def refresh(self, *, limit: int | None = None) -> int:
        """Fill the tokens of rows whose tokens are NULL (new or changed). A row whose text
        changed meanwhile keeps NULL (the update names the text it read) and is taken next
        time. Returns the rows filled."""
        self.ensure()
        cols = ", ".join(self.columns)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id, {cols} FROM {self.table} WHERE {COLUMN} IS NULL ORDER BY id LIMIT %s",
                [limit or self.batch],
            )
            rows = cursor.fetchall()
        if not rows:
            return 0
        same = " AND ".join(f"{c} IS NOT DISTINCT FROM %s" for c in self.columns)
        if connection.vendor == "sqlite":
            same = " AND ".join(f"{c} IS %s" for c in self.columns)
        filled = 0
        with connection.cursor() as cursor:
            for row in rows:
                text = "\n".join(v or "" for v in row[1:])
                cursor.execute(
                    f"UPDATE {self.table} SET {COLUMN} = %s "
                    f"WHERE id = %s AND {COLUMN} IS NULL AND {same}",
                    [tokens(text, with_words=False), row[0], *row[1:]],
                )
                filled += cursor.rowcount
        return filled

    def sqlite(self) -> list[str]:
        t, n, c = self.table, self._name, COLUMN
        changed = " OR ".join(f"OLD.{col} IS NOT NEW.{col}" for col in self.columns)
        return [
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {n} USING fts5(tokens, tokenize='unicode61')",
            f"CREATE INDEX IF NOT EXISTS {n}_stale ON {t} (id) WHERE {c} IS NULL",
            f"CREATE TRIGGER IF NOT EXISTS {n}_insert AFTER INSERT ON {t} WHEN NEW.{c} IS NOT NULL "
            f"BEGIN INSERT INTO {n}(rowid, tokens) VALUES (NEW.id, NEW.{c}); END",
            f"CREATE TRIGGER IF NOT EXISTS {n}_delete AFTER DELETE ON {t} "
            f"BEGIN DELETE FROM {n} WHERE rowid = OLD.id; END",
            f"CREATE TRIGGER IF NOT EXISTS {n}_tokens AFTER UPDATE OF {c} ON {t} BEGIN "
            f"DELETE FROM {n} WHERE rowid = OLD.id; "
            f"INSERT INTO {n}(rowid, tokens) SELECT NEW.id, NEW.{c} WHERE NEW.{c} IS NOT NULL; "
            "END",
            f"CREATE TRIGGER IF NOT EXISTS {n}_text AFTER UPDATE OF {', '.join(self.columns)} ON {t} "
            f"WHEN {changed} BEGIN UPDATE {t} SET {c} = NULL WHERE id = NEW.id; END",
        ]

    def postgres(self) -> list[str]:
        t, n, c = self.table, self._name, COLUMN
        changed = " OR ".join(f"NEW.{col} IS DISTINCT FROM OLD.{col}" for col in self.columns)
        return [
            f"CREATE INDEX {n}_gin ON {t} USING gin (to_tsvector('simple', {c}))",
            f"CREATE INDEX {n}_stale ON {t} (id) WHERE {c} IS NULL",
            f"""CREATE OR REPLACE FUNCTION {n}_text() RETURNS trigger AS $$
BEGIN
  IF {changed} THEN NEW.{c} := NULL; END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql""",
            f"CREATE TRIGGER {n}_text BEFORE UPDATE OF {', '.join(self.columns)} ON {t} "
            f"FOR EACH ROW EXECUTE FUNCTION {n}_text()",
        ]

    def install(self, apps: Any, schema_editor: Any) -> None:
        vendor = schema_editor.connection.vendor
        for statement in {"sqlite": self.sqlite, "postgresql": self.postgres}[vendor]():
            schema_editor.execute(statement, params=None)

    def uninstall(self, apps: Any, schema_editor: Any) -> None:
        n = self._name
        if schema_editor.connection.vendor == "sqlite":
            statements = [
                *(
                    f"DROP TRIGGER IF EXISTS {n}_{s}"
                    for s in ("insert", "delete", "tokens", "text")
                ),
                f"DROP INDEX IF EXISTS {n}_stale",
                f"DROP TABLE IF EXISTS {n}",
            ]
        else:
            statements = [
                f"DROP TRIGGER IF EXISTS {n}_text ON {self.table}",
                f"DROP FUNCTION IF EXISTS {n}_text()",
                f"DROP INDEX IF EXISTS {n}_stale",
                f"DROP INDEX IF EXISTS {n}_gin",
            ]
        for statement in statements:
            schema_editor.execute(statement, params=None)


def refresh_all(*, limit: int | None = None) -> int:
    """Every registered index's NULL tokens, a batch each (core.tasks, every minute)."""
    from qingfeng.core import registry

    return sum(index.refresh(limit=limit) for index in registry.text_indexes())

"""Counts kept by the database itself: summary rows, not scans (DESIGN.md §4).

A page that shows "how many problems per unit, per status, per light" over a whole city
must not count the city's rows on every view. A tally table holds one row per combination
of a few columns of a source table (unit, status, light…) and its count; triggers on the
source table keep it exact in the same transaction as every INSERT, UPDATE and DELETE —
the app's actions, bulk imports and the nightly light recomputation alike, with no code path
to forget. A page then reads O(units in view) tally rows. On PostgreSQL they are statement
triggers with transition tables: one grouped write per statement, however many rows it
changed (a row trigger's two statements per row took 4.5 of the 10 s of a city's largest
light-recompute UPDATE, 37,000 rows); SQLite has row triggers only (in-process, cheaper).

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

**Subtree sums** (`Rollup`). A tally with a unit column can also be summed over each unit's
subtree (the unit and every unit below it), so that "the lights of the city" or "of each of
its counties" reads one row per unit and combination, not every unit's rows below. The triggers
above stay as they are (a change costs no more); instead each tally row keeps how much of its
`n` is already added into its unit's and every ancestor's subtree row (`folded`), and
`Rollup.fold()` adds what is not yet (n − folded) in short transactions of a bounded number of
rows — every minute (core/tasks.py), and at the end of the bulk work that changes many rows.
A reader never sees a stale number: `Rollup.sums` reads, in one statement (one snapshot), the
subtree rows of the units asked for plus the tally rows not yet folded below them (a partial
index holds only those), so its sums equal a count of the source at any moment. A unit moved
elsewhere in the tree changes its ancestors' sums: `rebuild_rollups()` (orgs' move action calls
it) adds everything again from the tally rows.
"""

# ruff: noqa: S608 -- the SQL is built from table and column names the code declares (checked
# to be plain identifiers below), never from anything a user sent.
from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core import checks
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from qingfeng.core import locks

log = logging.getLogger(__name__)


FOLD_BATCH = 2000  # tally rows folded per transaction (Rollup.fold)
PARAMS = 5000  # parameters of one statement of many rows (SQLite takes 32,766)


def _parts(rows: Sequence[tuple[Any, ...]], width: int) -> Iterable[Sequence[tuple[Any, ...]]]:
    """The rows in parts of at most PARAMS parameters."""
    size = max(1, PARAMS // width)
    return (rows[i : i + size] for i in range(0, len(rows), size))


def _marks(rows: Sequence[tuple[Any, ...]]) -> str:
    """`(%s, %s), (%s, %s)…`: a VALUES list of the rows' placeholders."""
    return ", ".join(f"({', '.join(['%s'] * len(row))})" for row in rows)


@dataclass(frozen=True)
class Rollup:
    """A tally's counts summed over each unit's subtree (see the module's docstring).

    `table` holds `unit_id`, the tally's other columns and `n` (a unique constraint over all
    but `n`); the tally table has an integer column `folded` (default 0) and a partial index on
    its rows where `NOT (n = folded)`. `units` is the unit table, with `id` and `path`;
    `ancestors(path)` gives the ids of the unit at `path` and of every unit above it.

    A tally may name a row by more than one unit (a ticket's reported unit and its handling
    unit): `also` names the further unit columns, and a row then counts once in the subtree of
    every unit above any of them — "the rows about or handled in this subtree". `keep` names
    the tally's columns the subtree rows hold (all but the unit columns when not given)."""

    table: str
    units: str
    ancestors: Callable[[str], Sequence[int]]
    unit: str = "unit_id"  # the tally's unit column
    also: tuple[str, ...] = ()  # further unit columns of the tally
    keep: tuple[str, ...] | None = None  # the tally's columns the subtree rows hold

    def _others(self, tally: Tally) -> tuple[str, ...]:
        if self.keep is not None:
            return self.keep
        return tuple(c for c in tally.columns if c not in (self.unit, *self.also))

    def _joins(self, *, outer: bool = False) -> tuple[str, str]:
        """The paths of a tally row `t`'s units (`u0.path, u1.path…`) and their joins: outer
        ones (NULL for none) when asked or when there are several unit columns. With one, an
        inner join lets the planner start from the units (the rows not yet folded under a
        subtree are then read by the partial index, unit by unit)."""
        columns = (self.unit, *self.also)
        join = "LEFT JOIN" if outer or self.also else "JOIN"
        paths = ", ".join(f"u{i}.path" for i in range(len(columns)))
        joins = " ".join(
            f"{join} {self.units} u{i} ON u{i}.id = t.{c}" for i, c in enumerate(columns)
        )
        return paths, joins

    def _above(self, paths: Iterable[str | None]) -> set[int]:
        """The units whose subtree holds any of these paths (each once)."""
        return {a for path in paths if path for a in self.ancestors(path)}

    def fold(self, tally: Tally, *, batch: int = FOLD_BATCH, using: str = DEFAULT_DB_ALIAS) -> int:
        """Add what the tally rows hold beyond `folded` to the subtree rows of their unit and
        its ancestors, `batch` rows per transaction; returns how many tally rows it folded.
        A row changed meanwhile keeps its new difference for the next fold: `folded` grows by
        exactly what was added, whatever `n` is by then."""
        conn = connections[using]
        others = self._others(tally)
        paths, joins = self._joins(outer=True)
        width = 1 + len(self.also)
        done = 0
        last = 0
        while True:
            with transaction.atomic(using=using), conn.cursor() as cursor:
                self._serialise(cursor)
                cursor.execute(
                    f"SELECT t.id, {paths}, {', '.join(f't.{c}' for c in others)}, "
                    f"t.n - t.folded FROM {tally.table} t {joins} "
                    f"WHERE NOT (t.n = t.folded) AND t.id > %s ORDER BY t.id LIMIT %s",
                    [last, batch],
                )
                rows = cursor.fetchall()
                if not rows:
                    return done
                sums: dict[tuple[Any, ...], int] = defaultdict(int)
                for row in rows:
                    key, delta = row[1 + width : -1], row[-1]
                    for ancestor in self._above(row[1 : 1 + width]):
                        sums[(ancestor, *key)] += delta
                # A few statements of many rows each, not one per row (a statement per row
                # was 0.2 ms each on PostgreSQL: 4.6 s for a recompute's 20,000 rows).
                cols = ", ".join((self.unit, *others))
                added = [(*key, n) for key, n in sorted(sums.items()) if n]
                for part in _parts(added, len(others) + 2):
                    cursor.execute(
                        f"INSERT INTO {self.table} ({cols}, n) VALUES {_marks(part)} "
                        f"ON CONFLICT ({cols}) DO UPDATE SET n = {self.table}.n + excluded.n",
                        [v for values in part for v in values],
                    )
                for part in _parts([(row[0], row[-1]) for row in rows], 2):
                    cursor.execute(
                        f"UPDATE {tally.table} SET folded = {tally.table}.folded + v.column2 "
                        f"FROM (VALUES {_marks(part)}) AS v WHERE {tally.table}.id = v.column1",
                        [v for values in part for v in values],
                    )
            done += len(rows)
            last = rows[-1][0]
            if len(rows) < batch:
                return done

    def _serialise(self, cursor: Any) -> None:
        """One fold or rebuild at a time (each reads what is not folded, then adds it): on
        SQLite the write lock its transactions take at BEGIN already does this."""
        locks.hold_for_transaction(self.table, using=cursor.db.alias)

    def rebuild(self, tally: Tally, cursor: Any) -> None:
        """Sum everything again from the tally rows (in the caller's transaction)."""
        self._serialise(cursor)
        others = self._others(tally)
        # Mark everything folded first, then add up what was marked: a change that comes in
        # between is left to the next fold, as fold() leaves it.
        cursor.execute(f"DELETE FROM {self.table}")
        cursor.execute(f"UPDATE {tally.table} SET folded = n WHERE NOT (folded = n)")
        paths, joins = self._joins()
        width = 1 + len(self.also)
        grouped = ", ".join((paths, *(f"t.{c}" for c in others)))
        cursor.execute(
            f"SELECT {grouped}, SUM(t.folded) FROM {tally.table} t {joins} "
            f"WHERE NOT (t.folded = 0) GROUP BY {grouped}"
        )
        sums: dict[tuple[Any, ...], int] = defaultdict(int)
        for row in cursor.fetchall():
            key, n = row[width:-1], row[-1]
            for ancestor in self._above(row[:width]):
                sums[(ancestor, *key)] += n
        cols = ", ".join((self.unit, *others))
        marks = ", ".join(["%s"] * (len(others) + 2))
        cursor.executemany(
            f"INSERT INTO {self.table} ({cols}, n) VALUES ({marks})",
            [(*key, n) for key, n in sorted(sums.items()) if n],
        )

    def sums(
        self, tally: Tally, units: Iterable[tuple[int, str]], *, using: str = DEFAULT_DB_ALIAS
    ) -> dict[int, list[tuple[Any, ...]]]:
        """Per unit asked for (id, path): the tally's other columns and the count over its
        subtree, one row per combination (zeros left out). One statement, so one snapshot: the
        subtree rows plus the tally rows below those units not yet folded into them."""
        asked: dict[int, str] = dict(units)
        result: dict[int, dict[tuple[Any, ...], int]] = {pk: defaultdict(int) for pk in asked}
        if not asked:
            return {}
        others = self._others(tally)
        cols = ", ".join(others)
        ids = ", ".join(["%s"] * len(asked))
        roots = [p for p in sorted(set(asked.values())) if p]
        minimal: list[str] = []
        for path in roots:
            if not minimal or not path.startswith(minimal[-1]):
                minimal.append(path)
        width = 1 + len(self.also)
        paths, joins = self._joins()
        blanks = ", ".join(["''"] * width)
        below = " OR ".join(f"u{i}.path LIKE %s" for i in range(width) for _p in minimal) or "1 = 0"
        with connections[using].cursor() as cursor:
            cursor.execute(
                f"SELECT {self.unit}, {blanks}, {cols}, n FROM {self.table} "
                f"WHERE {self.unit} IN ({ids}) AND NOT (n = 0) "
                f"UNION ALL SELECT 0, {paths}, {', '.join(f't.{c}' for c in others)}, "
                f"t.n - t.folded FROM {tally.table} t {joins} "
                f"WHERE NOT (t.n = t.folded) AND ({below})",
                [*asked, *(f"{p}%" for _i in range(width) for p in minimal)],
            )
            rows = cursor.fetchall()
        for row in rows:
            pk, found, key, n = row[0], row[1 : 1 + width], tuple(row[1 + width : -1]), row[-1]
            if not any(found):
                result[pk][key] += n
                continue
            for unit, root in asked.items():  # once per unit, whichever of its units lie below
                if root and any(path and path.startswith(root) for path in found):
                    result[unit][key] += n
        return {pk: [(*key, n) for key, n in sums.items() if n] for pk, sums in result.items()}


@dataclass(frozen=True)
class Tally:
    source: str
    table: str
    columns: tuple[str, ...]
    nullable: tuple[str, ...] = ()  # source columns kept as 0 when NULL
    rollup: Rollup | None = None  # its sums per unit subtree (Rollup), if it keeps them

    def __post_init__(self) -> None:
        names = (
            (self.rollup.table, self.rollup.units, self.rollup.unit, *self.rollup.also)
            if self.rollup
            else ()
        )
        for name in (self.source, self.table, *self.columns, *names):
            if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
                raise ValueError(f"not a plain identifier: {name!r}")
        if not set(self.nullable) <= set(self.columns):
            raise ValueError(f"nullable columns must be columns: {self.nullable!r}")

    def fold(self, *, using: str = DEFAULT_DB_ALIAS) -> int:
        """Fold the new counts into the subtree sums, if this tally keeps them (Rollup.fold)."""
        return self.rollup.fold(self, using=using) if self.rollup is not None else 0

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

    def _apply(self, *changes: tuple[str, int]) -> str:
        """Add to the tally, in one statement, the net change of a statement's rows: each
        transition table (`new_rows`, `old_rows`) counted with its sign and summed per
        combination; the rows whose combination did not change cancel out. In the key's order,
        so that two writers lock the tally rows they share in the same order."""
        cols = self._cols()
        rows = " UNION ALL ".join(
            f"SELECT {', '.join(f'{self._value(c, rel)} AS {c}' for c in self.columns)}, "
            f"{sign} AS d FROM {rel}"
            for rel, sign in changes
        )
        return (
            f"INSERT INTO {self.table} ({cols}, n) SELECT {cols}, SUM(d) FROM ({rows}) AS delta "
            f"GROUP BY {cols} HAVING SUM(d) <> 0 ORDER BY {cols} "
            f"ON CONFLICT ({cols}) DO UPDATE SET n = {self.table}.n + excluded.n"
        )

    def postgres(self) -> list[str]:
        """Statement triggers with transition tables: one grouped statement per write
        statement, however many rows it changed (a row trigger's two statements per row cost
        0.3 ms a row at a daily light recompute's 178,000 rows). PostgreSQL allows no column
        list with transition tables: every UPDATE of the source runs it, and the rows whose
        counted columns did not change cancel out."""
        name, src = self._name, self.source
        function = f"""CREATE OR REPLACE FUNCTION {name}() RETURNS trigger AS $$
            BEGIN
              IF TG_OP = 'INSERT' THEN {self._apply(("new_rows", 1))};
              ELSIF TG_OP = 'DELETE' THEN {self._apply(("old_rows", -1))};
              ELSE {self._apply(("new_rows", 1), ("old_rows", -1))};
              END IF;
              RETURN NULL;
            END; $$ LANGUAGE plpgsql"""
        return [
            function,
            f"CREATE TRIGGER {name}_insert AFTER INSERT ON {src} "
            f"REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {name}()",
            f"CREATE TRIGGER {name}_update AFTER UPDATE ON {src} "
            f"REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()",
            f"CREATE TRIGGER {name}_delete AFTER DELETE ON {src} "
            f"REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION {name}()",
        ]

    def postgres_drop(self) -> list[str]:
        return [
            # The row trigger of before (one per table, the function's name).
            f"DROP TRIGGER IF EXISTS {self._name} ON {self.source}",
            *(
                f"DROP TRIGGER IF EXISTS {self._name}_{op} ON {self.source}"
                for op in ("insert", "update", "delete")
            ),
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
            if self.rollup is not None:
                self.rollup.rebuild(self, cursor)
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
            needed = {self.source, self.table, *([self.rollup.table] if self.rollup else [])}
            if not needed <= tables:
                return "absent"
            if self.rollup is not None:
                kept = {
                    c.name for c in conn.introspection.get_table_description(cursor, self.table)
                }
                if "folded" not in kept:
                    return "absent"
            found = {c.name for c in conn.introspection.get_table_description(cursor, self.source)}
            if not set(self.columns) <= found:
                return "absent"
            # Three triggers of these names on either database (PostgreSQL's row trigger of
            # before, named without a suffix, counts as missing: ledger 0018 replaces it).
            names = [f"{self._name}_{op}" for op in ("insert", "delete", "update")]
            if conn.vendor == "sqlite":
                cursor.execute(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' "
                    "AND tbl_name = %s AND name IN (%s, %s, %s)",
                    [self.source, *names],
                )
            else:
                cursor.execute(
                    "SELECT count(*) FROM pg_trigger WHERE tgrelid = to_regclass(%s) "
                    "AND tgname IN (%s, %s, %s) AND NOT tgisinternal",
                    [self.source, *names],
                )
            return "kept" if cursor.fetchone()[0] == len(names) else "missing"

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

    def replace_triggers(self, apps: Any, schema_editor: Any) -> None:
        """A migration's step after the triggers changed form (PostgreSQL's statement triggers
        replacing its row trigger, ledger 0018): those there are dropped and today's made, in
        the migration's transaction. The counts stay as they are: they were kept exact."""
        conn = schema_editor.connection
        if self.state(conn) == "absent":
            return
        drop = {"sqlite": self.sqlite_drop, "postgresql": self.postgres_drop}[conn.vendor]
        create = {"sqlite": self.sqlite, "postgresql": self.postgres}[conn.vendor]
        for sql in (*drop(), *create()):
            schema_editor.execute(sql)

    def uninstall(self, apps: Any, schema_editor: Any) -> None:
        vendor = schema_editor.connection.vendor
        statements = {"sqlite": self.sqlite_drop, "postgresql": self.postgres_drop}[vendor]()
        for sql in statements:
            schema_editor.execute(sql)


def unfolded_statistics(table: str, index: str) -> tuple[Callable[..., None], Callable[..., None]]:
    """The forward and backward functions of a migration's RunPython that give a Rollup's tally
    table an index on the expression `(n <> folded)`: PostgreSQL cannot estimate a comparison
    of two columns (it takes it to hold for 99.5 % of the rows) and would read the whole tally
    for the rows not yet folded; the expression's index gets statistics of its own from
    ANALYZE, and the planner then reads it (ledger 0017). SQLite uses the partial index as it
    is: nothing there."""
    for name in (table, index):
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
            raise ValueError(f"not a plain identifier: {name!r}")

    def create(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {index} ON {table} ((n <> folded))")
            schema_editor.execute(f"ANALYZE {table}")

    def drop(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"DROP INDEX IF EXISTS {index}")

    return create, drop


def ensure_all(*, using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> list[str]:
    """After every `migrate` (post_migrate): the registered tallies whose triggers a table
    rebuild dropped get them back and are counted again. The tables put back, by name."""
    from qingfeng.core import registry

    conn = connections[using]
    restored = [t.table for t in registry.tallies() if t.ensure(conn)]
    for table in restored:
        log.warning("tally %s: its triggers were missing; put back and counted again", table)
    return restored


def fold_rollups(*, using: str = DEFAULT_DB_ALIAS) -> int:
    """Fold every registered tally's new counts into its subtree sums (Rollup.fold): the
    periodic job, and the end of bulk work. How many tally rows it folded."""
    from qingfeng.core import registry

    conn = connections[using]
    return sum(t.fold(using=using) for t in registry.tallies() if t.state(conn) == "kept")


def rebuild_rollups(*, using: str = DEFAULT_DB_ALIAS) -> None:
    """Sum every registered tally's subtree rows again from its tally rows: after the unit
    tree changed shape (a unit moved under another), in the caller's transaction."""
    from qingfeng.core import registry

    conn = connections[using]
    for tally in registry.tallies():
        if tally.rollup is not None and tally.state(conn) == "kept":
            with conn.cursor() as cursor:
                tally.rollup.rebuild(tally, cursor)


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

"""Upgrades from every past release: each fixture in upgrades/ is a populated database written
by a past release's own code (scripts/upgrade_fixtures.py); the real `migrate` of today's code
takes it to the current schema and the data must still be there — every table's rows, a
sample of each table's text, the audit chain.

On PostgreSQL the release's schema is built by today's migration files up to the release's
migrations (main never edits a migration once merged), the release's rows are copied in, and
`migrate` goes on from there, each migration in its transaction.
"""

from __future__ import annotations

import json
import lzma
import os
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.db import connection

from qingfeng.core.tests.liveserver import run_python, server_env

HERE = Path(__file__).resolve().parent / "upgrades"
RELEASES: list[dict[str, Any]] = json.loads((HERE / "releases.json").read_text())
KEYS = {k: v for k, v in json.loads((HERE / "keys.json").read_text()).items() if k != "_"}
SAMPLE = 5  # rows compared at each end of every table
CALL = "from django.core.management import call_command"


def pg_url(name: str) -> str:
    db = connection.settings_dict
    user = f"{db['USER']}{':' + db['PASSWORD'] if db['PASSWORD'] else ''}@" if db["USER"] else ""
    return f"postgres://{user}{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"


def text_columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [
        row[1]
        for row in conn.execute(f'PRAGMA table_info("{table}")')
        if row[2].lower().startswith(("varchar", "text", "char"))
    ]


def sample(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return rows[:SAMPLE] + rows[-SAMPLE:]


def sqlite_only(conn: sqlite3.Connection) -> set[str]:
    """SQLite's full-text tables (core/search.py: FTS5, and the shadow tables FTS5 keeps
    beside each): PostgreSQL keeps the same tokens in a GIN index over the copied column."""
    virtual = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND sql LIKE 'CREATE VIRTUAL TABLE%'"
        )
    ]
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return {t for t in tables for v in virtual if t == v or t.startswith(f"{v}_")}


def copy_into_postgres(fixture: Path, url: str) -> None:
    """The release's rows into a PostgreSQL database at the release's schema."""
    with sqlite3.connect(fixture) as source, psycopg.connect(url) as target:
        skipped = sqlite_only(source)
        tables = [
            r[0]
            for r in source.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                "AND name != 'django_migrations' ORDER BY name"
            )
            if r[0] not in skipped
        ]
        # migrate made rows of its own (content types, permissions, data migrations): the
        # release's rows replace them. The audit table lets its owner empty it when asked.
        target.execute("SET qingfeng.audit_truncate = 'allow'")
        # The rows as the release stored them: the kept counts' and the search index's
        # triggers must not count or clear what is copied (the tally tables are copied too).
        target.execute("SET session_replication_role = replica")
        target.execute("SET TIME ZONE 'UTC'")
        target.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE")
        with target.cursor() as cursor:
            for table in tables:
                columns = [row[1] for row in source.execute(f'PRAGMA table_info("{table}")')]
                names = ", ".join(f'"{c}"' for c in columns)
                with cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
                    for row in source.execute(f'SELECT {names} FROM "{table}"'):  # noqa: S608
                        copy.write_row(row)
                if "id" in columns:
                    reset = (
                        f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "  # noqa: S608
                        f'COALESCE((SELECT MAX(id) FROM "{table}"), 1))'
                    )
                    cursor.execute(reset)


# Text a migration rewrites on purpose: table.column → the migration that does it.
REWRITTEN: dict[str, str] = {}
# Tables a migration moved into another and dropped: table → (where its rows went, how).
MOVED = {
    "ledger_escalation": (
        "core_escalation",
        "ledger.0006_fill_core_escalations, ledger.0007_remove_escalation",
    ),
    "intake_ticketescalation": (
        "core_escalation",
        "intake.0006_fill_core_escalations, intake.0007_remove_ticketescalation",
    ),
}


def same(old: Any, new: Any) -> bool:
    """SQLite's text of a value against what the upgraded database returns (PostgreSQL gives
    JSON as objects and UUIDs as UUIDs)."""
    if isinstance(new, dict | list) and isinstance(old, str):
        return bool(json.loads(old) == new)
    if isinstance(new, uuid.UUID) and isinstance(old, str):
        return old.replace("-", "") == new.hex
    return bool(old == new)


def read(env: dict[str, str], table: str, columns: list[str], ids: list[int]) -> Any:
    """(rows, {id: text columns} of the sampled ids) of one table of the upgraded database."""
    count_sql = f'SELECT COUNT(*) FROM "{table}"'  # noqa: S608 - catalogue names
    names = ", ".join(f'"{c}"' for c in ["id", *columns])
    rows_sql = f'SELECT {names} FROM "{table}" WHERE id IN ({", ".join(map(str, ids))})'  # noqa: S608
    if env.get("DATABASE_URL", "").startswith("postgres"):
        with psycopg.connect(env["DATABASE_URL"]) as pg:
            count = pg.execute(count_sql).fetchone()[0]  # type: ignore[index]
            rows = pg.execute(rows_sql).fetchall() if ids else []
    else:
        with sqlite3.connect(Path(env["QF_DATA_DIR"]) / "qingfeng.sqlite3") as lite:
            count = lite.execute(count_sql).fetchone()[0]
            rows = lite.execute(rows_sql).fetchall() if ids else []
        lite.close()
    return count, {row[0]: tuple(row[1:]) for row in rows}


@pytest.fixture
def scratch_databases() -> Iterator[list[str]]:
    """Names of PostgreSQL databases a test made, dropped when it ends."""
    names: list[str] = []
    yield names
    with psycopg.connect(pg_url("postgres"), autocommit=True) as admin:
        for name in names:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.parametrize("release", RELEASES, ids=[r["commit"] for r in RELEASES])
def test_every_past_release_migrates_with_its_data(
    release: dict[str, Any], tmp_path: Path, scratch_databases: list[str]
) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    fixture = data_dir / "qingfeng.sqlite3"
    fixture.write_bytes(lzma.decompress((HERE / release["fixture"]).read_bytes()))
    # What the release wrote: the text of the first and last rows of every table with an id.
    before: dict[str, tuple[list[str], dict[int, tuple[Any, ...]]]] = {}
    with sqlite3.connect(fixture) as conn:
        full_text = sqlite_only(conn)
        for table in release["tables"]:
            if "id" not in [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]:
                continue
            columns = text_columns(conn, table)
            names = ", ".join(f'"{c}"' for c in ["id", *columns])
            rows = conn.execute(f'SELECT {names} FROM "{table}" ORDER BY id').fetchall()  # noqa: S608
            before[table] = (columns, {r[0]: tuple(r[1:]) for r in sample(rows)})
    conn.close()
    env = server_env(data_dir)
    env.update(KEYS)
    if connection.vendor == "postgresql":
        name = f"qf_upgrade_{release['commit']}_{os.getpid()}"
        with psycopg.connect(pg_url("postgres"), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')
        scratch_databases.append(name)
        env["DATABASE_URL"] = pg_url(name)
        # The release's schema: each app to the release's newest migration, in one process.
        steps = "; ".join(
            f"call_command('migrate', {app!r}, {migration!r}, interactive=False, verbosity=0)"
            for app, migration in release["migrations"].items()
        )
        run_python(["manage.py", "shell", "-c", f"{CALL}; {steps}"], env)
        copy_into_postgres(fixture, env["DATABASE_URL"])

    # The upgrade itself, then the audit chain, in one process (Django starts once).
    upgraded = run_python(
        [
            "manage.py",
            "shell",
            "-c",
            f"{CALL}; call_command('migrate', interactive=False, verbosity=0); "
            "call_command('verify_audit')",
        ],
        env,
    )

    differing = []
    for table, rows in release["tables"].items():
        if table in full_text and connection.vendor == "postgresql":
            continue  # SQLite's own index of the tokens: not a table on PostgreSQL
        if table in MOVED:
            table, _how = MOVED[table]
        columns, sampled = before.get(table, ([], {}))
        count, now = read(env, table, columns, list(sampled))
        assert count >= rows, f"{table}: {rows} rows before the upgrade, {count} after"
        for pk, text in sampled.items():
            for column, old, new in zip(columns, text, now.get(pk, ()), strict=False):
                if not same(old, new) and f"{table}.{column}" not in REWRITTEN:
                    differing.append(f"{table}.{column} id={pk}: {old!r} → {new!r}")
            if pk not in now:
                differing.append(f"{table} id={pk} is gone")
    assert not differing, differing[:10]
    assert "OK 审计链完整" in upgraded, upgraded

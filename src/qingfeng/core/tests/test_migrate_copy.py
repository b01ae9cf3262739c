"""`manage.py migrate` on a SQLite file (core/management/commands/migrate.py): a release's
migrations run on a copy, swapped in only when all succeeded. A failure half-way leaves the
original byte for byte as it was — not with the earlier migrations applied, which is what
Django's own command leaves (shown with `--in-place`)."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from qingfeng.core.tests.liveserver import Made, migrated, run_python

pytestmark = pytest.mark.own_database  # SQLite files of its own: once, in the SQLite pass

# ledger 0009 adds a table and 0010 another (ledger_problemtally): with both unapplied and a
# table of 0010's name already there, the upgrade's first migration succeeds, its second fails.
FIRST, SECOND = "0009_add_offline_publication", "0010_problem_tally"
IN_THE_WAY = "CREATE TABLE ledger_problemtally (id INTEGER PRIMARY KEY)"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def applied(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT name FROM django_migrations WHERE app = 'ledger'").fetchall()
    db.close()
    return {name for (name,) in rows}


@pytest.fixture(scope="module")
def behind(tmp_path_factory: pytest.TempPathFactory) -> Made:
    """An instance one release behind (ledger at 0008) whose next upgrade will fail at its
    second migration: a migrated instance (made once per test run) taken back by `migrate`."""
    data_dir = tmp_path_factory.mktemp("qf-behind")
    env = migrated(tmp_path_factory).copy_to(data_dir)
    database = data_dir / "qingfeng.sqlite3"
    run_python(["manage.py", "migrate", "ledger", "0008", "--noinput", "-v", "0"], env)
    with sqlite3.connect(database) as db:
        db.execute(IN_THE_WAY)
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return Made(data_dir, env, {})


@pytest.fixture
def release(behind: Made, tmp_path: Path) -> tuple[dict[str, str], Path]:
    """A fresh copy of that instance for each test."""
    env = behind.copy_to(tmp_path)
    database = tmp_path / "qingfeng.sqlite3"
    assert FIRST not in applied(database) and SECOND not in applied(database)
    return env, database


def test_a_failed_upgrade_leaves_the_database_as_it_was(
    release: tuple[dict[str, str], Path],
) -> None:
    env, database = release
    before = digest(database)
    with pytest.raises(RuntimeError) as failed:
        run_python(["manage.py", "migrate", "--noinput"], env)
    assert "ledger_problemtally" in str(failed.value)
    assert "原数据库 qingfeng.sqlite3 未改动" in str(failed.value)
    assert digest(database) == before  # not a byte changed, and the first migration not in
    assert FIRST not in applied(database)
    assert not list(database.parent.glob("*.upgrade*"))  # the copy is gone

    # Once what stood in the way is removed, the same upgrade goes through and is swapped in.
    with sqlite3.connect(database) as db:
        db.execute("DROP TABLE ledger_problemtally")
    db.close()
    out = run_python(["manage.py", "migrate", "--noinput"], env)
    assert "已迁移副本并替换" in out, out
    assert {FIRST, SECOND} <= applied(database)
    assert not list(database.parent.glob("*.upgrade*"))
    assert "OK" in run_python(["manage.py", "verify_audit"], env)
    # Nothing more due: straight to Django's command, the file not copied.
    assert "已迁移副本" not in run_python(["manage.py", "migrate", "--noinput"], env)


def test_in_place_leaves_the_first_migration_applied(
    release: tuple[dict[str, str], Path],
) -> None:
    """What the copy protects against: Django's own command, on the file itself."""
    env, database = release
    with pytest.raises(RuntimeError):
        run_python(["manage.py", "migrate", "--noinput", "--in-place"], env)
    assert FIRST in applied(database) and SECOND not in applied(database)

"""`manage.py migrate`, which on a SQLite file upgrades a copy and swaps it in.

On PostgreSQL every migration runs in a transaction, and a release's failing migration leaves
the database at the one before it. On SQLite each migration is atomic too, but a release's
migrations are several: one that fails half-way would leave the earlier ones applied, a schema
the old release may not run on. So here, when migrations are due on a SQLite file, the
database is copied (SQLite's online backup), the copy is migrated, and only when every
migration succeeded is the copy's write-ahead log folded in and the copy renamed over the
original (one rename: the database is the old one or the new one, never a mixture). A failure
deletes the copy and leaves the original exactly as it was, byte for byte; the error is
Django's, with a line saying so. Stop the site first (`systemctl stop qingfeng`): a process
that keeps the old file open would go on writing to it. `--in-place` migrates the file itself,
as Django does; nothing due, `--plan`/`--check`, PostgreSQL and in-memory databases go straight
to Django's command.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.core.management.commands import migrate
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

from qingfeng.core.sqlite import base as sqlite_pool

UPGRADE_SUFFIX = ".upgrade"


class Command(migrate.Command):
    help = (
        "迁移数据库；SQLite 上先迁移副本，全部成功后替换原文件，失败则原数据库不变 "
        "(migrate; on SQLite a copy is migrated and swapped in only when every migration "
        "succeeded)"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--in-place",
            action="store_true",
            help="SQLite：直接迁移原文件，不用副本 (migrate the file itself)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        in_place = options.pop("in_place", False)
        path = _copyable(options)
        if in_place or path is None:
            super().handle(*args, **options)
            return
        alias = options.get("database") or DEFAULT_DB_ALIAS
        conn = connections[alias]
        copy = path.with_name(path.name + UPGRADE_SUFFIX)
        _remove(copy)  # what an interrupted upgrade left
        _close(alias)
        _snapshot(path, copy)
        original = conn.settings_dict["NAME"]
        conn.settings_dict["NAME"] = str(copy)
        try:
            super().handle(*args, **options)
        except BaseException:
            _close(alias)
            conn.settings_dict["NAME"] = original
            _remove(copy)
            self.stderr.write(
                f"迁移失败：已删除迁移中的副本，原数据库 {path.name} 未改动 "
                f"(the migration failed on a copy; {path.name} is unchanged)"
            )
            raise
        _close(alias)
        conn.settings_dict["NAME"] = original
        try:
            _swap(copy, path)
        except BaseException:
            _remove(copy)
            raise
        if options.get("verbosity", 1) >= 1:
            self.stdout.write(f"  {path.name}: 已迁移副本并替换 (migrated on a copy, swapped in)")


def _copyable(options: dict[str, Any]) -> Path | None:
    """The SQLite file to upgrade through a copy, or None: not SQLite, not a file, a dry
    run, or nothing due."""
    if options.get("plan") or options.get("check_unapplied") or options.get("fake"):
        return None
    conn = connections[options.get("database") or DEFAULT_DB_ALIAS]
    if conn.vendor != "sqlite":
        return None
    name = str(conn.settings_dict["NAME"])
    if name in ("", ":memory:") or name.startswith("file:") or not Path(name).is_file():
        return None
    if options.get("app_label"):
        return Path(name)  # a target of its own: whatever it runs, it runs on a copy
    executor = MigrationExecutor(conn)
    if not executor.migration_plan(executor.loader.graph.leaf_nodes()):
        return None
    return Path(name)


def _close(alias: str) -> None:
    connections[alias].close()
    sqlite_pool.drain()


def _snapshot(source: Path, target: Path) -> None:
    """A consistent copy of the database (its committed WAL frames included)."""
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def _fold_wal(path: Path) -> None:
    """Write the WAL's frames into the file itself and empty the WAL."""
    db = sqlite3.connect(path)
    try:
        busy, _log, _done = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        db.close()
    if busy:
        raise CommandError(
            f"{path.name} 正被其他进程使用：请先停止服务（systemctl stop qingfeng）再升级 "
            f"({path.name} is in use: stop the site before upgrading)"
        )


def _swap(copy: Path, path: Path) -> None:
    _fold_wal(copy)
    _fold_wal(path)  # nothing of the original may be left in a WAL beside the new file
    for suffix in ("-wal", "-shm"):
        stale = Path(str(path) + suffix)
        if stale.exists() and stale.stat().st_size and suffix == "-wal":
            raise CommandError(
                f"{stale.name} 仍有内容：请先停止服务再升级 (still written to: stop the site first)"
            )
    os.replace(copy, path)
    for suffix in ("-wal", "-shm"):
        for stale in (Path(str(path) + suffix), Path(str(copy) + suffix)):
            stale.unlink(missing_ok=True)


def _remove(copy: Path) -> None:
    for name in (copy, Path(str(copy) + "-wal"), Path(str(copy) + "-shm")):
        name.unlink(missing_ok=True)

"""Backup and restore of a whole instance: `manage.py backup` and `manage.py restore`.

A backup is one tar file, `qingfeng-backup-<UTC time>.tar` (or `.tar.enc`, encrypted):

- `db.sqlite3` — SQLite's online backup of the live database (a consistent snapshot while the
  site keeps running), or `db.pgdump` — `pg_dump -Fc` of PostgreSQL, taken in the same
  REPEATABLE READ snapshot as the row counts of the manifest;
- `media/…` — every stored file (evidence, attachments, workbooks, exports), read through the
  storage: the media directory, or every object of the S3-compatible bucket when the files
  are kept there (QF_MEDIA_S3_BUCKET; restored into the bucket the restoring instance names);
- `manifest.json` — the format, the time, the database vendor, the applied migrations, the
  rows of every table, the SHA-256 and size of every other member, the fingerprints of the
  keys that decrypt personal fields, and the audit chain's newest event (id and hash), so rows
  cut from the tail after the backup are detectable;
- `audit-anchor.txt` — that head as an anchor line (`verify_audit --anchors FILE` reads it),
  also appended to the instance's own anchor file.

The keys themselves (QF_FIELD_KEY, QF_INDEX_KEY, QF_AUDIT_KEY) are **not** in the backup: whoever holds a
backup and its keys holds every reporter's name and phone. They are kept apart (the `.env`,
or `backup --export-keys FILE` to a place of their own); restore refuses a backup whose key
fingerprints differ from the instance's keys, before it changes anything.

Encryption (QF_BACKUP_KEY, 32 bytes base64): the tar is sealed in 1 MiB chunks with AES-GCM,
each chunk's nonce carrying its number and the last one marked, so a reordered, altered or cut
file fails to open.

Restore goes onto an empty instance (no people, no audit events): it checks every checksum and
the key fingerprints first, then replaces the database (SQLite: the file; PostgreSQL:
`pg_restore --clean`) and the media files, then checks the rows of every table and the audit
chain against the manifest and reports what it restored.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import connection, connections, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django.utils.translation import gettext as _

from qingfeng.core import audit, media
from qingfeng.core.sqlite import base as sqlite_pool

FORMAT = 1
PREFIX = "qingfeng-backup-"
MAGIC = b"QFBACKUP1\n"
CHUNK = 1 << 20
ANCHOR_MEMBER = "audit-anchor.txt"  # the snapshot's audit head, one anchor line
HEARTBEAT = "backup"  # WorkerHeartbeat row: when the last good backup was made
LOCK = "backup-lock"  # WorkerHeartbeat row: until when a running backup holds the lock


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why, in Chinese."""


class RestoredWrong(BackupError):
    """The restore ran, but what the database now holds is not what the manifest lists."""


@dataclass
class Report:
    path: Path
    manifest: dict[str, Any]
    seconds: float
    notes: list[str] = field(default_factory=list)


# --- Keys and checksums ---------------------------------------------------------------------


def key_fingerprints() -> dict[str, str]:
    """Short digests that name the instance's keys without revealing them."""

    def fp(name: str, key: bytes) -> str:
        return hashlib.sha256(b"qingfeng-key-fingerprint:" + name.encode() + key).hexdigest()[:16]

    return {
        "field": fp("field", settings.QF_FIELD_KEY),
        "index": fp("index", settings.QF_INDEX_KEY),
        "audit": fp("audit", settings.QF_AUDIT_KEY),
    }


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def backup_key() -> bytes | None:
    raw = getattr(settings, "QF_BACKUP_KEY", "")
    if not raw:
        return None
    key = base64.b64decode(raw)
    if len(key) != 32:
        raise BackupError(_("QF_BACKUP_KEY 须为 32 字节的 base64"))
    return key


# --- What the database holds ----------------------------------------------------------------


def table_counts(using: str = "default") -> dict[str, int]:
    conn = connections[using]
    counts = {}
    with conn.cursor() as cursor:
        for table in sorted(conn.introspection.table_names(cursor)):
            cursor.execute(f"SELECT COUNT(*) FROM {conn.ops.quote_name(table)}")  # noqa: S608 - names from the catalogue
            counts[table] = int(cursor.fetchone()[0])
    return counts


def _migrations() -> dict[str, str]:
    applied: dict[str, str] = {}
    for app, name in MigrationRecorder(connection).applied_migrations():
        applied[app] = max(applied.get(app, ""), name)
    return dict(sorted(applied.items()))


def _audit_head() -> dict[str, Any]:
    from qingfeng.core.models import AuditEvent

    head = AuditEvent.objects.order_by("-id").values("id", "hash").first()
    return {"id": head["id"], "hash": head["hash"]} if head else {"id": 0, "hash": ""}


# --- Backup ---------------------------------------------------------------------------------


def _sqlite_snapshot(target: Path) -> tuple[dict[str, int], dict[str, Any]]:
    """SQLite's online backup API: a consistent copy while writers keep writing."""
    connection.ensure_connection()
    source = connection.connection
    with sqlite3.connect(target) as copy:
        source.backup(copy)
    # The counts are the copy's own, so they match what was saved to the row.
    with sqlite3.connect(target) as copy:
        tables = [
            r[0]
            for r in copy.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        counts = {
            t: int(copy.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0])  # noqa: S608
            for t in sorted(tables)
        }
        row = copy.execute(
            "SELECT id, hash FROM core_auditevent ORDER BY id DESC LIMIT 1"
        ).fetchone()
    return counts, {"id": row[0], "hash": row[1]} if row else {"id": 0, "hash": ""}


def _pg_env() -> tuple[list[str], dict[str, str]]:
    db = settings.DATABASES["default"]
    args = ["-d", str(db["NAME"])]
    if db.get("HOST"):
        args += ["-h", str(db["HOST"])]
    if db.get("PORT"):
        args += ["-p", str(db["PORT"])]
    if db.get("USER"):
        args += ["-U", str(db["USER"])]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return args, env


def _program(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            _("找不到 %(p)s：请安装 PostgreSQL 客户端（postgresql-client）") % {"p": name}
        )
    return path


def _pg_snapshot(target: Path) -> tuple[dict[str, int], dict[str, Any]]:
    """pg_dump in the snapshot the counts were taken in (pg_export_snapshot)."""
    args, env = _pg_env()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
        counts, head = table_counts(), _audit_head()
        result = subprocess.run(  # noqa: S603 - fixed program, arguments from settings
            [
                _program("pg_dump"),
                "-Fc",
                "--no-owner",
                "--no-privileges",
                f"--snapshot={snapshot}",
                "-f",
                str(target),
                *args,
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    if result.returncode != 0:
        raise BackupError(_("pg_dump 失败：%(e)s") % {"e": result.stderr.strip()[-500:]})
    return counts, head


def _media_for_backup(staging: Path) -> Path:
    """The directory whose files go into the backup as media/…: the storage's own directory,
    or, when the files are in a bucket (QF_MEDIA_S3_BUCKET), a copy of every object downloaded
    into the staging directory."""
    root = media.local_root()
    if root is not None:
        return root
    copy = staging / "media"
    copy.mkdir()
    for name in media.walk():
        if name.startswith("/") or ".." in Path(name).parts:
            raise BackupError(_("存储中的文件名不安全：%(n)s") % {"n": name})
        target = copy / name
        target.parent.mkdir(parents=True, exist_ok=True)
        with default_storage.open(name, "rb") as source, target.open("wb") as out:
            shutil.copyfileobj(source, out, CHUNK)
    return copy


def _media_files(root: Path) -> Iterator[Path]:
    if root.is_dir():
        for path in sorted(root.rglob("*")):
            if path.is_file() and not path.is_symlink():
                yield path


def _restore_media(content: Path, manifest: dict[str, Any]) -> None:
    """Every file of the backup back into the storage, under its own name."""
    root = media.local_root()
    for name in manifest["files"]:
        if not name.startswith("media/"):
            continue
        stored = name.removeprefix("media/")
        if root is not None:
            target = root / stored
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(content / name, target)
            continue
        with (content / name).open("rb") as fh:
            saved = default_storage.save(stored, File(fh, name=stored))
        if saved != stored:  # the bucket was checked empty: only a concurrent writer does this
            raise BackupError(_("文件 %(n)s 已存在于存储中，未能按原名恢复") % {"n": stored})


class BackupRunning(BackupError):
    """Another process (on this host or another sharing the database) is making a backup."""


# --- One backup at a time -----------------------------------------------------------------
# Several hosts share the database (docs/operations.md §5): each one's worker would run the
# daily backup, and two backups at once double the load and may prune each other's files in a
# shared backup directory. The lock is a row of the shared database, WorkerHeartbeat "backup-lock",
# whose time is when the lock runs out: taken by one conditional UPDATE (atomic on SQLite and
# PostgreSQL alike), given back by the holder only (its own expiry is its token), and run out
# after QF_BACKUP_LOCK_MINUTES should the holder die. QF_BACKUP_HOST names the one host whose
# worker runs the daily backup; on the others the scheduled task does nothing.


def acquire_lock(*, minutes: int | None = None) -> datetime | None:
    """Take the backup lock: its expiry (the token to release it) or None when it is held."""
    from django.db import IntegrityError

    from qingfeng.core.models import WorkerHeartbeat

    now = timezone.now()
    until = now + timedelta(minutes=minutes or settings.QF_BACKUP_LOCK_MINUTES)
    if not WorkerHeartbeat.objects.filter(name=LOCK).exists():
        try:
            with transaction.atomic():
                WorkerHeartbeat.objects.create(name=LOCK, beat_at=now - timedelta(seconds=1))
        except IntegrityError:  # another process made the row first: fine, it is there
            pass
    taken = WorkerHeartbeat.objects.filter(name=LOCK, beat_at__lt=now).update(beat_at=until)
    return until if taken else None


def release_lock(token: datetime) -> None:
    """Give the lock back, unless it ran out and another process holds it now."""
    from qingfeng.core.models import WorkerHeartbeat

    WorkerHeartbeat.objects.filter(name=LOCK, beat_at=token).update(beat_at=timezone.now())


def lock_held_until() -> datetime | None:
    from qingfeng.core.models import WorkerHeartbeat

    until = WorkerHeartbeat.objects.filter(name=LOCK).values_list("beat_at", flat=True).first()
    return until if until is not None and until > timezone.now() else None


def is_backup_host() -> bool:
    """Whether this host runs the scheduled backup (QF_BACKUP_HOST empty: every host, for
    one host on its own; otherwise the host whose name, socket.gethostname(), it is)."""
    import socket

    wanted = settings.QF_BACKUP_HOST
    return not wanted or wanted == socket.gethostname()


def create_backup(directory: Path, *, keep: int | None = None) -> Report:
    """Write one backup into `directory` and prune it to the newest `keep` backups, holding
    the backup lock (BackupRunning while another process holds it)."""
    if connection.in_atomic_block:
        # SQLite's backup would wait for this very transaction forever.
        raise BackupError(_("备份须在事务之外进行"))
    token = acquire_lock()
    if token is None:
        until = lock_held_until()
        raise BackupRunning(
            _("另一个进程正在备份（可能在另一台服务器上），锁到 %(until)s 为止；请稍后再试")
            % {"until": timezone.localtime(until).strftime("%H:%M") if until else "-"}
        )
    try:
        return _create_backup(directory, keep=keep)
    finally:
        release_lock(token)


def _create_backup(directory: Path, *, keep: int | None) -> Report:
    started = time.monotonic()
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    key = backup_key()
    final = directory / f"{PREFIX}{stamp}.tar{'.enc' if key else ''}"
    with tempfile.TemporaryDirectory(dir=directory, prefix=".partial-") as work:
        staging = Path(work)
        vendor = connection.vendor
        if vendor == "sqlite":
            db_name = "db.sqlite3"
            counts, head = _sqlite_snapshot(staging / db_name)
        elif vendor == "postgresql":
            db_name = "db.pgdump"
            counts, head = _pg_snapshot(staging / db_name)
        else:
            raise BackupError(_("不支持的数据库：%(v)s") % {"v": vendor})
        # The snapshot's audit head, anchored: a line in the backup for `verify_audit
        # --anchors`, and in the instance's own anchor file and log.
        anchor = audit.Anchor(seq=head["id"], head=head["hash"], at=timezone.now())
        (staging / ANCHOR_MEMBER).write_text(anchor.line(), encoding="ascii")
        if head["id"]:
            audit.append_anchor(anchor)
        files = {
            db_name: {
                "sha256": _sha256(staging / db_name),
                "size": (staging / db_name).stat().st_size,
            }
        }
        files[ANCHOR_MEMBER] = {
            "sha256": _sha256(staging / ANCHOR_MEMBER),
            "size": (staging / ANCHOR_MEMBER).stat().st_size,
        }
        files_dir = _media_for_backup(staging)
        for path in _media_files(files_dir):
            name = "media/" + path.relative_to(files_dir).as_posix()
            files[name] = {"sha256": _sha256(path), "size": path.stat().st_size}
        manifest = {
            "format": FORMAT,
            "created_at": timezone.now().isoformat(),
            "database": vendor,
            "migrations": _migrations(),
            "tables": counts,
            "files": files,
            "keys": key_fingerprints(),
            "audit_head": head,
            "encrypted": bool(key),
        }
        (staging / "manifest.json").write_text(
            json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8"
        )
        tar_path = staging / "backup.tar"
        with tarfile.open(tar_path, "w") as tar:
            tar.add(staging / "manifest.json", arcname="manifest.json")
            tar.add(staging / db_name, arcname=db_name)
            tar.add(staging / ANCHOR_MEMBER, arcname=ANCHOR_MEMBER)
            for path in _media_files(files_dir):
                tar.add(path, arcname="media/" + path.relative_to(files_dir).as_posix())
        partial = directory / f".{final.name}.partial"
        if key:
            with tar_path.open("rb") as plain, partial.open("wb") as sealed:
                _seal(plain, sealed, key)
        else:
            shutil.move(tar_path, partial)
        os.replace(partial, final)  # a backup is there whole or not at all
    notes = [] if keep is None else [f"removed {p.name}" for p in prune(directory, keep)]
    record_success()
    return Report(final, manifest, time.monotonic() - started, notes)


def prune(directory: Path, keep: int) -> list[Path]:
    """Remove all but the newest `keep` backups (by the time in their names)."""
    backups = sorted(p for p in directory.glob(f"{PREFIX}*.tar*") if p.is_file())
    old = backups[: max(0, len(backups) - max(1, keep))]
    for path in old:
        path.unlink()
    return old


def record_success() -> None:
    """Note that a good backup was just made (what `/healthz` reports)."""
    from qingfeng.core.models import WorkerHeartbeat

    WorkerHeartbeat.objects.update_or_create(name=HEARTBEAT, defaults={"beat_at": timezone.now()})


def last_backup_at() -> datetime | None:
    from qingfeng.core.models import WorkerHeartbeat

    return WorkerHeartbeat.objects.filter(name=HEARTBEAT).values_list("beat_at", flat=True).first()


# --- Encryption -----------------------------------------------------------------------------


def _nonce(prefix: bytes, number: int, last: bool) -> bytes:
    return prefix + number.to_bytes(3, "big") + (b"\x01" if last else b"\x00")


def _seal(plain: IO[bytes], sealed: IO[bytes], key: bytes) -> None:
    aes, prefix = AESGCM(key), os.urandom(8)
    sealed.write(MAGIC + prefix)
    number, chunk = 0, plain.read(CHUNK)
    while True:
        following = plain.read(CHUNK)
        last = not following
        box = aes.encrypt(_nonce(prefix, number, last), chunk, MAGIC)
        sealed.write(len(box).to_bytes(4, "big") + box)
        if last:
            return
        number, chunk = number + 1, following


def _open_sealed(sealed: IO[bytes], plain: IO[bytes], key: bytes, total: int) -> None:
    if sealed.read(len(MAGIC)) != MAGIC:
        raise BackupError(_("这不是加密的清风备份文件"))
    aes, prefix, number = AESGCM(key), sealed.read(8), 0
    while True:
        size = int.from_bytes(sealed.read(4).rjust(4, b"\0"), "big")
        box = sealed.read(size)
        if not size or len(box) != size:
            raise BackupError(_("备份文件不完整（被截断）"))
        at_end = sealed.tell() >= total
        try:
            chunk = aes.decrypt(_nonce(prefix, number, at_end), box, MAGIC)
        except InvalidTag:
            raise BackupError(_("备份文件无法解密：密钥不对，或文件被改动、截断")) from None
        plain.write(chunk)
        if at_end:
            return
        number += 1


# --- Restore --------------------------------------------------------------------------------


def _unpack(path: Path, into: Path) -> dict[str, Any]:
    tar_path = path
    if path.name.endswith(".enc"):
        key = backup_key()
        if key is None:
            raise BackupError(_("备份已加密：请设置与备份时相同的 QF_BACKUP_KEY"))
        tar_path = into / "backup.tar"
        with path.open("rb") as sealed, tar_path.open("wb") as plain:
            _open_sealed(sealed, plain, key, path.stat().st_size)
    try:
        with tarfile.open(tar_path, "r") as tar:
            tar.extractall(into / "content", filter="data")
    except (tarfile.TarError, OSError) as exc:
        raise BackupError(_("备份文件无法读取：%(e)s") % {"e": exc}) from exc
    manifest_path = into / "content" / "manifest.json"
    if not manifest_path.is_file():
        raise BackupError(_("备份中没有清单（manifest.json）"))
    manifest: dict[str, Any] = json.loads(manifest_path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise BackupError(_("不认识的备份格式：%(f)s") % {"f": manifest.get("format")})
    return manifest


def _verify_files(content: Path, manifest: dict[str, Any]) -> None:
    present = {p.relative_to(content).as_posix() for p in content.rglob("*") if p.is_file()}
    present.discard("manifest.json")
    listed = set(manifest["files"])
    if missing := sorted(listed - present):
        raise BackupError(_("备份缺少文件：%(f)s") % {"f": "、".join(missing[:5])})
    if extra := sorted(present - listed):
        raise BackupError(_("备份含有清单之外的文件：%(f)s") % {"f": "、".join(extra[:5])})
    for name, meta in manifest["files"].items():
        if _sha256(content / name) != meta["sha256"]:
            raise BackupError(_("文件校验和不符，备份已损坏或被改动：%(f)s") % {"f": name})


def _instance_is_empty() -> bool:
    from django.contrib.auth import get_user_model

    from qingfeng.core.models import AuditEvent

    tables = set(connection.introspection.table_names())
    for model in (get_user_model(), AuditEvent):
        if model._meta.db_table in tables and model.objects.exists():
            return False
    return True


def restore_backup(path: Path) -> Report:
    """Restore a backup onto this (empty) instance; raises BackupError before changing
    anything when the file, its checksums or the keys do not hold."""
    started = time.monotonic()
    if not path.is_file():
        raise BackupError(_("找不到备份文件：%(p)s") % {"p": path.name})
    with tempfile.TemporaryDirectory(prefix="qingfeng-restore-") as work:
        manifest = _unpack(path, Path(work))
        content = Path(work) / "content"
        _verify_files(content, manifest)
        if manifest["keys"] != key_fingerprints():
            raise BackupError(
                _(
                    "本实例的加密密钥（QF_FIELD_KEY / QF_INDEX_KEY）与备份时不同，拒绝恢复：请先配置备份时的密钥"
                )
            )
        if manifest["database"] != connection.vendor:
            raise BackupError(
                _("备份来自 %(a)s 数据库，本实例使用 %(b)s")
                % {"a": manifest["database"], "b": connection.vendor}
            )
        if not _instance_is_empty():
            raise BackupError(_("本实例已有数据：只能恢复到空实例（新的数据库和数据目录）"))
        if any(media.walk()):
            raise BackupError(_("文件目录不是空的：只能恢复到空实例"))
        if connection.vendor == "sqlite":
            _restore_sqlite(content / "db.sqlite3")
        else:
            _restore_pg(content / "db.pgdump")
        _restore_media(content, manifest)
        anchor_file = content / ANCHOR_MEMBER
        # The restored instance knows the backup's head from now on.
        if anchor_file.is_file() and manifest["audit_head"]["id"]:
            with Path(settings.QF_AUDIT_ANCHOR_FILE).open("a", encoding="ascii") as anchors:
                anchors.write(anchor_file.read_text(encoding="ascii"))
        notes = _check_restored(manifest, anchor_file)
        # The snapshot was taken under the backup lock: the restored instance's lock is free.
        from qingfeng.core.models import WorkerHeartbeat

        WorkerHeartbeat.objects.filter(name=LOCK).update(beat_at=timezone.now())
        notes += _after_restore()
    return Report(path, manifest, time.monotonic() - started, notes)


def _after_restore() -> list[str]:
    """Work the snapshot caught half done: its jobs ended (their workers are gone) and the
    rows it had staged, unseen, removed (core/leftovers.py), after the checks against the
    manifest (which counted those rows)."""
    from qingfeng.core import leftovers

    ended, removed = leftovers.after_restore()
    notes = []
    if ended:
        notes.append(_("备份时正在进行的后台处理 %(n)s 项已结束") % {"n": ended})
    if removed:
        notes.append(_("删除备份时尚未完成的导入暂存行 %(n)s 行") % {"n": sum(removed.values())})
    return notes


def _restore_sqlite(snapshot: Path) -> None:
    connection.close()
    sqlite_pool.drain()  # no idle connection may keep the replaced file open
    target = Path(settings.DATABASES["default"]["NAME"])
    target.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("-wal", "-shm", "-journal"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    partial = target.with_name(f".{target.name}.restoring")
    shutil.copyfile(snapshot, partial)
    os.replace(partial, target)


def _restore_pg(dump: Path) -> None:
    args, env = _pg_env()
    connection.close()
    result = subprocess.run(  # noqa: S603 - fixed program, arguments from settings
        [
            _program("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            *args,
            str(dump),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(_("pg_restore 失败：%(e)s") % {"e": result.stderr.strip()[-500:]})


def _check_restored(manifest: dict[str, Any], anchor_file: Path) -> list[str]:
    """What the restored database holds against the manifest: rows of every table, the
    audit chain and its head."""
    from qingfeng.core.audit import check_chain

    problems = []
    counts = table_counts()
    for table, rows in manifest["tables"].items():
        if counts.get(table) != rows:
            problems.append(
                _("表 %(t)s：备份 %(a)s 行，恢复后 %(b)s 行")
                % {"t": table, "a": rows, "b": counts.get(table)}
            )
    chain = check_chain(anchor_files=[anchor_file] if anchor_file.is_file() else [])
    if chain.broken is not None:
        problems.append(_("审计链在第 %(id)s 条处断开") % {"id": chain.broken.pk})
    elif not chain.ok:
        problems.append(_("审计链与备份中的锚点不符"))
    if _audit_head() != manifest["audit_head"]:
        problems.append(_("审计链最新记录与备份清单不符"))
    if problems:
        raise RestoredWrong("；".join(problems))
    return [
        _("恢复 %(t)s 张表、%(r)s 行，%(f)s 个文件；审计链完整（%(n)s 条）")
        % {
            "t": len(manifest["tables"]),
            "r": sum(manifest["tables"].values()),
            "f": sum(1 for n in manifest["files"] if n.startswith("media/")),
            "n": chain.checked,
        }
    ]

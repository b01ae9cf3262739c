"""Backup and restore with the real commands on a populated instance (the demo county with its
cases and files): what is restored equals what was backed up, table by table and file by file,
and a backup that does not fit (other keys, altered, onto a used instance) changes nothing."""

from __future__ import annotations

import hashlib
import io
import json
import os
import sqlite3
import tarfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from django.test import SimpleTestCase, override_settings

from qingfeng.core import backup
from qingfeng.core.tests.liveserver import migrated, run_python, server_env

PG_URL = "postgres://postgres@127.0.0.1:5432/{name}"


def _pg(sql: str) -> None:
    with psycopg.connect(PG_URL.format(name="postgres"), autocommit=True) as conn:
        conn.execute(sql)


_MADE: list[str] = []  # the PostgreSQL databases the instances below made


@pytest.fixture(scope="module", autouse=True)
def _drop_made_databases() -> Iterator[None]:
    """The instances' databases go when the module's tests are over, as their files do."""
    yield
    while _MADE:
        _pg(f'DROP DATABASE IF EXISTS "{_MADE.pop()}" WITH (FORCE)')


@pytest.fixture(scope="module")
def vendor() -> str:
    # The suite runs once per database; this test follows it.
    return connection.vendor


def instance(
    tmp: Path, name: str, vendor: str, keys_from: dict[str, str] | None = None
) -> dict[str, str]:
    data_dir = tmp / name
    data_dir.mkdir()
    env = server_env(data_dir)
    if keys_from is not None:
        for key in ("SECRET_KEY", "QF_FIELD_KEY", "QF_INDEX_KEY", "QF_AUDIT_KEY"):
            env[key] = keys_from[key]
    if vendor == "postgresql":
        db = f"qf_backup_{name}_{os.getpid()}"
        _pg(f'DROP DATABASE IF EXISTS "{db}"')
        _pg(f'CREATE DATABASE "{db}"')
        _MADE.append(db)
        env["DATABASE_URL"] = PG_URL.format(name=db)
    return env


def content_hashes(env: dict[str, str]) -> dict[str, str]:
    """A digest of every table's rows in primary-key order."""
    out: dict[str, str] = {}
    if "DATABASE_URL" in env:
        with psycopg.connect(env["DATABASE_URL"]) as conn:
            tables = [
                r[0]
                for r in conn.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
                )
            ]
            for table in tables:
                digest = hashlib.sha256()
                for row in conn.execute(f'SELECT * FROM "{table}" ORDER BY 1'):  # noqa: S608
                    digest.update(repr(row).encode())
                out[table] = digest.hexdigest()
        return out
    with sqlite3.connect(Path(env["QF_DATA_DIR"]) / "qingfeng.sqlite3") as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY 1"
            )
        ]
        for table in tables:
            digest = hashlib.sha256()
            # Sorted here: some tables have no rowid (a full-text index's WITHOUT ROWID parts).
            rows = conn.execute(f'SELECT * FROM "{table}"')  # noqa: S608
            for text in sorted(map(repr, rows)):
                digest.update(text.encode())
            out[table] = digest.hexdigest()
    return out


def media_hashes(env: dict[str, str]) -> dict[str, str]:
    root = Path(env["QF_DATA_DIR"]) / "media"
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def populated(
    tmp_path_factory: pytest.TempPathFactory, vendor: str
) -> Iterator[tuple[Path, dict[str, str], Path]]:
    tmp = tmp_path_factory.mktemp("backup")
    env = instance(tmp, "source", vendor)
    if vendor == "sqlite":  # a copy of the instance `migrate` made once for this test run
        env.update(migrated(tmp_path_factory).copy_to(Path(env["QF_DATA_DIR"])))
    else:
        run_python(["manage.py", "migrate", "-v", "0"], env)
    run_python(["manage.py", "seed_demo", "--size", "county", "--seed", "3"], env)
    run_python(["manage.py", "seed_demo_cases"], env)
    run_python(["manage.py", "backup", "--to", str(tmp / "backups")], env)
    shown = run_python(
        [
            "manage.py",
            "shell",
            "-c",
            "from qingfeng.core import backup; print(backup.last_backup_at())",
        ],
        env,
    )
    assert shown.strip() not in ("", "None"), shown  # /healthz reports it as last_backup_at
    [made] = list((tmp / "backups").glob("qingfeng-backup-*.tar"))
    yield tmp, env, made


def test_a_restored_instance_equals_the_backed_up_one(
    populated: tuple[Path, dict[str, str], Path], vendor: str
) -> None:
    tmp, source, made = populated
    with tarfile.open(made) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
    assert manifest["database"] == vendor
    assert sum(manifest["tables"].values()) > 5000
    assert any(name.startswith("media/") for name in manifest["files"])
    target = instance(tmp, "target", vendor, keys_from=source)
    output = run_python(["manage.py", "restore", str(made)], target)
    assert "审计链完整" in output, output
    before, after = content_hashes(source), content_hashes(target)
    # The source recorded its backup's time after the snapshot: that row alone differs.
    before.pop("core_workerheartbeat"), after.pop("core_workerheartbeat")
    assert after == before
    assert media_hashes(target) == media_hashes(source)
    assert "OK" in run_python(["manage.py", "verify_audit"], target)


def test_a_backup_that_does_not_fit_changes_nothing(
    populated: tuple[Path, dict[str, str], Path], vendor: str
) -> None:
    tmp, source, made = populated
    other_keys = instance(tmp, "otherkeys", vendor)
    with pytest.raises(RuntimeError, match=r"密钥.*与备份时不同"):
        run_python(["manage.py", "restore", str(made)], other_keys)
    assert not media_hashes(other_keys)

    altered = tmp / "altered.tar"
    data = bytearray(made.read_bytes())
    data[len(data) // 2] ^= 0xFF  # inside the database member
    altered.write_bytes(bytes(data))
    target = instance(tmp, "altered", vendor, keys_from=source)
    with pytest.raises(RuntimeError, match=r"校验和不符|无法读取"):
        run_python(["manage.py", "restore", str(altered)], target)
    assert not media_hashes(target)

    # The source itself is not empty: a restore onto it is refused.
    with pytest.raises(RuntimeError, match="只能恢复到空实例"):
        run_python(["manage.py", "restore", str(made)], source)


KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="  # 32 bytes, base64


@override_settings(QF_BACKUP_KEY=KEY)
class SealTestCase(SimpleTestCase):
    """The encryption of a backup file, chunk by chunk."""

    def seal(self, data: bytes) -> bytes:
        out = io.BytesIO()
        backup._seal(io.BytesIO(data), out, backup.backup_key() or b"")
        return out.getvalue()

    def open(self, sealed: bytes) -> bytes:
        out = io.BytesIO()
        backup._open_sealed(io.BytesIO(sealed), out, backup.backup_key() or b"", len(sealed))
        return out.getvalue()

    def test_it_opens_what_it_sealed_of_any_size(self) -> None:
        for size in (0, 1, backup.CHUNK - 1, backup.CHUNK, backup.CHUNK * 2 + 17):
            with self.subTest(size=size):
                data = os.urandom(size)
                self.assertEqual(self.open(self.seal(data)), data)

    def test_a_cut_reordered_or_altered_file_does_not_open(self) -> None:
        data = os.urandom(backup.CHUNK * 2 + 5)
        sealed = self.seal(data)
        head = len(backup.MAGIC) + 8
        first = head + 4 + backup.CHUNK + 16
        second = first + 4 + backup.CHUNK + 16
        cases = {
            "cut after a whole chunk": sealed[:second],
            "cut inside a chunk": sealed[: second + 10],
            "altered": sealed[:100] + bytes([sealed[100] ^ 1]) + sealed[101:],
            "chunks swapped": sealed[:head]
            + sealed[first:second]
            + sealed[head:first]
            + sealed[second:],
        }
        for label, broken in cases.items():
            with self.subTest(label), self.assertRaises(backup.BackupError):
                self.open(broken)

    @override_settings(QF_BACKUP_KEY="b3RoZXIga2V5IG9mIHRoaXJ0eS10d28gYnl0ZXMhISE=")
    def test_another_key_does_not_open_it(self) -> None:
        with override_settings(QF_BACKUP_KEY=KEY):
            sealed = self.seal(b"backup")
        with self.assertRaises(backup.BackupError):
            self.open(sealed)


# An import interrupted in the source: three rows staged (seen by no one), its job running.
MID_IMPORT = """
from django.core.files.base import ContentFile
from qingfeng.core.models import Job
from qingfeng.ledger.excel.checking import RowPlan
from qingfeng.ledger.excel.importing import _write_bulk
from qingfeng.ledger.excel.work import IMPORT
from qingfeng.ledger.models import LedgerImport, Problem, staged_status
p = Problem.objects.filter(created_by__isnull=False).order_by("id").first()
actor = p.created_by
record = LedgerImport(original_name="台账.xlsx", uploaded_by=actor)
record.file.save("ledger.xlsx", ContentFile(b"workbook"), save=False)
record.save()
fields = dict(list_kind=p.list_kind, source=p.source, category_id=p.category_id,
    dimension=p.dimension, description=p.description, deadline_workdays=10,
    rectification_type=p.rectification_type, unit_id=p.unit_id, round_no=p.round_no,
    responsible_person_id=p.responsible_person_id, responsible_leader_id=None)
plans = [RowPlan("台账", 5 + i, fields={**fields, "title": f"暂存{i}"}, measures=["退回费用"],
    cooperating=[]) for i in range(3)]
_write_bulk(plans, actor=actor, assign=False, requirement="", staged=staged_status(record.pk))
Job.objects.create(kind=IMPORT, payload={"import_id": record.pk, "actor_id": actor.pk},
    status="running", owner=actor)
"""

LOOK = """
from qingfeng.core.models import Job
from qingfeng.ledger.models import STAGED, LedgerImport, Problem
print(Problem.with_staged.filter(status__startswith=STAGED).count(),
    LedgerImport.objects.get().status, Job.objects.get(kind="ledger.import").status)
"""


def test_a_restore_of_a_backup_taken_mid_import_leaves_no_staged_rows(
    populated: tuple[Path, dict[str, str], Path], vendor: str
) -> None:
    # Last in the module: it changes the source the tests above compare with.
    tmp, source, _made = populated
    run_python(["manage.py", "shell", "-c", MID_IMPORT], source)
    assert run_python(["manage.py", "shell", "-c", LOOK], source).splitlines()[-1].split() == [
        "3",
        "received",
        "running",
    ]
    run_python(["manage.py", "backup", "--to", str(tmp / "mid-import")], source)
    [made] = list((tmp / "mid-import").glob("qingfeng-backup-*.tar"))
    target = instance(tmp, "midimport", vendor, keys_from=source)
    output = run_python(["manage.py", "restore", str(made)], target)
    assert "备份时正在进行的后台处理 1 项已结束" in output, output
    # The import ended with its job (its own clean-up took the rows), nothing staged is left.
    assert run_python(["manage.py", "shell", "-c", LOOK], target).splitlines()[-1].split() == [
        "0",
        "failed",
        "failed",
    ]
    assert "OK" in run_python(["manage.py", "verify_audit"], target)

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, cast

from django.conf import settings
from django.db import connection
from django.test import SimpleTestCase, TestCase

REPO = Path(settings.REPO_DIR)


def settings_in_subprocess(env: dict[str, str], expression: str) -> object:
    """Evaluate an expression over qingfeng.settings under another environment."""
    code = f"import json, qingfeng.settings as s; print(json.dumps({expression}, default=str))"
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("QF_", "DATABASE_URL", "REDIS_URL", "SECRET_KEY"))
    }
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        env={**base, "PYTHONPATH": str(REPO / "src"), "QF_ENV_FILE": "/dev/null", **env},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        return {"error": result.stderr.strip().splitlines()[-1]}
    return json.loads(result.stdout)


class SqlitePragmasTestCase(TestCase):
    def test_sqlite_runs_wal_full_sync_foreign_keys_and_a_busy_timeout(self) -> None:
        if connection.vendor != "sqlite":
            self.skipTest("SQLite only")
        with connection.cursor() as cursor:
            values = {}
            for pragma in ("synchronous", "foreign_keys", "busy_timeout"):
                cursor.execute(f"PRAGMA {pragma}")
                values[pragma] = cursor.fetchone()[0]
        self.assertEqual(values["synchronous"], 2)  # FULL
        self.assertEqual(values["foreign_keys"], 1)
        self.assertGreaterEqual(values["busy_timeout"], 5000)
        self.assertEqual(settings.DATABASES["default"]["OPTIONS"]["transaction_mode"], "IMMEDIATE")
        self.assertIn("journal_mode=WAL", settings.DATABASES["default"]["OPTIONS"]["init_command"])


class EnvironmentSettingsTestCase(SimpleTestCase):
    def test_production_refuses_to_start_without_secrets(self) -> None:
        result = settings_in_subprocess({"QF_DEBUG": "0"}, "s.SECRET_KEY")
        self.assertIn("SECRET_KEY must be set", str(result))

    def test_uploads_go_to_a_bucket_when_one_is_named_and_to_the_disk_otherwise(self) -> None:
        expression = (
            "[s.STORAGES['default']['BACKEND'], {k: v for k, v in "
            "s.STORAGES['default']['OPTIONS'].items() if k != 'client_config'}]"
        )
        found: Any = settings_in_subprocess({"QF_TESTING": "1"}, expression)
        self.assertEqual(found[0], "django.core.files.storage.FileSystemStorage")
        env = {
            "QF_TESTING": "1",
            "QF_MEDIA_S3_BUCKET": "qingfeng-media",
            "QF_MEDIA_S3_ENDPOINT_URL": "http://minio.intranet:9000",
            "QF_MEDIA_S3_PREFIX": "/city/",
            "QF_MEDIA_S3_ACCESS_KEY": "qingfeng",
            "QF_MEDIA_S3_SECRET_KEY": "minio-secret",
        }
        backend, options = cast(list[Any], settings_in_subprocess(env, expression))
        self.assertEqual(backend, "storages.backends.s3.S3Storage")
        self.assertEqual(
            {k: options[k] for k in ("bucket_name", "endpoint_url", "location", "file_overwrite")},
            {
                "bucket_name": "qingfeng-media",
                "endpoint_url": "http://minio.intranet:9000",
                "location": "city",
                "file_overwrite": False,
            },
        )
        self.assertEqual((options["access_key"], options["default_acl"]), ("qingfeng", None))

    def test_a_bad_boolean_is_a_clear_error(self) -> None:
        result = settings_in_subprocess({"QF_TESTING": "1", "QF_HTTPS": "maybe"}, "s.HTTPS")
        self.assertIn("QF_HTTPS must be a boolean", str(result))

    def test_a_short_field_key_is_refused(self) -> None:
        env = {"SECRET_KEY": "x" * 60, "QF_FIELD_KEY": "c2hvcnQ=", "QF_INDEX_KEY": "c2hvcnQ="}
        self.assertIn("must decode to 32 bytes", str(settings_in_subprocess(env, "s.QF_FIELD_KEY")))

    def test_a_replica_url_adds_the_replica_database(self) -> None:
        env = {
            "QF_TESTING": "1",
            "DATABASE_URL": "postgres://app@db.example/qingfeng",
            "DATABASE_REPLICA_URL": "postgres://ro@replica.example/qingfeng",
        }
        expression = (
            "[s.DATABASES['replica']['HOST'], s.DATABASES['replica']['TEST'], s.DATABASE_ROUTERS]"
        )
        self.assertEqual(
            settings_in_subprocess(env, expression),
            ["replica.example", {"MIRROR": "default"}, ["qingfeng.core.replica.ReplicaRouter"]],
        )
        self.assertEqual(
            settings_in_subprocess({"QF_TESTING": "1"}, "list(s.DATABASES)"), ["default"]
        )

    def test_a_pooled_replica_uses_the_same_backend_and_pool(self) -> None:
        """Both pools' waiting requests count for the load shedding (core/postgresql)."""
        env = {
            "QF_TESTING": "1",
            "QF_PG_POOL": "3",
            "DATABASE_URL": "postgres://app@db.example/qingfeng",
            "DATABASE_REPLICA_URL": "postgres://ro@replica.example/qingfeng",
        }
        expression = (
            "[(d['ENGINE'], d['OPTIONS']['pool']['max_size']) for d in s.DATABASES.values()]"
        )
        self.assertEqual(
            settings_in_subprocess(env, expression),
            [["qingfeng.core.postgresql", 3], ["qingfeng.core.postgresql", 3]],
        )

    def test_the_console_log_format_is_plain_or_json(self) -> None:
        expression = "s.LOGGING['handlers']['console']['formatter']"
        self.assertEqual(settings_in_subprocess({"QF_TESTING": "1"}, expression), "plain")
        json_env = {"QF_TESTING": "1", "QF_LOG_FORMAT": "json"}
        self.assertEqual(settings_in_subprocess(json_env, expression), "json")
        bad = settings_in_subprocess({"QF_TESTING": "1", "QF_LOG_FORMAT": "xml"}, expression)
        self.assertIn("QF_LOG_FORMAT must be plain or json", str(bad))

    def test_production_refuses_to_start_without_the_audit_key(self) -> None:
        key = "YXVkaXQta2V5LW9mLXRoZS1zZXR0aW5ncy10ZXN0ISE="  # 32 bytes
        env = {"SECRET_KEY": "x" * 60, "QF_FIELD_KEY": key, "QF_INDEX_KEY": key}
        result = settings_in_subprocess(env, "s.QF_AUDIT_KEY")
        self.assertIn("QF_AUDIT_KEY must be set", str(result))
        with tempfile.TemporaryDirectory() as data_dir:
            anchors = settings_in_subprocess(
                {**env, "QF_AUDIT_KEY": key, "QF_DATA_DIR": data_dir}, "s.QF_AUDIT_ANCHOR_FILE"
            )
        self.assertEqual(anchors, f"{data_dir}/audit-anchors.log")

    def test_database_url_switches_to_postgresql(self) -> None:
        engine = settings_in_subprocess(
            {"QF_TESTING": "1", "DATABASE_URL": "postgres://u@db.example:5432/qf"},
            "s.DATABASES['default']['ENGINE']",
        )
        self.assertEqual(engine, "qingfeng.core.postgresql")  # Django's, its pool's queue seen

    def test_the_task_worker_keeps_each_postgresql_statement_to_one_process(self) -> None:
        """`serve` marks its task worker (QF_TASK_WORKER); the worker's connections, primary
        and replica, then run no parallel workers, and nobody else's change."""
        env = {
            "QF_TESTING": "1",
            "DATABASE_URL": "postgres://app@db.example/qingfeng",
            "DATABASE_REPLICA_URL": "postgres://ro@replica.example/qingfeng",
        }
        expression = "[d.get('OPTIONS', {}).get('options', '') for d in s.DATABASES.values()]"
        serial = "-c max_parallel_workers_per_gather=0"
        self.assertEqual(
            settings_in_subprocess({**env, "QF_TASK_WORKER": "1"}, expression),
            [f"-c qingfeng.audit_truncate=allow {serial}", serial],
        )
        self.assertEqual(
            settings_in_subprocess(env, expression), ["-c qingfeng.audit_truncate=allow", ""]
        )
        from qingfeng.core.management.commands.serve import Command

        options = {"host": "127.0.0.1", "port": 8000, "web_workers": 2}
        options.update(worker_connections=100, keepalive=5)
        marked = {c.name: c.env.get("QF_TASK_WORKER") for c in Command().children(options)}
        self.assertEqual(marked, {"web": None, "worker": "1"})

    def test_redis_url_switches_the_task_queue_to_redis(self) -> None:
        huey = settings_in_subprocess(
            {"QF_TESTING": "1", "REDIS_URL": "redis://127.0.0.1:6379/3"}, "s.HUEY"
        )
        assert isinstance(huey, dict)
        self.assertEqual(huey["huey_class"], "huey.PriorityRedisHuey")
        default = settings_in_subprocess({"QF_TESTING": "1"}, "s.HUEY")
        assert isinstance(default, dict)
        self.assertEqual(default["huey_class"], "qingfeng.core.doorbell.DoorbellHuey")

    def test_secrets_can_come_from_files(self) -> None:
        secret = REPO / "var" / "test-secret-key"
        secret.write_text("k" * 64, encoding="utf-8")
        try:
            value = settings_in_subprocess(
                {"QF_TESTING": "1", "SECRET_KEY_FILE": str(secret)}, "s.SECRET_KEY"
            )
        finally:
            secret.unlink()
        self.assertEqual(value, "k" * 64)


class TrustedProxySettingsTestCase(SimpleTestCase):
    HOPS = "[s.QF_TRUSTED_PROXY_HOPS, getattr(s, 'SECURE_PROXY_SSL_HEADER', None)]"

    def hops(self, **env: str) -> object:
        return settings_in_subprocess({"QF_TESTING": "1", **env}, self.HOPS)

    def test_without_a_proxy_the_address_is_the_connection_s(self) -> None:
        self.assertEqual(self.hops(), [0, None])

    def test_the_older_names_mean_one_proxy(self) -> None:
        self.assertEqual(self.hops(QF_TRUST_X_FORWARDED_FOR="1"), [1, None])
        proto = ["HTTP_X_FORWARDED_PROTO", "https"]
        self.assertEqual(self.hops(QF_BEHIND_PROXY="1"), [1, proto])
        self.assertEqual(self.hops(QF_BEHIND_PROXY="1", QF_TRUSTED_PROXY_HOPS="2"), [2, proto])

    def test_a_negative_count_is_a_clear_error(self) -> None:
        self.assertIn(
            "QF_TRUSTED_PROXY_HOPS must be 0 or more", str(self.hops(QF_TRUSTED_PROXY_HOPS="-1"))
        )

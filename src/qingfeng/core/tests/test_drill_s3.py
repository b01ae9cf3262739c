"""The restore drill of an instance whose files are in an S3-compatible bucket: the backup
carries the bucket's objects, and `scripts/drill.py --backup` restores them into a scratch
bucket (never the instance's own) and checks each against the manifest. The buckets are on
moto's S3 server, spoken to over HTTP as MinIO would be. `make drill DRILL_MEDIA=s3` (CI)
drills a generated instance kept in a bucket the same way, from backup to crash to restore."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto.moto_server.threaded_moto_server import ThreadedMotoServer

from qingfeng.core.tests.liveserver import ROOT, migrated, run_python

KEYS = {"access_key": "qingfeng-test", "secret_key": "qingfeng-test-secret"}

# A stored file, an audit event, as an instance's users would leave them.
STORE = """
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from qingfeng.core.audit import record_audit
from qingfeng.core import media
default_storage.save("ledger/evidence/2026/12/photo.png", ContentFile(b"evidence" * 100))
default_storage.save("intake/attachments/2026/12/letter.pdf", ContentFile(b"%PDF-1.4 letter"))
record_audit(actor=None, action="core.test.files")
print(media.where())
"""


@pytest.fixture
def bucket_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def client(endpoint: str) -> object:
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=KEYS["access_key"],
        aws_secret_access_key=KEYS["secret_key"],
    )


def test_the_drill_of_a_backup_restores_the_bucket_into_a_scratch_bucket(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, bucket_endpoint: str
) -> None:
    s3: object = client(bucket_endpoint)
    s3.create_bucket(Bucket="qingfeng-media")  # type: ignore[attr-defined]
    env = migrated(tmp_path_factory).copy_to(tmp_path / "instance")
    env.update(
        QF_MEDIA_S3_BUCKET="qingfeng-media",
        QF_MEDIA_S3_ENDPOINT_URL=bucket_endpoint,
        QF_MEDIA_S3_ACCESS_KEY=KEYS["access_key"],
        QF_MEDIA_S3_SECRET_KEY=KEYS["secret_key"],
        QF_MEDIA_S3_REGION="us-east-1",
    )
    where = run_python(["manage.py", "shell", "-c", STORE], env).strip().splitlines()[-1]
    assert where == "s3://qingfeng-media"
    run_python(["manage.py", "backup", "--to", str(tmp_path / "backups")], env)
    [made] = list((tmp_path / "backups").glob("qingfeng-backup-*.tar"))
    before = s3.list_objects_v2(Bucket="qingfeng-media")["Contents"]  # type: ignore[attr-defined]

    records = tmp_path / "records"
    output = run_python(
        [str(ROOT / "scripts" / "drill.py"), "--backup", str(made), "--records", str(records)],
        env,
    )
    assert "通过 PASSED" in output, output
    [record] = list(records.glob("drill-*.json"))
    result = json.loads(record.read_text(encoding="utf-8"))
    assert result["media"] == "s3 (scratch bucket qingfeng-drill-scratch)"
    assert (result["files_restored"], result["files_equal"]) == (2, True)
    assert result["serving"]["healthz"] == 200
    # The instance's own bucket was read, never written.
    after = s3.list_objects_v2(Bucket="qingfeng-media")["Contents"]  # type: ignore[attr-defined]
    assert [(o["Key"], o["ETag"]) for o in after] == [(o["Key"], o["ETag"]) for o in before]
    # A scratch bucket that is the instance's own is refused before anything is restored.
    drill = [str(ROOT / "scripts" / "drill.py"), "--backup", str(made)]
    with pytest.raises(RuntimeError, match="must not be the instance's own bucket"):
        run_python([*drill, "--scratch-bucket", "qingfeng-media", "--records", str(records)], env)

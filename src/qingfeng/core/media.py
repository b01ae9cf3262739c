"""Where uploaded files live: Django's default storage, and nothing else.

Every stored file (evidence, attachments, import workbooks and their error reports, bulletins,
export results) is a FileField of the default storage: a directory (QF_MEDIA_ROOT, one host)
or an S3-compatible bucket (QF_MEDIA_S3_BUCKET: several app hosts and workers see the same
files). Code that needs to go over the stored files — the orphan sweep, the backup and the
restore — goes through this module, so it holds for either:

- `walk(folder)` — the names of every file under a folder of the storage;
- `local_root()` — the directory of a filesystem storage (None for a bucket);
- `where()` — the storage in words, for the operator (a path, or s3://bucket/prefix).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.core.files.storage import FileSystemStorage, Storage, default_storage


def walk(folder: str = "", storage: Storage | None = None) -> Iterator[str]:
    """The name of every file under `folder` ('' for all), as the storage names them."""
    storage = storage or default_storage
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:  # a directory not made yet (a bucket has no directories)
        return
    for name in files:
        yield f"{folder}/{name}" if folder else name
    for sub in folders:
        yield from walk(f"{folder}/{sub}" if folder else sub, storage)


def local_root(storage: Storage | None = None) -> Path | None:
    """The directory of a filesystem storage; None when the files are in a bucket."""
    storage = storage or default_storage
    if isinstance(storage, FileSystemStorage):
        return Path(storage.location)
    return None


def where(storage: Storage | None = None) -> str:
    """Where the files are, for a report: the directory, or s3://bucket/prefix."""
    storage = storage or default_storage
    root = local_root(storage)
    if root is not None:
        return str(root)
    s3: Any = storage
    bucket = getattr(s3, "bucket_name", "")
    prefix = getattr(s3, "location", "")
    return f"s3://{bucket}/{prefix}".rstrip("/") if bucket else type(storage).__name__

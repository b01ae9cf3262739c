"""Attachments: one way to take, keep and serve the files people upload (a reporter's photo, a
unit's rectification evidence, a rater's recording).

- `AttachmentRules` — what one kind of attachment accepts: types told by their content (the
  name's extension must agree with the first bytes), a size limit, and whether metadata is
  scrubbed (`lib.scrub`) before the file is kept. `check` before writing anything, `attach`
  inside the action's transaction.
- `Attachment` — the abstract model with the columns every stored upload has; the concrete
  model adds its `file` field (with its own folder) and what the file belongs to.
- `storage_name` — the generated name a file is stored under: a name a person chose is shown,
  never used as a path.
- `download` — the response that serves a stored file, once the app's selector has found it
  within the user's scope.
- `body_too_large` — the declared size of a request, checked before its body is read.
- `MultipleFileField` — a form field for several files under one name.
- `unreferenced_files_removed` — the scope (each request, each job) at whose end a file
  written by `attach`, or named by any row saved in it (`note_saved_files`: an import
  workbook, a job's export, a rendered PDF), whose row did not commit (the action failed, its
  transaction rolled back) is deleted again; `sweep_orphans` — the daily sweep for whatever such a scope did not
  see (a killed process, a file written outside one), after a grace period, over the folder
  of every file field of every installed model (`upload_folders`).
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django import forms
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.core.files.storage import Storage
from django.core.files.uploadedfile import UploadedFile
from django.db import models
from django.http import FileResponse, HttpRequest
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from qingfeng.core import media
from qingfeng.lib import filetypes, scrub
from qingfeng.lib.filetypes import FileType

if TYPE_CHECKING:
    from django.db.models.fields.files import FieldFile

log = logging.getLogger(__name__)

MB = 1024 * 1024
# The files written or named by a saved row in the current scope: (model, stored name).
_written: ContextVar[list[tuple[type[models.Model], str]] | None] = ContextVar(
    "qf_written_files", default=None
)
_FILE_FIELDS: dict[type[models.Model], list[models.FileField]] = {}


class Attachment(models.Model):
    """What every stored upload records besides its file: the name it came with (shown, never
    a path), its checked type, and the size and SHA-256 of the bytes as kept."""

    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)

    # Declared by each concrete model, whose folder differs.
    file: FieldFile

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.original_name


def file_digest(file: File[Any]) -> str:
    """The SHA-256 of a file's bytes, read in chunks, the file left at its start."""
    digest = hashlib.sha256()
    file.seek(0)
    for chunk in file.chunks():
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()


def storage_name(extension: str) -> str:
    """A fresh name to store a file under, keeping only its extension (with the dot, or '')."""
    return f"{uuid.uuid4().hex}{extension}"


@dataclass(frozen=True)
class AttachmentRules:
    """What one kind of attachment accepts. `unsupported` is the refusal of any other type, in
    the words of the form that lists the accepted ones; `too_large` and `mismatch` replace the
    general refusals where a form words them its own way. Each may use `%(name)s` (the file's
    name) and `%(mb)d` (the limit)."""

    types: tuple[FileType, ...]
    max_bytes: int
    unsupported: str | Promise
    scrub: bool = True
    too_large: str | Promise | None = None
    mismatch: str | Promise | None = None

    def check(self, upload: UploadedFile) -> str:
        """The content type of an upload, or a ValidationError: its name must claim an accepted
        type, it must be within the size limit, and its first bytes must agree with its name."""
        facts = {"name": upload.name, "mb": self.max_bytes // MB}
        kind = filetypes.by_extension(self.types, upload.name or "")
        if kind is None:
            raise ValidationError(str(self.unsupported) % facts)
        if upload.size is None or upload.size > self.max_bytes:
            raise ValidationError(str(self.too_large or _("文件 %(name)s 超过 %(mb)d MB")) % facts)
        head = upload.read(filetypes.HEAD)
        upload.seek(0)
        if not kind.matches(head):
            message = self.mismatch or _("文件 %(name)s 的内容与扩展名不符")
            raise ValidationError(str(message) % facts)
        return kind.content_type

    def attach(self, attachment: Attachment, upload: UploadedFile, *, content_type: str) -> None:
        """Fill in an attachment from an upload that passed `check`: its file under a generated
        name (scrubbed first when the rules say so), the name it came with, its type, size and
        digest. The caller saves the row, inside its action's transaction."""
        stored: File[Any] = upload
        if self.scrub and content_type in scrub.CLEANED:
            upload.seek(0)
            stored = ContentFile(scrub.scrub(content_type, upload.read()))
        attachment.original_name = (upload.name or "")[:200]
        attachment.content_type = content_type
        attachment.size = stored.size or 0
        attachment.sha256 = file_digest(stored)
        name = storage_name(filetypes.extension(upload.name or ""))
        attachment.file.save(name, stored, save=False)
        written = _written.get()
        if written is not None and attachment.file.name:
            written.append((type(attachment), attachment.file.name))


def download(attachment: Attachment) -> FileResponse:
    """The stored file as a download under the name it came with. Serve only what the app's
    selector found within the user's scope; `nosniff` keeps the browser to the checked type."""
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


def body_too_large(request: HttpRequest, *, max_bytes: int) -> bool:
    """Whether the request says its body is over `max_bytes` (or says nothing readable): asked
    before anything reads the body, so an oversize upload is refused without being received."""
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) > max_bytes
    except ValueError:
        return True


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files under one field name; cleans to a list (empty when none were sent)."""

    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        items = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(MultipleFileField, self).clean(item, initial) for item in items]


# --- Files without a row --------------------------------------------------------------------


def _file_fields(model: type[models.Model]) -> list[models.FileField]:
    if model not in _FILE_FIELDS:
        _FILE_FIELDS[model] = [
            field for field in model._meta.get_fields() if isinstance(field, models.FileField)
        ]
    return _FILE_FIELDS[model]


def note_saved_files(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    """post_save, for every model: inside a scope, the files the saved row names, so that
    the scope deletes them again should the row not commit (a file written with
    `FieldFile.save` before `save()`, as an import's workbook is, and not through `attach`)."""
    written = _written.get()
    if written is None or kwargs.get("raw"):
        return
    changed = kwargs.get("update_fields")
    deferred = instance.get_deferred_fields()  # never read one: that would be a query
    for field in _file_fields(sender):
        if field.attname in deferred or (changed is not None and field.name not in changed):
            continue
        name = getattr(instance, field.attname).name
        if name:
            written.append((sender, str(name)))


def _referenced(model: type[models.Model], names: list[str]) -> set[str]:
    """Those of `names` a row of the model refers to, in any of its file fields: a file of
    the folder may belong to another field than `file` (a bulletin version keeps its PDF
    beside its .docx), and a sweep that asked `file` alone would delete it. Every row counts,
    whatever the model's default manager leaves out."""
    kept: set[str] = set()
    for field in _file_fields(model):
        lookup: dict[str, Any] = {f"{field.name}__in": names}
        kept.update(model._base_manager.filter(**lookup).values_list(field.name, flat=True))
    return kept


@contextmanager
def unreferenced_files_removed() -> Iterator[None]:
    """Around a unit of work that may store uploads (a request, a job): when it ends, every
    file `attach` wrote, or a row saved in it named, that no row in the database names — the
    action failed and its transaction rolled back — is deleted, so a failure leaves nothing
    on disk. Asked after the work, so it holds however far out the rollback happened."""
    written: list[tuple[type[models.Model], str]] = []
    token = _written.set(written)
    try:
        yield
    finally:
        _written.reset(token)
        if written:
            _remove_unreferenced(written)


def _referenced_anywhere(names: list[str]) -> set[str]:
    kept: set[str] = set()
    for model in apps.get_models():
        if _file_fields(model):
            kept |= _referenced(model, names)
    return kept


def _remove_unreferenced(written: list[tuple[type[models.Model], str]]) -> None:
    try:
        by_model: dict[type[models.Model], set[str]] = {}
        for model, name in written:
            by_model.setdefault(model, set()).add(name)
        for model, names in by_model.items():
            gone = names - _referenced(model, sorted(names))
            if gone:  # the failure case only: no other model's row may name it either
                gone -= _referenced_anywhere(sorted(gone))
            storage = _file_fields(model)[0].storage
            for name in sorted(gone):
                storage.delete(name)
                log.info("removed %s: its action did not commit", name)
    except Exception:  # the work itself is over; the daily sweep will find the file
        log.exception("files of a failed action not removed")


def _fixed_part(path: str) -> str:
    """The leading folders of a stored name that are the same for every file: up to the first
    one that holds a date, an id or a strftime pattern ('ledger/evidence' of
    'ledger/evidence/%Y/%m/', 'roster' of 'roster/2026/11/…')."""
    fixed = []
    for part in path.split("/"):
        if not part or "%" in part or any(ch.isdigit() for ch in part):
            break
        fixed.append(part)
    return "/".join(fixed)


def _field_folder(model: type[models.Model], field: models.FileField) -> str:
    """The folder a file field stores under. A callable `upload_to` (an import's workbook,
    named when it is stored) is asked for the name of an unsaved row's file."""
    upload_to = field.upload_to
    if not callable(upload_to):
        return _fixed_part(str(upload_to))
    try:
        sample = str(upload_to(model(), "sample.xlsx"))
    except Exception:  # an upload_to that needs a saved row's fields: its folder is unknown
        log.warning("the folder of %s.%s is unknown", model._meta.label, field.name)
        return ""
    return _fixed_part(sample.rpartition("/")[0])


def upload_folders() -> dict[str, Storage]:
    """Every folder that any installed model's file fields store under, with its storage: the
    folders the sweep walks. Found through the app registry, so a new app's files are swept
    without a change here; a folder inside another is walked with it."""
    found: dict[str, Storage] = {}
    for model in apps.get_models():
        for field in _file_fields(model):
            folder = _field_folder(model, field)
            if folder:  # never the whole storage: it holds more than uploads (a restore's)
                found.setdefault(folder, field.storage)
    return {
        folder: storage
        for folder, storage in sorted(found.items())
        if not any(folder.startswith(f"{other}/") for other in found)
    }


def sweep_orphans(*, grace: timedelta | None = None) -> list[str]:
    """Delete the stored files of every upload folder (`upload_folders`) that no row of any
    model refers to and that are older than the grace period (`QF_ORPHAN_GRACE_HOURS`: a file
    whose row is still being written is left alone), and record the sweep in the audit trail.
    Returns the names removed."""
    from qingfeng.core.audit import record_audit  # not at the top: models import this module

    grace = grace if grace is not None else timedelta(hours=settings.QF_ORPHAN_GRACE_HOURS)
    cutoff = timezone.now() - grace
    removed: list[str] = []
    for folder, storage in upload_folders().items():
        candidates = [
            name for name in media.walk(folder, storage) if storage.get_modified_time(name) < cutoff
        ]
        for start in range(0, len(candidates), 500):
            batch = candidates[start : start + 500]
            # Any model's row: one folder may hold the files of several fields and models.
            kept = _referenced_anywhere(batch)
            for name in batch:
                if name not in kept:
                    storage.delete(name)
                    removed.append(name)
    if removed:
        log.warning("removed %d uploaded files no row refers to", len(removed))
        record_audit(
            actor=None,
            action="core.attachments.sweep",
            object_repr=f"{len(removed)} files",
            after={"removed": removed[:1000], "count": len(removed)},
        )
    return removed

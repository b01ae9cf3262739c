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
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.core.files.uploadedfile import UploadedFile
from django.db import models
from django.http import FileResponse, HttpRequest
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from qingfeng.lib import filetypes, scrub
from qingfeng.lib.filetypes import FileType

if TYPE_CHECKING:
    from django.db.models.fields.files import FieldFile

MB = 1024 * 1024


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

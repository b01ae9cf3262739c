"""Request bodies that an operation parses itself: JSON, or a multipart form that also carries
`files` (django-ninja validates one content type per operation, and a report with evidence or
attachments needs both). Errors are answered as for any other operation's body."""

from __future__ import annotations

from typing import Any, get_origin

import pydantic
from django.core.files.uploadedfile import UploadedFile
from django.db.models import TextChoices
from django.http import HttpRequest
from ninja import Schema
from ninja.errors import HttpError
from ninja.errors import ValidationError as SchemaError
from pydantic import WithJsonSchema

from qingfeng.lib.inputs import InputRefused, load_json

FORM_TYPES = {"multipart/form-data", "application/x-www-form-urlencoded"}


def named(choices: type[TextChoices], title: str) -> WithJsonSchema:
    """A model's choices, documented inline under a name of their own: the document merges
    schemas by name, and the models' nested classes are all Status, Kind, Source …"""
    return WithJsonSchema({"title": title, "type": "string", "enum": list(choices.values)})


class ErrorOut(Schema):
    """A refusal in one sentence: every area's 400, 401, 403, 404, 409 …"""

    detail: str


class FieldErrorOut(Schema):
    field: str
    message: str
    type: str


class InvalidOut(Schema):
    """Input refused field by field: the 422 of every operation (api/urls.py)."""

    detail: str
    errors: list[FieldErrorOut]


def schema_error(exc: pydantic.ValidationError) -> SchemaError:
    """A 422 shaped like the ones django-ninja gives for the other endpoints."""
    errors = []
    for error in exc.errors(include_url=False):
        item: dict[str, Any] = {k: v for k, v in error.items() if k != "input"}
        item["loc"] = ("body", *error["loc"])
        if isinstance(item.get("ctx", {}).get("error"), Exception):
            item["ctx"] = {**item["ctx"], "error": str(item["ctx"]["error"])}
        errors.append(item)
    return SchemaError(errors)


def read_payload(request: HttpRequest, schema: type[Schema]) -> tuple[Any, list[UploadedFile]]:
    """The body as `schema`, from JSON or from a form whose uploads are the `files` field."""
    files: list[UploadedFile] = []
    if request.content_type in FORM_TYPES:
        data: Any = request.POST.dict()
        # A list field is the field repeated (measures_done=3&measures_done=5).
        for name, field in schema.model_fields.items():
            if get_origin(field.annotation) is list:
                data[name] = request.POST.getlist(name)
        files = request.FILES.getlist("files")
    else:
        try:
            data = load_json(request.body or b"{}")
        except InputRefused as exc:
            raise HttpError(400, str(exc)) from None
    try:
        return schema.model_validate(data), files
    except pydantic.ValidationError as exc:
        raise schema_error(exc) from None

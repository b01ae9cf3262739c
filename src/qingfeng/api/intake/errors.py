"""What the intake endpoints answer when an action refuses (shared by both sides)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import ValidationError
from ninja.errors import HttpError

from qingfeng.intake import workflow


class FieldErrors(Exception):
    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(errors)
        self.errors = errors


@contextmanager
def action_errors() -> Iterator[None]:
    """An illegal move is 409; a refusal about fields is a 422 (raised as FieldErrors); any
    other refusal is 400."""
    try:
        yield
    except workflow.InvalidTransition as exc:
        raise HttpError(409, "；".join(exc.messages)) from exc
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            raise FieldErrors(exc.message_dict) from exc
        raise HttpError(400, "；".join(exc.messages)) from exc

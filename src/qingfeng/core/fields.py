"""Model fields for personal data: encrypted at rest, decrypted only in Python."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from qingfeng.lib import crypto


class EncryptedTextField(models.TextField):  # type: ignore[type-arg]  # stubs: str in and out
    """Stores AES-GCM ciphertext; the attribute holds the plain text.

    Not searchable by content: pair it with a blind-index column for exact lookups.
    """

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return crypto.decrypt(value, key=settings.QF_FIELD_KEY)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(str(value), key=settings.QF_FIELD_KEY)


def blind_index(value: str) -> str:
    return crypto.blind_index(value, key=settings.QF_INDEX_KEY) if value else ""


def keyed_hash(value: str) -> str:
    """A keyed hash of `value` exactly as given (crypto.keyed_hash under the index key)."""
    return crypto.keyed_hash(value, key=settings.QF_INDEX_KEY)

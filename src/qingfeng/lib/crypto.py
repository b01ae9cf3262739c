"""Encryption of personal fields at rest (AES-256-GCM) and a keyed blind index.

Ciphertexts are text: ``v1:<base64(nonce || ciphertext+tag)>`` so they fit a text column on
every database. The blind index is an HMAC-SHA256 of a normalised value under a separate
key: equal inputs give equal digests, so exact lookups work without decrypting anything.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "v1:"


class DecryptionError(ValueError):
    pass


def encrypt(plaintext: str, *, key: bytes, associated: bytes = b"") -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, plaintext.encode("utf-8"), associated)
    return PREFIX + base64.b64encode(nonce + sealed).decode("ascii")


def decrypt(token: str, *, key: bytes, associated: bytes = b"") -> str:
    if not token.startswith(PREFIX):
        raise DecryptionError("unknown ciphertext format")
    try:
        raw = base64.b64decode(token[len(PREFIX) :], validate=True)
        return AESGCM(key).decrypt(raw[:12], raw[12:], associated).decode("utf-8")
    except (ValueError, InvalidTag) as exc:
        raise DecryptionError("ciphertext cannot be decrypted with this key") from exc


def normalise(value: str) -> str:
    """Whitespace, dashes and case do not make two phone numbers or ID numbers different."""
    return "".join(ch for ch in value.strip().upper() if ch not in " -\u3000")


def blind_index(value: str, *, key: bytes) -> str:
    return keyed_hash(normalise(value), key=key)


def keyed_hash(value: str, *, key: bytes) -> str:
    """HMAC-SHA256 of `value` as it is, in hex: equal values match, the value is not kept."""
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()

"""Ticket numbers and receipt codes.

The receipt code is 20 random digits (shown once, grouped for reading aloud on the hotline:
"1234 5678 …"); only a keyed hash of it is stored, so a copy of the database cannot be used
to follow anyone's ticket. A wrong code and a missing ticket get the same answer.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.conf import settings
from django.db import connection
from django.db.models import Max
from django.utils import timezone

from qingfeng.intake.models import Ticket

CODE_DIGITS = 20
_PG_NUMBER_LOCK = 7_114_253


def new_receipt_code() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))


def normalise_code(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def receipt_hash(code: str) -> str:
    key = hmac.new(settings.QF_INDEX_KEY, b"qingfeng-receipt", hashlib.sha256).digest()
    return hmac.new(key, normalise_code(code).encode("ascii"), hashlib.sha256).hexdigest()


def grouped(code: str) -> str:
    return " ".join(code[i : i + 4] for i in range(0, len(code), 4))


def next_number() -> str:
    """ZT + date + a serial for the day: ZT20261123-00042. Serialised per database."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_NUMBER_LOCK])
    prefix = f"ZT{timezone.localdate():%Y%m%d}-"
    # A range, not LIKE 'prefix%': SQLite (and PostgreSQL outside the C collation) answer a
    # LIKE by reading every number ever given; the range reads the unique index's last entry.
    last = Ticket.objects.filter(number__gte=prefix, number__lt=prefix[:-1] + ".").aggregate(
        m=Max("number")
    )["m"]
    serial = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{serial:05d}"


def find_by_code(code: str) -> Ticket | None:
    """The ticket for a receipt code, or None — for a wrong code exactly as for no ticket."""
    digits = normalise_code(code)
    if len(digits) != CODE_DIGITS:
        return None
    return find_by_hash(receipt_hash(digits))


def find_by_hash(digest: str) -> Ticket | None:
    """The ticket whose receipt code has this hash (the follow-up page's signed token)."""
    return Ticket.objects.filter(receipt_hash=digest).first() if digest else None

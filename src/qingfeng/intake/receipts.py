"""Ticket numbers and receipt codes.

The receipt code is 20 random digits (shown once, grouped for reading aloud on the hotline:
"1234 5678 …"); only a keyed hash of it is stored, so a copy of the database cannot be used
to follow anyone's ticket. A wrong code and a missing ticket get the same answer.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from qingfeng.core import locks
from qingfeng.intake.models import Ticket

CODE_DIGITS = 20


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
    locks.hold_for_transaction("intake.ticket.number")
    prefix = f"ZT{timezone.localdate():%Y%m%d}-"
    # A range, not LIKE 'prefix%': SQLite (and PostgreSQL outside the C collation) answer a
    # LIKE by reading every number ever given; the range reads the unique index's last entry.
    last = Ticket.objects.filter(number__gte=prefix, number__lt=prefix[:-1] + ".").aggregate(
        m=Max("number")
    )["m"]
    # The day's serial is the digits after the prefix (a number with a suffix of its own,
    # such as a copy's "-3", still reads as its serial).
    digits = re.match(r"\d+", last[len(prefix) :]) if last else None
    serial = int(digits.group()) + 1 if digits else 1
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

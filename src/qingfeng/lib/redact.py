"""Automatic redaction of personal data in text meant for the public: mobile and landline
numbers, ID card numbers, and any names the caller knows occur in it (张三 → 张*)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from qingfeng.lib.masking import mask_id_number, mask_name, mask_phone

_ID_NUMBER = re.compile(
    r"(?<![0-9A-Za-z])[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9A-Za-z])"
)
_MOBILE = re.compile(r"(?<!\d)1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)0\d{2,3}[\s-]?\d{7,8}(?!\d)")


def redact(text: str, *, names: Iterable[str] = ()) -> str:
    text = _ID_NUMBER.sub(lambda m: mask_id_number(m.group()), text)
    text = _MOBILE.sub(lambda m: mask_phone(re.sub(r"[\s-]", "", m.group())), text)
    text = _LANDLINE.sub(lambda m: mask_phone(re.sub(r"[\s-]", "", m.group())), text)
    for name in sorted(
        {n.strip() for n in names if n and len(n.strip()) >= 2}, key=len, reverse=True
    ):
        text = text.replace(name, mask_name(name))
    return text

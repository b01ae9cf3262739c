"""Masking of personal data for display: 138****1234, 张*, 110***********1234."""

from __future__ import annotations


def mask_phone(phone: str) -> str:
    digits = phone.strip()
    if len(digits) >= 11:
        return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
    if len(digits) >= 7:
        return digits[:2] + "*" * (len(digits) - 4) + digits[-2:]
    if not digits:
        return ""
    return "*" * len(digits)


def mask_name(name: str) -> str:
    name = name.strip()
    if not name:
        return ""
    if len(name) <= 2:
        return name[0] + "*"
    # 欧阳娜娜 -> 欧**娜: keep the first and the last character, as offices do for long names.
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_id_number(number: str) -> str:
    number = number.strip()
    if len(number) <= 4:
        return "*" * len(number)
    if len(number) < 10:
        return "*" * (len(number) - 4) + number[-4:]
    return number[:3] + "*" * (len(number) - 7) + number[-4:]

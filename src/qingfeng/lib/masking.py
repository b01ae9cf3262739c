"""Masking of personal data for display: 138****1234, 张*, 110***********1234.

Every function only replaces characters with ``*``: what it shows is where it was, and the
result is as long as the (stripped) input, so a masked value can be masked again unchanged.
"""

from __future__ import annotations


def mask_phone(phone: str) -> str:
    digits = phone.strip()
    if len(digits) >= 11:
        return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
    if len(digits) >= 7:
        return digits[:2] + "*" * (len(digits) - 4) + digits[-2:]
    return "*" * len(digits)


def mask_name(name: str) -> str:
    """张三 -> 张*, 欧阳娜娜 -> 欧**娜. Spaces are kept and do not count as characters, so a
    roster's padded "张　三" becomes "张　*" and never shows the given name."""
    name = name.strip()
    letters = [i for i, ch in enumerate(name) if not ch.isspace()]
    if len(letters) <= 1:
        return "*" * len(letters)  # a one-character name would otherwise be shown whole
    # Long names keep the first and the last character, as offices do.
    shown = {letters[0]} if len(letters) == 2 else {letters[0], letters[-1]}
    return "".join(ch if i in shown or ch.isspace() else "*" for i, ch in enumerate(name))


def mask_id_number(number: str) -> str:
    number = number.strip()
    if len(number) >= 10:
        return number[:3] + "*" * (len(number) - 7) + number[-4:]
    # Short numbers (passes, passports) show at most the last four and never more than half.
    shown = min(4, len(number) // 2)
    return "*" * (len(number) - shown) + number[len(number) - shown :]

"""Demo learning records (filled in below)."""

from __future__ import annotations


def demo_lines() -> list[str]:
    return []


def has_sessions() -> bool:
    from qingfeng.learning.models import Session

    return Session.objects.exists()

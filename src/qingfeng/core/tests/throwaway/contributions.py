from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from qingfeng.core.registry import SourceRecord

PINGS: list[dict[str, Any]] = []
# Problems whose reporters this source has not answered yet, by problem id.
UNANSWERED: set[int] = set()


def may_open(user: Any) -> bool:
    return "supervisor" in {r.role for r in user.roles.filter(revoked_at__isnull=True)}


def card(request: HttpRequest) -> dict[str, Any] | None:
    return {"greeting": "抽查卡片"} if may_open(request.user) else None


class FindingSource:
    key = "throwaway"
    label = "来源抽查"

    def reporters_answered(self, problem: Any) -> bool | None:
        return False if problem.pk in UNANSWERED else None

    def records(self, problem: Any, *, viewer: Any) -> list[SourceRecord]:
        if problem.pk not in UNANSWERED:
            return []
        return [SourceRecord(number=f"CC{problem.pk:04d}", state="待答复")]


def seed() -> list[str]:
    return ["已载入 1 条演示抽查记录"]


def ping(payload: dict[str, Any]) -> None:
    PINGS.append(payload)

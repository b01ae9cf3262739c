"""Retention rules: personal data that has served its purpose is removed by a daily job.

Apps contribute the rules (core knows no app): the roster and ledger workbooks, which hold
names and phone numbers in clear, are deleted QF_WORKBOOK_RETENTION_DAYS after upload (the
import row — who, when, counts — stays); a finished public ticket's reporter identity is
cleared QF_REPORTER_RETENTION_DAYS after its last change. 0 keeps them for ever.

Each rule is one transaction: its `purge(cutoff)` changes the rows and names the files to
delete, the audit row records the rule, the period and the ids, and the files are deleted
once it has committed — so a rolled-back purge deletes nothing, and a committed one leaves
neither the rows' data nor the files behind (GlobaLeaks' cleaning test is the model:
core/tests/test_retention.py). A rule never touches what is still being worked on: that is
the app's query (a ticket whose problem is still under rectification is kept).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from django.utils.functional import Promise

log = logging.getLogger(__name__)


@dataclass
class Purged:
    """What a rule changed: the rows (their ids) and the stored files to delete after commit."""

    ids: list[int] = field(default_factory=list)
    files: list[tuple[Any, str]] = field(default_factory=list)  # (storage, name)

    def add_file(self, file: FieldFile) -> None:
        if file and file.name:
            self.files.append((file.storage, file.name))


@dataclass(frozen=True)
class RetentionRule:
    """`setting` names the setting holding the days (0: kept for ever); `purge(cutoff)` clears
    what is older than the cutoff, inside the rule's transaction, and says what it did."""

    key: str
    label: str | Promise
    setting: str
    purge: Callable[[datetime], Purged]


@dataclass(frozen=True)
class RuleRun:
    rule: RetentionRule
    days: int
    rows: int
    files: int


def _delete_files(files: list[tuple[Any, str]]) -> None:
    for storage, name in files:
        try:
            storage.delete(name)
        except Exception:  # the orphan sweep (core/attachments.py) finds it tomorrow
            log.exception("retention: %s not deleted", name)


def run_rule(rule: RetentionRule, *, now: datetime | None = None) -> RuleRun:
    from qingfeng.core.audit import record_audit  # not at the top: models import audit

    days = int(getattr(settings, rule.setting))
    if days <= 0:
        return RuleRun(rule, days, 0, 0)
    cutoff = (now or timezone.now()) - timedelta(days=days)
    with transaction.atomic(durable=True):
        purged = rule.purge(cutoff)
        if purged.ids:
            record_audit(
                actor=None,
                action="core.retention.purge",
                object_repr=rule.key,
                after={
                    "rule": rule.key,
                    "days": days,
                    "before": cutoff.isoformat(timespec="seconds"),
                    "rows": len(purged.ids),
                    "ids": purged.ids,
                    "files": len(purged.files),
                },
            )
            files = list(purged.files)
            transaction.on_commit(lambda: _delete_files(files))
    if purged.ids:
        log.info(
            "retention %s: %d rows, %d files older than %d days",
            rule.key,
            len(purged.ids),
            len(purged.files),
            days,
        )
    return RuleRun(rule, days, len(purged.ids), len(purged.files))


def run_all(*, now: datetime | None = None) -> list[RuleRun]:
    """Every registered rule, each in its own transaction (the daily task, core/tasks.py)."""
    from qingfeng.core import registry

    return [run_rule(rule, now=now) for rule in registry.retention_rules()]

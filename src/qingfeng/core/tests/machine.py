"""A base for state-machine tests of a workflow on the database (hypothesis's
`RuleBasedStateMachine`), shared by the ledger's and the channel's.

Where each example's clean database comes from: `run_state_machine_as_test` runs all examples
inside one test method of a django `TestCase`, whose transaction holds the personas of
`setUpTestData`. hypothesis.extra.django.TestCase resets the database between examples only
for `@given` methods of the test case, and a machine's examples are not those; so the machine
opens an atomic block when hypothesis makes it and rolls it back in `teardown`, which
hypothesis calls after every example, passing or failing. The clock is frozen for the example
(time-machine) and moves only when a rule lets time pass.

`attempt` runs one move as a user would reach it and returns what it changed; a refused move
must change nothing at all in the watched tables (the row, its events, audit rows,
notifications, job rows).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, ClassVar
from unittest import TestCase

import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Model
from django.http import Http404
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, run_state_machine_as_test

from qingfeng.core.models import AuditEvent, Job, Notification, NotificationDelivery

# What a refused move raises: a rule of the action (ValidationError; a workflow's
# InvalidTransition is one), the policy (PermissionDenied, the API's 403) or the scoped lookup
# (Http404, the same for an object outside the scope as for a missing one).
REFUSALS = (ValidationError, PermissionDenied, Http404)

Rows = dict[str, dict[Any, dict[str, Any]]]
# Evidence and attachments of a run kept in memory (override_settings(STORAGES=…)).
FILES_IN_MEMORY = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


@dataclass(frozen=True)
class Step:
    """The watched tables before and after a move that was applied."""

    before: Rows
    after: Rows

    def added(self, model: type[Model]) -> list[dict[str, Any]]:
        """The rows the move added to the model's table, oldest first."""
        old = self.before[model._meta.label]
        return [row for pk, row in self.after[model._meta.label].items() if pk not in old]


def _differences(before: Rows, after: Rows) -> list[str]:
    lines = []
    for table, rows in after.items():
        old = before[table]
        for pk in sorted(set(rows) | set(old), key=str):
            if rows.get(pk) != old.get(pk):
                lines.append(f"{table} #{pk}: {old.get(pk)} → {rows.get(pk)}")
    return lines


class DatabaseMachine(RuleBasedStateMachine):
    """Subclasses name the workflow's tables and the moment each example starts."""

    watched: ClassVar[tuple[type[Model], ...]] = ()  # the workflow's own tables
    # What any action may write besides: its audit row, notifications, SMS/e-mail, job rows.
    effects: ClassVar[tuple[type[Model], ...]] = (
        AuditEvent,
        Notification,
        NotificationDelivery,
        Job,
    )
    start: ClassVar[str]  # "2026-12-14 09:00 +0800"

    def __init__(self, case: TestCase) -> None:
        super().__init__()
        self.case = case
        self.refusal: Exception | None = None  # why the last attempt was refused
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self._clock = time_machine.travel(self.start, tick=False)
        self._travel = self._clock.start()

    def teardown(self) -> None:
        self._clock.stop()
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    def pass_days(self, days: int) -> date:
        """Let time pass; returns the new local date."""
        self._travel.shift(timedelta(days=days))
        return timezone.localdate()

    def rows(self) -> Rows:
        """Every watched row as stored (raw SQL: a step takes a few milliseconds, not the
        ORM's tens; encrypted columns compare as their ciphertext, so a rewrite shows)."""
        tables: Rows = {}
        with connection.cursor() as cursor:
            for model in (*self.watched, *self.effects):
                meta, quote = model._meta, connection.ops.quote_name
                table, pk = quote(meta.db_table), quote(meta.pk.column)
                cursor.execute(f"SELECT * FROM {table} ORDER BY {pk}")  # noqa: S608 - model names
                names = [c[0] for c in cursor.description]
                found = (dict(zip(names, row, strict=True)) for row in cursor.fetchall())
                tables[meta.label] = {row[meta.pk.column]: row for row in found}
        return tables

    def attempt(self, what: str, move: Callable[[], object]) -> Step | None:
        """Run a move. A refused move must leave every watched table as it was: None then.
        An applied move gives the tables before and after, for the caller's checks."""
        before = self.rows()
        self.refusal = None
        try:
            move()
        except REFUSALS as exc:
            lines = _differences(before, self.rows())
            self.case.assertEqual(lines, [], f"the refused move {what} changed rows")
            self.refusal = exc
            return None
        return Step(before, self.rows())


def run_machine(factory: Callable[[], DatabaseMachine], *, examples: int, steps: int) -> None:
    """Run a machine made by `factory` (which hands it the test case and its personas) as a
    test: `examples` runs of up to `steps` steps, without hypothesis's deadline (a step is a
    few database transactions; the run's length is the budget)."""
    run_state_machine_as_test(
        factory,  # type: ignore[arg-type]  # "anything which returns an instance", its docs say
        settings=settings(
            max_examples=examples,
            stateful_step_count=steps,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )

"""A throwaway app's models, to test core's mechanisms on their own: a case with a status, a
due date and a light, and its event rows. They live in an isolated app registry (no
migration knows them); `ScratchTables` creates their tables for a test class and drops them
after it."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import connection, models
from django.test.utils import isolate_apps
from django.utils import timezone

with isolate_apps("qingfeng.core"):

    class Case(models.Model):
        status = models.CharField(max_length=20, default="new")
        due = models.DateField(null=True, blank=True)
        answer_due = models.DateField(null=True, blank=True)
        light = models.CharField(max_length=10, blank=True, default="")
        urgency = models.PositiveSmallIntegerField(default=3)
        due_key = models.DateField(default=date.max)
        note = models.CharField(max_length=50, blank=True)
        updated_at = models.DateTimeField(default=timezone.now)
        # Declared: the type checker knows only the project's registered models' managers.
        objects: models.Manager[Case] = models.Manager()

        class Meta:
            app_label = "core"
            db_table = "core_scratch_case"

        def __str__(self) -> str:
            return f"case {self.pk}"

    class CaseEvent(models.Model):
        case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
        action = models.CharField(max_length=30)
        from_status = models.CharField(max_length=20, blank=True)
        to_status = models.CharField(max_length=20, blank=True)
        actor = models.IntegerField(null=True)  # the system's moves only: no user table here
        reason = models.TextField(blank=True)
        public = models.BooleanField(default=True)
        objects: models.Manager[CaseEvent] = models.Manager()

        class Meta:
            app_label = "core"
            db_table = "core_scratch_case_event"
            ordering = ["id"]

        def __str__(self) -> str:
            return self.action


class ScratchTables:
    """Mixed into a TestCase before it: the tables exist while the class runs."""

    @classmethod
    def setUpClass(cls) -> None:
        # Outside the class's transaction: SQLite changes no schema inside one.
        with connection.schema_editor() as editor:
            editor.create_model(Case)
            editor.create_model(CaseEvent)
        super().setUpClass()  # type: ignore[misc]

    @classmethod
    def tearDownClass(cls) -> None:
        super().tearDownClass()  # type: ignore[misc]
        with connection.schema_editor() as editor:
            editor.delete_model(CaseEvent)
            editor.delete_model(Case)


def make_case(**fields: Any) -> Case:
    return Case.objects.create(**fields)

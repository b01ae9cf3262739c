"""The ledger's and intake's escalation records move into core's one table, and back.

Runs the real migrations on a database that has rows in the old tables: back to before the
move, rows written with the models of that state, then forward, then back again."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.apps.registry import Apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import TransactionTestCase
from django.utils import timezone

BEFORE = [
    ("core", "0006_add_notificationdelivery"),
    ("ledger", "0005_add_problem_disclosed_index"),
    ("intake", "0005_ticket_light_counts_index"),
]
AFTER = [
    ("core", "0007_add_escalation"),
    ("ledger", "0007_remove_escalation"),
    ("intake", "0007_remove_ticketescalation"),
]
SENT = timezone.make_aware(datetime(2026, 11, 18, 0, 30))


def migrate(targets: list[tuple[str, str]]) -> Apps:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


class EscalationMigrationTestCase(TransactionTestCase):
    # The seeded categories, even after an earlier transactional test flushed them.
    serialized_rollback = True

    def tearDown(self) -> None:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())  # as every other test expects
        super().tearDown()

    def seed(self, old: Apps) -> tuple[Any, Any]:
        units = old.get_model("orgs", "Unit")
        unit = units.objects.create(
            name="东城区实验小学", code="MIG001", kind="school", category="school", path="mig001/"
        )
        unit.path = f"{unit.pk:08d}/"  # as orgs.actions writes it: the unit's own id, padded
        units.objects.filter(pk=unit.pk).update(path=unit.path)
        problem = old.get_model("ledger", "Problem").objects.create(
            number="2026-01-GR-900001",
            serial=900001,
            list_kind="personal",
            source="self_check",
            category=old.get_model("ledger", "Category").objects.order_by("id").first(),
            dimension="integrity",
            title="违规推荐教辅材料",
            description="三年级推荐学生购买指定教辅。",
            unit=unit,
            rectification_type="time_limited",
        )
        ticket = old.get_model("intake", "Ticket").objects.create(
            number="20261118-9001",
            receipt_hash="m" * 64,
            kind="complaint",
            category=old.get_model("intake", "TicketCategory").objects.order_by("id").first(),
            unit=unit,
            title="老师要求购买指定教辅",
            content="三年级老师要求每人购买120元教辅。",
        )
        return problem, ticket

    def test_the_old_rows_move_into_core_and_back(self) -> None:
        old = migrate(BEFORE)
        problem, ticket = self.seed(old)
        for stage, recipients in (("remind", [7]), ("notice", [8, 9])):
            old.get_model("ledger", "Escalation").objects.create(
                problem=problem,
                stage=stage,
                deadline=date(2026, 11, 20),
                recipients=recipients,
                created_at=SENT,
            )
        old.get_model("intake", "TicketEscalation").objects.create(
            ticket=ticket, stage="escalate", due=date(2026, 11, 24), recipients=[3], created_at=SENT
        )

        new = migrate(AFTER)
        rows = new.get_model("core", "Escalation").objects.order_by("subject", "stage")
        self.assertEqual(
            [(e.subject, e.object_id, e.stage, e.due, e.recipients, e.created_at) for e in rows],
            [
                ("intake.ticket", ticket.pk, "escalate", date(2026, 11, 24), [3], SENT),
                ("ledger.problem", problem.pk, "notice", date(2026, 11, 20), [8, 9], SENT),
                ("ledger.problem", problem.pk, "remind", date(2026, 11, 20), [7], SENT),
            ],
        )
        tables = connection.introspection.table_names()
        self.assertNotIn("ledger_escalation", tables)
        self.assertNotIn("intake_ticketescalation", tables)

        back = migrate(BEFORE)
        self.assertEqual(
            sorted(
                back.get_model("ledger", "Escalation").objects.values_list(
                    "problem_id", "stage", "deadline", "recipients"
                )
            ),
            [
                (problem.pk, "notice", date(2026, 11, 20), [8, 9]),
                (problem.pk, "remind", date(2026, 11, 20), [7]),
            ],
        )
        self.assertEqual(
            list(
                back.get_model("intake", "TicketEscalation").objects.values_list(
                    "ticket_id", "stage", "due"
                )
            ),
            [(ticket.pk, "escalate", date(2026, 11, 24))],
        )
        self.assertNotIn("core_escalation", connection.introspection.table_names())

from __future__ import annotations

from datetime import timedelta
from typing import Any

import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from qingfeng.core.calendar import get_calendar
from qingfeng.core.models import AuditEvent, Notification
from qingfeng.core.tests.machine import FILES_IN_MEMORY
from qingfeng.ledger.models import Problem
from qingfeng.oversight import actions
from qingfeng.oversight.models import Conflict, Visit
from qingfeng.oversight.tests.base import OversightCase

# A 1×1 JPEG with an EXIF block (GPS-like metadata the scrubber must remove).
JPEG = bytes.fromhex(
    "ffd8ffe1001845786966000049492a00080000000000000000000000"
    "ffdb004300080606070605080707070909080a0c140d0c0b0b0c1912130f141d1a1f1e1d1a1c1c20242e2720"
    "222c231c1c2837292c30313434341f27393d38323c2e333432ffc0000b080001000101011100ffc4001f0000"
    "010501010101010100000000000000000102030405060708090a0bffc400b5100002010303020403050504"
    "040000017d01020300041105122131410613516107227114328191a1082342b1c11552d1f02433627282090a"
    "161718191a25262728292a3435363738393a434445464748494a535455565758595a636465666768696a73"
    "7475767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3"
    "c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9faffda0008010100003f"
    "00fbd3ffd9"
)


@override_settings(STORAGES=FILES_IN_MEMORY)
class VisitTestCase(OversightCase):
    def test_a_planned_visit_is_sealed(self) -> None:
        visit = self.plan_visit()
        self.assertIsNone(visit.unit)
        self.assertEqual(visit.status, Visit.Status.SEALED)
        with connection.cursor() as cursor:
            cursor.execute("SELECT sealed_target FROM oversight_visit WHERE id = %s", [visit.pk])
            stored = cursor.fetchone()[0]
        self.assertNotIn("unit", stored)  # ciphertext in the column
        for row in AuditEvent.objects.filter(action__startswith="oversight.visit"):
            self.assertNotIn(self.school.name, str(row.__dict__))
            self.assertNotEqual(row.unit_id, self.school.pk)
        for note in Notification.objects.all():
            self.assertNotIn(self.school.name, note.title + note.body)

    def test_only_the_leader_reveals_and_only_from_the_reveal_time(self) -> None:
        visit = self.plan_visit()
        with self.assertRaisesMessage(ValidationError, "尚未到解封时间"):
            actions.reveal_target(visit, viewer=self.supervisor)
        with time_machine.travel(visit.planned_start - timedelta(minutes=29)):
            with self.assertRaisesMessage(ValidationError, "不是本组组长"):
                actions.reveal_target(visit, viewer=self.member)
            before = AuditEvent.objects.filter(action="oversight.visit.reveal").count()
            self.assertEqual(actions.reveal_target(visit, viewer=self.supervisor), self.school)
            actions.reveal_target(visit, viewer=self.supervisor)
            after = AuditEvent.objects.filter(action="oversight.visit.reveal").count()
            self.assertEqual(after - before, 2)  # every look is audited

    def test_a_recused_team_member_is_refused(self) -> None:
        Conflict.objects.create(person=self.member2, unit=self.school, reason="曾在该校任教")
        with self.assertRaisesMessage(ValidationError, "须回避"):
            self.plan_visit(team=[self.member2])
        self.assertFalse(Visit.objects.exists())

    def test_bad_plans_are_refused(self) -> None:
        group = self.make_group()
        cases: dict[str, dict[str, Any]] = {
            "晚于现在": {"planned_start": timezone.now() - timedelta(minutes=1)},
            "检查项目": {"checklist_items": ["unknown"]},
            "本督导组成员": {"team": [self.county_admin]},
        }
        for message, fields in cases.items():
            with self.subTest(message), self.assertRaisesMessage(ValidationError, message):
                self.plan_visit(group, **fields)
        with self.assertRaisesMessage(ValidationError, "专项办"):
            actions.check_plan_visit(
                actor=self.supervisor,
                group=group,
                unit=self.school,
                planned_start=timezone.now() + timedelta(hours=1),
                team=[],
                checklist_items=["fees"],
            )
        self.assertFalse(Visit.objects.exists())

    def test_findings_become_ledger_problems_with_working_day_deadlines(self) -> None:
        visit = self.plan_visit(deadline_workdays=10)
        with time_machine.travel(visit.planned_start - timedelta(minutes=10)):
            with self.assertRaisesMessage(ValidationError, "本次督导的人员"):
                actions.check_start_visit(visit, actor=self.member2)
            actions.check_start_visit(visit, actor=self.member)
            visit.refresh_from_db()
            self.assertEqual(visit.unit, self.school)
            photo = SimpleUploadedFile("现场.jpg", JPEG, content_type="image/jpeg")
            actions.check_add_finding(
                visit,
                actor=self.member,
                item="fees",
                text="收费公示栏未更新本学期项目",
                photos=[photo],
            )
            actions.check_add_finding(
                visit,
                actor=self.supervisor,
                item="discipline",
                text="两名教师上课时间玩手机",
                fixed_on_spot=True,
                fix_note="当场谈话提醒，校长已在教师群通报",
            )
            with self.assertRaisesMessage(ValidationError, "请选择本次督导的检查项目"):
                actions.check_add_finding(visit, actor=self.member, item="canteen", text="x")
            actions.check_finish_visit(visit, actor=self.member)
            today = timezone.localdate()
        problems = Problem.objects.filter(source=Problem.Source.SUPERVISION).order_by("pk")
        self.assertEqual(problems.count(), 2)
        fees, discipline = problems
        self.assertEqual(fees.unit, self.school)
        self.assertEqual(fees.source_ref, visit.number)
        self.assertEqual(fees.status, Problem.Status.ASSIGNED)
        self.assertEqual(fees.deadline, get_calendar().add_workdays(today, 10))
        self.assertEqual(fees.category.name, "乱收费乱办班乱订资料")
        self.assertEqual(discipline.rectification_type, Problem.RectificationType.IMMEDIATE)
        finding = visit.findings.get(item="fees")
        stored = finding.photos.get()
        self.assertNotIn(b"Exif", stored.file.read())
        self.assertTrue(Notification.objects.filter(recipient=self.school_admin).exists())

    def test_a_failed_finish_writes_nothing(self) -> None:
        visit = self.plan_visit()
        with time_machine.travel(visit.planned_start):
            actions.check_start_visit(visit, actor=self.member)
            actions.check_add_finding(visit, actor=self.member, item="fees", text="未公示")
            Problem.objects.all().delete()
            from qingfeng.ledger.models import Category

            Category.objects.update(is_active=False)
            with self.assertRaises(Exception):  # noqa: B017 - no category: the ledger refuses
                actions.check_finish_visit(visit, actor=self.member)
        visit.refresh_from_db()
        self.assertEqual(visit.status, Visit.Status.STARTED)
        self.assertFalse(Problem.objects.exists())

    def test_plans_from_a_draw_take_the_drawn_teams(self) -> None:
        group = self.make_group()
        draw = self.run_draw(self.commit_draw(count=2, inspectors_per_target=2))
        visits = actions.plan_visits_from_draw(
            draw,
            actor=self.office_user,
            group=group,
            planned_start=timezone.now() + timedelta(days=1),
            checklist_items=["ethics"],
        )
        self.assertEqual(len(visits), 2)
        assert draw.result is not None
        for visit, target in zip(visits, draw.result["targets"], strict=True):
            self.assertIsNone(visit.unit)
            self.assertEqual(
                sorted(visit.team.values_list("pk", flat=True)), sorted(target["inspectors"])
            )
        with self.assertRaisesMessage(ValidationError, "尚未全部结束"):
            actions.check_publish_draw(draw, actor=self.office_user)

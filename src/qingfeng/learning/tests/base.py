"""The learning test city: the base personas plus a roster at 东城区实验小学 (a leader, party
teachers, a support worker) and helpers that plan and hold sessions through the actions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from qingfeng.learning import actions
from qingfeng.learning.models import Session, SessionType
from qingfeng.orgs import actions as org_actions
from qingfeng.orgs.models import Person, Role, User
from qingfeng.test import BaseTestCase, make_user


def at(text: str) -> datetime:
    return timezone.make_aware(datetime.fromisoformat(text))


class LearningCase(BaseTestCase):
    office_user: User
    party_teacher: User
    principal: Person
    support: Person

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.office_user = make_user(
            "office", unit=cls.bureau, role=Role.CAMPAIGN_OFFICE, name="欧阳晓燕"
        )
        cls.party_teacher = make_user(
            "party_teacher", unit=cls.school, role=Role.STAFF, name="钟秀英"
        )
        person = cls.party_teacher.person
        person.post_type, person.is_party_member = Person.PostType.PARTY_TEACHER, True
        person.save()
        teacher = cls.teacher.person
        teacher.post_type, teacher.is_party_member = Person.PostType.TEACHER, True
        teacher.save()
        cls.principal = org_actions.do_create_person(
            actor=None,
            unit=cls.school,
            name="韩国栋",
            post_type=Person.PostType.LEADER,
            phone="",
        )
        cls.principal.is_party_member = True
        cls.principal.save()
        cls.support = org_actions.do_create_person(
            actor=None, unit=cls.school, name="甘丽", post_type=Person.PostType.SUPPORT, phone=""
        )

    def type(self, code: str) -> SessionType:
        return SessionType.objects.get(code=code)

    def plan(
        self, code: str = "all_staff", *, when: str = "2026-12-10 15:00", **extra: Any
    ) -> Session:
        fields: dict[str, Any] = {
            "place": "学校会议室",
            "chair": "韩国栋",
            "topic": "学习中央八项规定精神",
            "materials": "中央八项规定及其实施细则精神",
        }
        fields.update(extra)
        return actions.check_plan_session(
            actor=self.school_admin,
            unit=self.school,
            type=self.type(code),
            starts_at=at(when),
            **fields,
        )

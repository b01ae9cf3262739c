"""Who is expected: drawn from the unit's roster by the type's audience (all, party members,
the leadership, the branch committee) and post types, or fewer post types chosen for one
session — teachers only, 党员教师 only, 领导干部 only, 教辅人员."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from qingfeng.learning import actions
from qingfeng.learning.models import Session, SessionType
from qingfeng.learning.tests.base import LearningCase, at
from qingfeng.orgs import actions as org_actions
from qingfeng.orgs.models import Person, Unit

P = Person.PostType


class AudienceTestCase(LearningCase):
    """东城区第二中学's roster: a party secretary and a principal, a middle-level cadre, party and
    non-party teachers (one recorded as 专任教师 with the party flag, one as 党员教师), two
    support staff (one a party member), an office clerk, and a teacher who has left."""

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        roster = [
            ("陈卫东", P.LEADER, True, True),
            ("刘淑芬", P.LEADER, False, True),
            ("马俊杰", P.MIDDLE, True, True),
            ("黄丽娟", P.PARTY_TEACHER, True, True),
            ("林志强", P.TEACHER, True, True),
            ("吴晓梅", P.TEACHER, False, True),
            ("郑浩然", P.TEACHER, False, True),
            ("何美玲", P.SUPPORT, False, True),
            ("谢国庆", P.SUPPORT, True, True),
            ("罗小琴", P.STAFF, False, True),
            ("宋建华", P.TEACHER, True, False),
        ]
        for name, post, party, active in roster:
            person = org_actions.do_create_person(
                actor=None, unit=cls.school2, name=name, post_type=post, phone=""
            )
            person.is_party_member, person.is_active = party, active
            person.save()

    def make_type(self, name: str, audience: str, post_types: list[str]) -> SessionType:
        return actions.check_save_session_type(
            None,
            actor=self.office_user,
            name=name,
            cadence=SessionType.Cadence.MONTHLY,
            minimum=1,
            audience=audience,
            post_types=post_types,
        )

    def expected(self, type_: SessionType, unit: Unit | None = None, **extra: object) -> set[str]:
        session = actions.check_plan_session(
            actor=self.county_admin,
            unit=unit or self.school2,
            type=type_,
            starts_at=at("2026-12-16 15:30"),
            place="第二中学报告厅",
            chair="陈卫东",
            topic="师德师风专题学习",
            **extra,  # type: ignore[arg-type]
        )
        return set(session.attendance.values_list("person__name", flat=True))

    def test_the_seeded_audiences(self) -> None:
        self.assertEqual(
            self.expected(self.type("all_staff")),
            {
                "陈卫东",
                "刘淑芬",
                "马俊杰",
                "黄丽娟",
                "林志强",
                "吴晓梅",
                "郑浩然",
                "何美玲",
                "谢国庆",
                "罗小琴",
            },
        )
        # Party members: the flag, or the post 党员教师.
        self.assertEqual(
            self.expected(self.type("party_day")),
            {"陈卫东", "马俊杰", "黄丽娟", "林志强", "谢国庆"},
        )
        self.assertEqual(self.expected(self.type("center_group")), {"陈卫东", "刘淑芬"})
        self.assertEqual(self.expected(self.type("branch_committee")), {"陈卫东", "马俊杰"})

    def test_types_by_post_type(self) -> None:
        teachers = self.make_type("教师专题学习", "all", [P.TEACHER, P.PARTY_TEACHER])
        self.assertEqual(self.expected(teachers), {"黄丽娟", "林志强", "吴晓梅", "郑浩然"})
        party_teachers = self.make_type("党员教师学习", "party", [P.TEACHER, P.PARTY_TEACHER])
        self.assertEqual(self.expected(party_teachers), {"黄丽娟", "林志强"})
        leaders = self.make_type("领导干部警示教育", "all", [P.LEADER, P.MIDDLE])
        self.assertEqual(self.expected(leaders), {"陈卫东", "刘淑芬", "马俊杰"})
        support = self.make_type("教辅人员业务学习", "all", [P.SUPPORT])
        self.assertEqual(self.expected(support), {"何美玲", "谢国庆"})
        # 实验小学's roster for the same teachers-only type: its two teachers.
        self.assertEqual(self.expected(teachers, unit=self.school), {"周小燕", "钟秀英"})

    def test_a_session_narrows_its_type_by_post_type(self) -> None:
        # An all-staff warning lesson for the teachers only.
        warning = self.type("warning")
        narrowed = self.expected(warning, post_types=[P.TEACHER, P.PARTY_TEACHER])
        self.assertEqual(narrowed, {"黄丽娟", "林志强", "吴晓梅", "郑浩然"})
        session = Session.objects.latest("id")
        self.assertEqual(session.post_types, [P.PARTY_TEACHER, P.TEACHER])
        # A type limited to support staff cannot be widened to teachers by one session.
        support = self.make_type("教辅人员业务学习", "all", [P.SUPPORT])
        with self.assertRaisesMessage(ValidationError, "只面向教辅人员，不能选择专任教师"):
            self.expected(support, post_types=[P.TEACHER])
        with self.assertRaisesMessage(ValidationError, "岗位类型无效"):
            self.expected(warning, post_types=["principal"])
        # Nobody of that post in the unit: refused, nothing planned.
        count = Session.objects.count()
        with self.assertRaisesMessage(ValidationError, "没有该学习的应到人员"):
            self.expected(warning, post_types=[P.CIVIL])
        self.assertEqual(Session.objects.count(), count)

    def test_editing_a_type_leaves_planned_sessions_as_they_were(self) -> None:
        teachers = self.make_type("教师专题学习", "all", [P.TEACHER, P.PARTY_TEACHER])
        before = self.expected(teachers)
        teachers = actions.check_save_session_type(
            teachers,
            actor=self.office_user,
            name="教师专题学习",
            cadence=SessionType.Cadence.MONTHLY,
            minimum=1,
            audience="party",
            post_types=[P.TEACHER, P.PARTY_TEACHER],
        )
        session = Session.objects.get(type=teachers)
        self.assertEqual(set(session.attendance.values_list("person__name", flat=True)), before)
        self.assertEqual(self.expected(teachers), {"黄丽娟", "林志强"})

"""Demo learning records for `make run` (`seed_demo_cases`), made through the app's actions:
a quarter of sessions for the demo county's first schools (cadence kept by some, missed by
one), a session at the demo school with QR attendance, an approved leave and make-ups, the
bureau's pledge signed by most of the demo school, a self-examination with its problems in
the ledger, and a dozen published cases."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from django.utils import timezone

from qingfeng.learning import actions, tokens
from qingfeng.learning.models import Attendance, Case, Pledge, SelfExam, Session, SessionType
from qingfeng.ledger.models import Problem
from qingfeng.orgs.models import Role, RoleAssignment, Unit, User

A = Attendance.Status
C = Case.Category
CASES = [
    (
        "某中学教师收受家长购物卡",
        "教师节前后，某中学一名班主任收受学生家长所送购物卡3张，共计1500元。",
        C.GIFTS,
        "收受可能影响公正执行公务的礼品礼金",
        "给予党内警告处分，退还购物卡",
    ),
    (
        "某小学食堂违规收取管理费",
        "某小学在收取学生伙食费之外，另行收取食堂管理费，未经价格主管部门批准。",
        C.FEES,
        "违反中小学收费管理规定",
        "清退违规收费，校长被诫勉谈话",
    ),
    (
        "教师在校外培训机构有偿补课",
        "某初中数学教师利用周末在校外培训机构有偿补课，向学生推介收费课程。",
        C.TUTORING,
        "违反严禁中小学教师有偿补课的规定",
        "取消年度评优资格，责令停止",
    ),
    (
        "统一征订教辅材料并收取费用",
        "某校以年级名义统一征订教辅资料，按每生120元收费，未遵循自愿原则。",
        C.MATERIALS,
        "违反教辅材料征订管理规定",
        "全额清退，分管副校长被问责",
    ),
    (
        "以开会为名公款吃喝",
        "某教育局科室借召开工作会之机在酒店安排宴请，并饮用酒水。",
        C.DINING,
        "违反中央八项规定精神",
        "相关责任人承担费用，给予政务警告",
    ),
    (
        "违规发放节日福利",
        "某学校在春节前以购买办公用品名义套取资金，为教职工发放购物卡。",
        C.ALLOWANCES,
        "违规发放津补贴或福利",
        "收缴违规发放款项，校长被党内严重警告",
    ),
    (
        "公车私用接送家属",
        "某单位负责同志多次使用公务用车接送家属上下班。",
        C.CARS,
        "违规使用公务用车",
        "党内警告处分，补缴相关费用",
    ),
    (
        "职称评审中打招呼",
        "某校中层干部在职称评审中为亲属打招呼、说情。",
        C.TITLES,
        "违反职称评审工作纪律",
        "取消评审资格，给予诫勉",
    ),
    (
        "检查材料层层加码",
        "某县对学校作风建设检查要求报送大量台账照片，学校疲于应付。",
        C.FORMALISM,
        "形式主义加重基层负担",
        "通报批评，精简检查事项",
    ),
    (
        "借升学宴收受礼金",
        "某教师为子女操办升学宴，邀请学生家长参加并收受礼金。",
        C.CEREMONIES,
        "违规操办婚丧喜庆事宜",
        "退还礼金，给予党内警告",
    ),
    (
        "以学习考察为名公款旅游",
        "某校组织教师赴外地学习考察，行程中安排与工作无关的旅游景点。",
        C.TRAVEL,
        "公款旅游",
        "责令个人承担费用，校长被问责",
    ),
    (
        "超标准接待检查组",
        "某学校接待上级检查时超标准安排用餐和住宿。",
        C.RECEPTION,
        "违反公务接待管理规定",
        "批评教育，补缴超标费用",
    ),
]


def _at(day: datetime, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day.date(), time(hour)))


def _hold(session: Session, actor: User, rng: random.Random, *, absent: float) -> None:
    rows = list(session.attendance.all())
    marks = {r.person_id: (A.ABSENT if rng.random() < absent else A.PRESENT) for r in rows}
    actions.check_mark_attendance(session, actor=actor, marks=marks)
    actions.check_hold_session(
        session, actor=actor, minutes="传达学习文件精神，交流研讨，明确下一步要求。"
    )


def _quarter(unit: Unit, actor: User, rng: random.Random, *, keep: bool) -> int:
    """Three months of sessions: monthly all-staff study and party day, a party lesson."""
    today = timezone.localtime()
    plan = [("all_staff", 1), ("party_day", 1), ("party_lesson", 3)]
    made = 0
    for months_ago in (2, 1, 0):
        day = today - timedelta(days=30 * months_ago + 3)
        for code, every in plan:
            if months_ago % every or (not keep and code != "all_staff"):
                continue
            type_ = SessionType.objects.get(code=code)
            if not actions.roster(unit, type_.audience).exists():
                continue
            session = actions.check_plan_session(
                actor=actor,
                unit=unit,
                type=type_,
                starts_at=_at(day, 15),
                place="学校会议室",
                chair="校长",
                topic=f"{type_.name}：学习中央八项规定精神",
                materials="中央八项规定及其实施细则精神",
            )
            _hold(session, actor, rng, absent=0.08)
            made += 1
    return made


def seed_demo_learning() -> list[str]:
    rng = random.Random(2026)  # noqa: S311 - demo data, reproducible
    bureau_user = User.objects.get(username="demo_bureau")
    school_admin = User.objects.get(username="demo_school")
    school = RoleAssignment.objects.get(
        user=school_admin, role=Role.UNIT_ADMIN, revoked_at=None
    ).unit
    county = school.parent
    bureau = Unit.objects.get(pk=school.ancestor_ids()[0])
    schools = [
        school,
        *Unit.objects.filter(parent=county, kind=Unit.Kind.SCHOOL)
        .exclude(pk=school.pk)
        .order_by("path")[:3],
    ]
    sessions = 0
    for i, unit in enumerate(schools):
        sessions += _quarter(unit, bureau_user, rng, keep=i != 2)
    # Today at the demo school: QR sign-in under way, a leave approved; make-ups from before.
    now = timezone.localtime()
    # Five minutes from now, but still today: sign-in is open on the session's day only, so a
    # demo loaded at 23:57 must not plan it for tomorrow.
    starts_at = min(now + timedelta(minutes=5), now.replace(hour=23, minute=59, second=59))
    today = actions.check_plan_session(
        actor=school_admin,
        unit=school,
        type=SessionType.objects.get(code="warning"),
        starts_at=starts_at,
        place="学校报告厅",
        chair="校长",
        topic="警示教育：对照典型案例剖根源",
        materials="《教育系统作风建设警示录》",
    )
    rows = list(today.attendance.select_related("person__user"))
    leave = rows[-1]
    actions.check_ask_leave(
        today, person=leave.person, actor=school_admin, reason="外出参加教研活动"
    )
    actions.check_decide_leave(leave, actor=school_admin, approve=True)
    token = tokens.make(today.pk)
    for k, row in enumerate(rows[: max(1, len(rows) * 2 // 3)]):
        if row.pk != leave.pk:
            actions.check_scan(token, person=row.person, actor=school_admin, device=f"demo-{k}")
    # The bureau's pledge, signed by most of the demo school.
    pledge = actions.check_issue_pledge(
        actor=bureau_user,
        issuer=bureau,
        group=Pledge.Group.ALL,
        title=f"{now.year}年廉洁从教承诺书",
        text="一、严守中央八项规定及其实施细则精神。\n二、不收受学生及家长礼品礼金、购物卡。\n三、不参与有偿补课，不违规征订教辅材料。\n四、自觉接受组织和群众监督。",
        year=now.year,
    )
    people = list(school.people.filter(is_active=True).order_by("id"))
    for person in people[: max(0, len(people) - 2)]:
        user = person.user or school_admin
        actions.check_sign_pledge(pledge, person=person, actor=user)
    # A self-examination of the school's leadership with two problems in the ledger.
    exam = actions.check_submit_self_exam(
        actor=school_admin,
        unit=school,
        kind=SelfExam.Kind.LEADERSHIP,
        title="领导班子五查五看自查",
        answers=dict.fromkeys(actions.CHECKS, "对照三个对照逐项查摆，情况见问题清单。"),
        found=[
            actions.Found(
                dimension=Problem.Dimension.RULES,
                title="教辅材料征订审核不严",
                description="个别年级推荐教辅未经学校审核",
                measures=["建立教辅征订审核制度"],
                deadline=timezone.localdate() + timedelta(days=30),
            ),
            actions.Found(
                dimension=Problem.Dimension.SERVICE,
                title="家长来访接待不够规范",
                description="",
                measures=["落实首问负责制"],
                long_term=True,
            ),
        ],
    )
    for title, facts, category, rules, outcome in CASES:
        case = actions.check_enter_case(
            actor=bureau_user,
            owner=bureau,
            title=title,
            facts=facts,
            category=category,
            level=Case.Level.OTHER,
            rules=rules,
            outcome=outcome,
            lessons="以案为鉴、以案促改。",
            source_document="典型问题通报",
        )
        actions.check_submit_case(case, actor=bureau_user)
        actions.check_decide_case(case, actor=bureau_user, action="approve")
    return [
        f"已载入演示学习：{sessions + 1} 次学习活动，{len(people) - 2} 人签署承诺书，"
        f"自查 {exam.number}，{len(CASES)} 个典型案例 / loaded demo study sessions, pledges, "
        "a self-examination and cases"
    ]


def demo_lines() -> list[str]:
    return seed_demo_learning()


def has_sessions() -> bool:
    return Session.objects.exists()

"""A demo ledger for a demo installation (`manage.py seed_demo_cases`, run by `make run` once):
problems of the demo school, its teacher and its county on all three lists and in every step
— draft, assigned, accepted, rectifying with evidence, awaiting verification, closed by
someone else — with red, yellow and green deadlines, made through the ledger's own actions;
and last month's work (`seed_last_month`): problems registered then, most closed then (on
time, one late), one still being rectified, each step moved back to its day (core/backdate.py)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import F
from django.utils import timezone

from qingfeng.core.backdate import shift_since
from qingfeng.core.calendar import get_calendar
from qingfeng.ledger import actions
from qingfeng.ledger.models import Category, Problem, Verification
from qingfeng.orgs.models import Person, Role, RoleAssignment, Unit, User

# A 1×1 white PNG: the demo's "after" photo (evidence is checked by its content).
_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de"
    "0000000c4944415408d763f8ffff3f0005fe02fea7d6a4cf0000000049454e44ae426082"
)

P = Problem


def _photo() -> SimpleUploadedFile:
    return SimpleUploadedFile("整改后现场.png", _PNG, content_type="image/png")


def _role_unit(username: str) -> Unit:
    return RoleAssignment.objects.get(
        user__username=username, role=Role.UNIT_ADMIN, revoked_at=None
    ).unit


def seed_demo_ledger() -> list[str]:
    """The problems' numbers. Needs the demo accounts of `seed_demo`."""
    county_admin = User.objects.get(username="demo_county")
    bureau = User.objects.get(username="demo_bureau")
    teacher_user = User.objects.get(username="demo_teacher")
    school_admin = User.objects.get(username="demo_school")
    teacher = Person.objects.get(user=teacher_user)
    head = Person.objects.get(user=school_admin)
    school, county = _role_unit("demo_school"), _role_unit("demo_county")
    categories = {c.name: c for c in Category.objects.filter(is_active=True)}
    today = timezone.localdate()
    calendar = get_calendar()

    def workdays(n: int) -> date:
        return calendar.add_workdays(today, n)

    def problem(unit: Unit, category: str, list_kind: str, title: str, **fields: Any) -> Problem:
        return actions.check_create_problem(
            actor=county_admin,
            unit=unit,
            category=categories.get(category) or next(iter(categories.values())),
            list_kind=list_kind,
            source=fields.pop("source", P.Source.SELF_CHECK),
            dimension=fields.pop("dimension", P.Dimension.DELIVERY),
            title=title,
            rectification_type=fields.pop("rectification_type", P.RectificationType.TIME_LIMITED),
            measures=fields.pop("measures", ["制定整改方案", "落实整改并报送佐证"]),
            **fields,
        )

    def rectifying(p: Problem, actor: User, progress: int, text: str) -> Problem:
        actions.check_assign(p, actor=county_admin)
        actions.do_accept(p, actor=actor)
        # A report of a finished fix ticks every measure done, as the unit's page does.
        done = list(p.measures.values_list("pk", flat=True)) if progress == 100 else []
        actions.check_report_progress(
            p,
            actor=actor,
            progress=progress,
            text=text,
            files=[(_photo(), "after")],
            measures_done=done,
        )
        return p

    made: list[Problem] = []
    # A draft the county is still writing.
    made.append(
        problem(
            county,
            "形式主义官僚主义加重基层负担",
            P.ListKind.LEADERSHIP,
            "向学校重复布置填报表格",
            description="同一数据多个科室重复要求学校填报，基层负担重。",
            deadline_workdays=20,
        )
    )
    # Assigned to the school, not yet accepted; due soon (yellow).
    p = problem(
        school,
        "教辅材料违规征订",
        P.ListKind.DEPARTMENT_RISK,
        "教辅材料征订未履行公示程序",
        description="本学期教辅材料征订未向家长公示目录和价格。",
        responsible_person=head,
        deadline=workdays(2),
    )
    made.append(actions.check_assign(p, actor=county_admin))
    # The teacher's own item, being rectified, overdue (red).
    made.append(
        rectifying(
            problem(
                school,
                "校外培训隐形变异",
                P.ListKind.PERSONAL,
                "课后动员学生参加校外辅导",
                description="在班级群中动员学生参加校外辅导班。",
                responsible_person=teacher,
                dimension=P.Dimension.INTEGRITY,
                deadline=workdays(-3),
            ),
            teacher_user,
            40,
            "已在班级群公开说明，停止动员；正在逐一回访家长。",
        )
    )
    # Being rectified in time (green), from an inspection.
    made.append(
        rectifying(
            problem(
                school,
                "工作纪律",
                P.ListKind.DEPARTMENT_RISK,
                "值班制度执行不严",
                description="节假日值班存在脱岗现象。",
                responsible_person=head,
                source=P.Source.INSPECTION,
                deadline=workdays(15),
            ),
            school_admin,
            60,
            "已修订值班制度，增加抽查。",
        )
    )
    # Awaiting verification, and one closed after the county verified it.
    for title, close in (("办公用房超标未整改到位", False), ("公务接待未按标准执行", True)):
        p = rectifying(
            problem(
                school,
                "超标接待" if close else "其他",
                P.ListKind.DEPARTMENT_RISK,
                title,
                description=f"{title}。",
                responsible_person=head,
                deadline=workdays(5),
            ),
            school_admin,
            100,
            "已整改完毕，附整改后照片。",
        )
        actions.check_request_closure(p, actor=school_admin, text="整改完成，申请销号。")
        if close:
            actions.check_verify(
                p,
                verifier=county_admin,
                outcome=Verification.Outcome.APPROVED,
                comment="经现场核实，整改到位，同意销号。",
            )
        made.append(p)
    # The county's own item, verified above the county.
    p = rectifying(
        problem(
            county,
            "服务态度与效能",
            P.ListKind.LEADERSHIP,
            "群众来电办理不及时",
            description="热线转办件答复超期。",
            deadline=workdays(8),
        ),
        county_admin,
        100,
        "建立转办件台账，逐件销号。",
    )
    actions.check_request_closure(p, actor=county_admin, text="已整改，申请销号。")
    actions.check_verify(
        p, verifier=bureau, outcome=Verification.Outcome.APPROVED, comment="核实无误，同意销号。"
    )
    made.append(p)
    return [p.number for p in made]


# Last month's problems: (title, category, list, registered on day, deadline after so many
# days, closed on day or None). Days count from the month's first; every month has 28.
LAST_MONTH = (
    ("课后服务收费未公示", "乱收费乱办班乱订资料", P.ListKind.DEPARTMENT_RISK, 2, 20, 12),
    ("家长会上推销教辅资料", "教辅材料违规征订", P.ListKind.PERSONAL, 3, 15, 16),
    ("校车接送安排不落实", "服务态度与效能", P.ListKind.DEPARTMENT_RISK, 5, 7, 19),
    ("会议文件层层转发", "形式主义官僚主义加重基层负担", P.ListKind.LEADERSHIP, 8, 20, 24),
    ("食堂账目公开不及时", "其他", P.ListKind.DEPARTMENT_RISK, 12, 45, None),
)


def seed_last_month() -> list[Problem]:
    """Last month's ledger, as the month's flow would have left it: problems of the demo
    school and county registered on several days, most closed later in the month (one after
    its deadline), one still being rectified into this month. Each step is made through the
    actions now, then moved back to its day (`shift_since`), its deadline with it."""
    county_admin = User.objects.get(username="demo_county")
    bureau = User.objects.get(username="demo_bureau")
    school_admin = User.objects.get(username="demo_school")
    head = Person.objects.get(user=school_admin)
    school, county = _role_unit("demo_school"), _role_unit("demo_county")
    categories = {c.name: c for c in Category.objects.filter(is_active=True)}
    ledger_models = list(apps.get_app_config("ledger").get_models())
    today = timezone.localdate()
    first = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    made = []
    for title, category, list_kind, registered, due_after, closed in LAST_MONTH:
        own = list_kind == P.ListKind.LEADERSHIP
        unit, actor = (county, county_admin) if own else (school, school_admin)
        back = timedelta(days=(today - (first + timedelta(days=registered))).days)
        since = timezone.now()
        p = actions.check_create_problem(
            actor=county_admin,
            unit=unit,
            category=categories.get(category) or next(iter(categories.values())),
            list_kind=list_kind,
            source=P.Source.SELF_CHECK,
            dimension=P.Dimension.DELIVERY,
            title=title,
            description=f"{title}。",
            responsible_person=None if own else head,
            rectification_type=P.RectificationType.TIME_LIMITED,
            measures=["制定整改方案", "落实整改并报送佐证"],
            deadline=today + timedelta(days=due_after),
        )
        actions.check_assign(p, actor=county_admin)
        actions.do_accept(p, actor=actor)
        done = closed is not None
        actions.check_report_progress(
            p,
            actor=actor,
            progress=100 if done else 50,
            text="已整改完毕，附整改后照片。" if done else "已制定方案，正在逐项落实。",
            files=[(_photo(), "after")],
            measures_done=list(p.measures.values_list("pk", flat=True)) if done else [],
        )
        shift_since(since, back, ledger_models)
        Problem.objects.filter(pk=p.pk).update(deadline=F("deadline") - timedelta(days=back.days))
        if closed is not None:
            back = timedelta(days=(today - (first + timedelta(days=closed))).days)
            since = timezone.now()
            p.refresh_from_db()
            actions.check_request_closure(p, actor=actor, text="整改完成，申请销号。")
            actions.check_verify(
                p,
                verifier=bureau if own else county_admin,
                outcome=Verification.Outcome.APPROVED,
                comment="经核实，整改到位，同意销号。",
            )
            shift_since(since, back, ledger_models)
        made.append(p)
    return made


def demo_lines() -> list[str]:
    """`seed_demo_cases`: the demo ledger, and what to print of it."""
    past = seed_last_month()
    problems = seed_demo_ledger()
    return [
        f"已载入 {len(problems)} 个演示台账问题，另有上月 {len(past)} 个 / loaded "
        f"{len(problems)} demo problems and {len(past)} of last month"
    ]


def has_problems() -> bool:
    return Problem.objects.exists()

"""A small city for the browser tests, built through the same actions the pages use.

    清河市教育局 ─┬─ 东城区教育局 ── 东城区实验小学 (东城实小), 东城区第二中学
                 └─ 西山县教育局 ── 西山县第一中学

Run against a migrated database (the e2e fixture does this):

    DJANGO_SETTINGS_MODULE=qingfeng.settings python e2e/setup_data.py

It prints one JSON line with the ids the tests need.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

PASSWORD = "Qingfeng-E2E-2026!"  # every account below; the tests sign in with it

# People of 东城区实验小学: the tests check that none of these phones appears in full.
SCHOOL_PEOPLE = [
    ("孙立平", "leader", "校长", True, "13800001234"),
    ("周小燕", "teacher", "语文教师", True, "13912345678"),
    ("欧阳娜娜", "teacher", "英语教师", False, "13700005678"),
    ("张　三", "staff", "", False, "15011112222"),
    ("李明", "middle", "教务处主任", True, "18633334444"),
]
# Staff accounts the sign-in tests fail on purpose (one ends up locked).
FAILING_ACCOUNTS = {"lock_me": "陈东", "wrong_password": "陈西"}


def build() -> dict[str, Any]:
    from django.db import transaction

    from qingfeng.orgs import actions
    from qingfeng.orgs.models import Person, Role, Unit

    def unit(name: str, kind: str, parent: Unit | None, code: str, **extra: Any) -> Unit:
        category = Unit.Category.SCHOOL if kind == Unit.Kind.SCHOOL else Unit.Category.ORGAN
        return actions.do_create_unit(
            actor=None, parent=parent, name=name, kind=kind, code=code, category=category, **extra
        )

    def account(person: Person, username: str, role: str, scope: Unit) -> None:
        user = actions.check_create_account(
            person, actor=None, username=username, password=PASSWORD, must_change=False
        )
        actions.do_grant_role(user, actor=None, role=role, unit=scope)

    with transaction.atomic():
        city = unit("清河市教育局", Unit.Kind.BUREAU, None, "B0001", short_name="市教育局")
        county = unit("东城区教育局", Unit.Kind.COUNTY, city, "C0001", short_name="东城区")
        other_county = unit("西山县教育局", Unit.Kind.COUNTY, city, "C0002", short_name="西山县")
        school = unit(
            "东城区实验小学",
            Unit.Kind.SCHOOL,
            county,
            "S0001",
            short_name="东城实小",
            aliases="实验小学,东实小",
            stage=Unit.Stage.PRIMARY,
            locale=Unit.Locale.URBAN,
        )
        school2 = unit("东城区第二中学", Unit.Kind.SCHOOL, county, "S0002", stage=Unit.Stage.JUNIOR)
        other_school = unit(
            "西山县第一中学", Unit.Kind.SCHOOL, other_county, "S0003", stage=Unit.Stage.SENIOR
        )

        people = {}
        for name, post_type, position, party, phone in SCHOOL_PEOPLE:
            people[name] = actions.do_create_person(
                actor=None,
                unit=school,
                name=name,
                post_type=post_type,
                position=position,
                is_party_member=party,
                phone=phone,
            )
        account(people["孙立平"], "school_admin", Role.UNIT_ADMIN, school)
        county_person = actions.do_create_person(
            actor=None, unit=county, name="钱晓红", post_type="civil", phone="13566667777"
        )
        account(county_person, "county_admin", Role.UNIT_ADMIN, county)
        actions.do_create_person(
            actor=None, unit=school2, name="吴德胜", post_type="teacher", phone="13288889999"
        )
        actions.do_create_person(
            actor=None, unit=other_school, name="郑志强", post_type="teacher", phone="13100002222"
        )
        for username, name in FAILING_ACCOUNTS.items():
            person = actions.do_create_person(actor=None, unit=school, name=name, post_type="staff")
            account(person, username, Role.STAFF, school)

    ledger = build_ledger(city=city, school=school, school2=school2, teacher=people["周小燕"])
    build_intake(city=city)
    build_oversight(city=city, county=county, school=school)
    build_evaluation(city=city, county=county, school=school, school2=school2)
    return {
        "ledger": ledger,
        "password": PASSWORD,
        "units": {
            "city": city.pk,
            "county": county.pk,
            "other_county": other_county.pk,
            "school": school.pk,
            "school2": school2.pk,
            "other_school": other_school.pk,
        },
        "phones": [p[4] for p in SCHOOL_PEOPLE] + ["13566667777", "13288889999", "13100002222"],
    }


# The bureau admin signs in with a dynamic code (TOTP); the ledger tests compute it from this.
BUREAU_TOTP_SECRET = "QFE2EBUREAUADMINTOTPSECRET234567"
# Problems already in the ledger, registered and assigned by the county admin: (unit, title,
# deadline in working days from today, negative = overdue, responsible = the teacher).
LEDGER_PROBLEMS = [
    ("school", "会议过多挤占教学时间", -3, False),
    ("school", "课后服务收费未公示", -1, True),
    ("school", "教师节收受家长购物卡", 2, True),
    ("school", "作业布置量超标", 8, True),
    ("school2", "推荐学生购买指定教辅", 12, False),
    ("school2", "午休时间组织有偿辅导", 25, False),
]


def build_ledger(*, city: Any, school: Any, school2: Any, teacher: Any) -> dict[str, Any]:
    """Ledger accounts and data: the teacher (周小燕) signs in, a bureau admin with a
    dynamic code, and a few assigned problems with red, yellow and green lights."""
    from django.db import transaction
    from django.utils import timezone

    from qingfeng.core.calendar import get_calendar
    from qingfeng.ledger import actions as ledger_actions
    from qingfeng.ledger.models import Category, Problem
    from qingfeng.orgs import actions
    from qingfeng.orgs.models import Role, User

    def account(person: Any, username: str, role: str, scope: Any) -> Any:
        user = actions.check_create_account(
            person, actor=None, username=username, password=PASSWORD, must_change=False
        )
        actions.do_grant_role(user, actor=None, role=role, unit=scope)
        return user

    with transaction.atomic():
        account(teacher, "teacher", Role.STAFF, school)
        bureau_person = actions.do_create_person(
            actor=None, unit=city, name="赵建国", post_type="civil", phone="13655556666"
        )
        bureau_admin = account(bureau_person, "bureau_admin", Role.BUREAU_ADMIN, city)
        actions.do_enable_totp(bureau_admin, secret=BUREAU_TOTP_SECRET)
        county_admin = User.objects.get(username="county_admin")
        category = Category.objects.get(name="教辅材料违规征订")
        today = timezone.localdate()
        ids = []
        for unit_key, title, days, by_teacher in LEDGER_PROBLEMS:
            problem = ledger_actions.check_create_problem(
                actor=county_admin,
                unit={"school": school, "school2": school2}[unit_key],
                measures=["立即整改", "建立长效机制"],
                list_kind=Problem.ListKind.PERSONAL if by_teacher else Problem.ListKind.LEADERSHIP,
                source=Problem.Source.SELF_CHECK,
                category=category,
                title=title,
                description=f"{title}，经自查发现。",
                rectification_type=Problem.RectificationType.TIME_LIMITED,
                deadline=get_calendar().add_workdays(today, days),
                responsible_person=teacher if by_teacher else None,
            )
            ids.append(ledger_actions.check_assign(problem, actor=county_admin).pk)
    return {"problems": ids}


# The public channel's staff: the campaign office accepts and assigns tickets (no dynamic code
# needed for that role), the hotline operator enters calls; both over the whole city. The
# county's admin (county_admin) handles what is assigned to the county.
INTAKE_ACCOUNTS = {
    "intake_office": ("专项办受理员", "campaign_office"),
    "hotline": ("热线接线员", "hotline_operator"),
}


def build_intake(*, city: Any) -> None:
    """Accounts of the public channel. The ticket categories come with the migrations; the
    test checks that the form offers them."""
    from django.db import transaction

    from qingfeng.intake.models import TicketCategory
    from qingfeng.orgs import actions

    if not TicketCategory.objects.filter(is_active=True).exists():
        raise RuntimeError("the intake migrations did not fill the ticket categories")
    with transaction.atomic():
        for username, (label, role) in INTAKE_ACCOUNTS.items():
            person = actions.do_create_person(actor=None, unit=city, name=label, post_type="civil")
            user = actions.check_create_account(
                person, actor=None, username=username, password=PASSWORD, must_change=False
            )
            actions.do_grant_role(user, actor=None, role=role, unit=city)


# Per screen size a supervision group whose leader signs in with a dynamic code of their own
# (supervisors need one), so the two sizes never wait for each other's code step.
SUPERVISOR_TOTP_SECRETS = {
    "desktop": "QFE2ESUPERVISORDESKTOPSECRETABCD",
    "phone": "QFE2ESUPERVISORPHONESECRETABCDEF",
}


# Per screen size an inspection round's team leader, with a dynamic code of their own.
INSPECTOR_TOTP_SECRETS = {
    "desktop": "QFE2EINSPECTORDESKTOPSECRETABCDE",
    "phone": "QFE2EINSPECTORPHONESECRETABCDEFG",
}
# The rest of each round's team (never signed in): 副组长 and three members.
ROUND_TEAM = ("沈丽华", "韦国强", "秦玉兰", "尤振华")


def round_name(size: str) -> str:
    return f"市委第二巡察组对东城区实验小学的巡察（{size}）"


def build_oversight(*, city: Any, county: Any, school: Any) -> None:
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone

    from qingfeng.orgs import actions
    from qingfeng.orgs.models import Role, User
    from qingfeng.oversight import actions as oversight

    office = User.objects.get(username="intake_office")

    def login(name: str, username: str, unit: Any, role: str | None, secret: str = "") -> Any:
        person = actions.do_create_person(actor=None, unit=unit, name=name, post_type="civil")
        user = actions.check_create_account(
            person, actor=None, username=username, password=PASSWORD, must_change=False
        )
        if role is not None:
            actions.do_grant_role(user, actor=None, role=role, unit=unit)
        if secret:
            actions.do_enable_totp(user, secret=secret)
        return user

    with transaction.atomic():
        for size, secret in SUPERVISOR_TOTP_SECRETS.items():
            supervisor = login(f"督导员{size}", f"supervisor_{size}", city, Role.SUPERVISOR, secret)
            oversight.check_create_group(
                actor=office,
                owner=city,
                name=f"第一督导组（{size}）",
                leader=supervisor,
                members=[],
                regions=[county],
                stages=[],
            )
            # A people's congress deputy observing 东城区 (no second factor: not a staff role).
            observer = login(f"观察员{size}", f"observer_{size}", county, None)
            oversight.check_appoint_observer(
                actor=office, user=observer, area=county, kind="deputy", affiliation="区人大代表"
            )
        team = [
            login(name, f"inspector_{i}", city, Role.INSPECTOR)
            for i, name in enumerate(ROUND_TEAM, start=1)
        ]
        today = timezone.localdate()
        for size, secret in INSPECTOR_TOTP_SECRETS.items():
            # A round stationed at the school for five days, led by this size's inspector.
            leader = login(f"巡察组长{size}", f"inspector_{size}", city, Role.INSPECTOR, secret)
            round_ = oversight.check_create_round(
                actor=office,
                owner=city,
                name=round_name(size),
                mandate="了解落实全面从严治党主体责任、整治群众身边不正之风情况",
                starts_on=today - timedelta(days=5),
                ends_on=today + timedelta(days=34),
                duty_phone="0421-7654321",
                postbox="东城区实验小学传达室巡察意见箱",
                targets=[school],
            )
            oversight.check_set_team(
                round_, actor=office, leader=leader, deputies=team[:1], members=team[1:]
            )
            for member in [leader, *team]:
                oversight.check_sign_declaration(round_, user=member, text="与被巡察单位无利害关系")
            oversight.check_advance_round(round_, actor=office)  # 进驻
            oversight.check_advance_round(round_, actor=office)  # 了解情况


def build_evaluation(*, city: Any, county: Any, school: Any, school2: Any) -> None:
    """A published round of 东城区's schools that sends no school back (the evaluation test
    closes its own round and finds its remedial round): 东城区第二中学 达标 (40 of 40),
    东城区实验小学 样本不足 (5 of 6). The observer's page shows it. And an open round of
    东城区's junior schools, the third-party assessor's work."""
    from qingfeng.evaluation import actions as evaluation
    from qingfeng.orgs.models import User

    office = User.objects.get(username="intake_office")
    round_ = evaluation.check_create_round(
        actor=office, owner=city, name="东城区学校群众满意度评议（第一轮）",
        kinds=["school"], area=county,
    )  # fmt: skip
    evaluation.check_open_round(round_, actor=office)
    types = ["parent", "student", "staff", "public"]
    for unit, levels in ((school2, [5, 4, 3, 5] * 10), (school, [5, 4, 4, 3, 5, 2])):
        for i, overall in enumerate(levels):
            evaluation.check_submit_rating(
                unit,
                respondent_type=types[i % 4],
                overall=overall,
                answers={"师德师风": [5, 4, 3][i % 3], "规范收费": [5, 4, 3, 5, 4][i % 5]},
                idempotency_key=f"e2e-published-{unit.pk}-{i:04d}",
                seconds=25 + i % 20,
            )
    evaluation.check_close_round(round_, actor=office)
    evaluation.check_publish_round(round_, actor=office)
    # Open, not published: 东城区's junior schools (东城区第二中学 alone, so the rating tests'
    # own rounds stay the newest for 东城区实验小学), the assessor's work on their home card.
    second = evaluation.check_create_round(
        actor=office, owner=city, name="东城区初中群众满意度评议（第二轮）",
        kinds=["school"], stages=["junior"], area=county,
    )  # fmt: skip
    evaluation.check_open_round(second, actor=office)
    # The third-party assessor over 东城区 (on the city's roster, the body the bureau contracts):
    # the round's pages of 东城区's schools, nothing of the staff's.
    from qingfeng.orgs import actions as orgs
    from qingfeng.orgs.models import Role

    person = orgs.do_create_person(actor=None, unit=city, name="评估机构东城组", post_type="civil")
    assessor = orgs.check_create_account(
        person, actor=None, username="assessor", password=PASSWORD, must_change=False
    )
    orgs.do_grant_role(assessor, actor=None, role=Role.THIRD_PARTY, unit=county)


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qingfeng.settings")
    import django

    django.setup()
    print(json.dumps(build(), ensure_ascii=False))


if __name__ == "__main__":
    main()

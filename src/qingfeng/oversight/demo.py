"""Demo oversight for `make run` (`seed_demo_cases`), made through the app's own actions: a
supervision group over the demo county with a responsible supervisor at the demo school, a
completed stratified draw with its certificate whose targets are sealed visits pending for
tomorrow, and one visit done today at the demo school with findings in the ledger."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.utils import timezone

from qingfeng.orgs import actions as org_actions
from qingfeng.orgs.models import Person, Role, RoleAssignment, Unit, User
from qingfeng.oversight import actions
from qingfeng.oversight.models import Group


def has_data() -> bool:
    return Group.objects.exists()


def _unit_of(username: str, role: str) -> Unit:
    return RoleAssignment.objects.get(user__username=username, role=role, revoked_at=None).unit


def _colleagues(person: Person, role: str, count: int, prefix: str, root: Unit) -> list[User]:
    """Accounts for people of the same department (they change the password at first login)."""
    made = []
    for i, other in enumerate(
        Person.objects.filter(unit=person.unit, user__isnull=True, is_active=True).order_by("pk")[
            :count
        ]
    ):
        user = org_actions.check_create_account(
            other,
            actor=None,
            username=f"{prefix}{i + 2}",
            password=org_actions.temporary_password(),
        )
        org_actions.do_grant_role(user, actor=None, role=role, unit=root)
        made.append(user)
    return made


def demo_lines() -> list[str]:
    bureau_user = User.objects.get(username="demo_bureau")
    supervisor = User.objects.get(username="demo_supervisor")
    root = _unit_of("demo_supervisor", Role.SUPERVISOR)
    county = _unit_of("demo_county", Role.UNIT_ADMIN)
    school = _unit_of("demo_school", Role.UNIT_ADMIN)
    members = _colleagues(supervisor.person, Role.SUPERVISOR, 5, "demo_supervisor", root)
    office = _colleagues(bureau_user.person, Role.CAMPAIGN_OFFICE, 1, "demo_office", root)
    group = actions.check_create_group(
        actor=bureau_user,
        owner=root,
        name="专项督导第一组",
        leader=supervisor,
        members=members,
        regions=[county],
        stages=[],
    )
    actions.check_attach_school(group, actor=bureau_user, supervisor=supervisor, school=school)
    draw = actions.check_commit_draw(
        actor=bureau_user,
        owner=root,
        name=f"{county.name}学校四不两直随机抽查",
        purpose="visit",
        value_note="承诺公布后下一期福利彩票3D开奖号码；次日上证指数收盘点位",
        percent=10,
        stratify=True,
        weighted=True,
        inspectors_per_target=2,
        counties=[county.pk],
        group=group,
    )
    actions.check_enter_value(draw, actor=bureau_user, value="371", source="福彩3D 演示期")
    actions.check_enter_value(
        draw, actor=office[0] if office else bureau_user, value="3389.42", source="上证指数 演示日"
    )
    tomorrow = timezone.localdate() + timedelta(days=1)
    start = timezone.make_aware(datetime.combine(tomorrow, time(9, 0)))
    sealed = actions.plan_visits_from_draw(
        draw,
        actor=bureau_user,
        group=group,
        planned_start=start,
        checklist_items=["discipline", "fees", "materials", "canteen"],
    )
    visit = actions.check_plan_visit(
        actor=bureau_user,
        group=group,
        unit=school,
        planned_start=timezone.now() + timedelta(minutes=5),
        team=members[:1],
        checklist_items=["discipline", "fees", "materials", "ethics"],
    )
    actions.check_start_visit(visit, actor=supervisor)
    actions.check_save_record(
        visit,
        actor=supervisor,
        met="校长、分管副校长、总务主任",
        checklist={"discipline": "problem", "fees": "problem", "materials": "ok", "ethics": "ok"},
        summary="随机走访教学楼三层、查看收费公示栏和教辅征订台账。",
    )
    actions.check_add_finding(
        visit,
        actor=supervisor,
        item="fees",
        text="收费公示栏仍为上学期项目，未公示本学期代收费标准",
    )
    actions.check_add_finding(
        visit,
        actor=supervisor,
        item="discipline",
        text="上课时间一名教师在办公室浏览购物网站",
        fixed_on_spot=True,
        fix_note="当场提醒，学校已约谈并在教师会上通报",
    )
    actions.check_finish_visit(visit, actor=supervisor)
    return [
        f"督导: {group.name}, 抽取 {draw.number}（{len(sealed)} 个密封督导待明日开展）, "
        f"已完成督导 {visit.number}（2 个问题已转入台账）",
    ]

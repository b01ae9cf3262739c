"""Demo oversight for `make run` (`seed_demo_cases`), made through the app's own actions: a
supervision group over the demo county with a responsible supervisor at the demo school, a
completed stratified draw with its certificate whose targets are sealed visits pending for
tomorrow, one visit done today at the demo school with findings in the ledger, a round in
progress, and the county's three observers (人大代表, 家长代表, 媒体记者): the deputy
(`demo_observer`) invited to the visit and the round, the parent's suggestion a ticket."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.utils import timezone

from qingfeng.core import registry
from qingfeng.orgs import actions as org_actions
from qingfeng.orgs.demo import DEMO_PASSWORD
from qingfeng.orgs.models import Person, Role, RoleAssignment, Unit, User
from qingfeng.oversight import actions
from qingfeng.oversight.models import Group, Observer, Round, Visit

OBSERVER_LOGIN = "demo_observer"
LOGINS_HELP = f"""
  {OBSERVER_LOGIN}   作风建设观察员（人大代表，观察演示县区）/ observer (people's deputy) of the demo county
"""
# (login, name, kind, affiliation): the observers' team of the campaign speech.
OBSERVERS = (
    (OBSERVER_LOGIN, "韩淑芬", Observer.Kind.DEPUTY, "县人大代表、城关街道新华社区党委书记"),
    ("demo_observer2", "吕建国", Observer.Kind.PARENT, "县家长委员会副主任"),
    ("demo_observer3", "丁雪", Observer.Kind.JOURNALIST, "县融媒体中心记者"),
)


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
    round_ = _demo_round(bureau_user, [supervisor, *members], county, school)
    observers = _demo_observers(bureau_user, county, school, visit, round_)
    return [
        f"督导: {group.name}, 抽取 {draw.number}（{len(sealed)} 个密封督导待明日开展）, "
        f"已完成督导 {visit.number}（2 个问题已转入台账）; 巡察 {round_.number}（{round_.get_status_display()}）; "
        f"观察员 {len(observers)} 名（{OBSERVER_LOGIN} 可登录）",
    ]


def _demo_observers(
    office: User, county: Unit, school: Unit, visit: Visit, round_: Round
) -> list[Observer]:
    """The county's observers, appointed by the office. The deputy joined today's visit and is
    invited to the round's open activities; the parent raised a suggestion (a ticket of the
    channel 观察员建议), the deputy's login uses the demo password."""
    made = []
    for username, name, kind, affiliation in OBSERVERS:
        person = org_actions.do_create_person(
            actor=None, unit=county, name=name, post_type=Person.PostType.OTHER
        )
        user = org_actions.check_create_account(
            person,
            actor=None,
            username=username,
            password=DEMO_PASSWORD
            if username == OBSERVER_LOGIN
            else org_actions.temporary_password(),
            must_change=username != OBSERVER_LOGIN,
        )
        made.append(
            actions.check_appoint_observer(
                actor=office, user=user, area=county, kind=kind, affiliation=affiliation
            )
        )
    deputy, parent = made[0], made[1]
    actions.check_invite_observer(deputy, actor=office, visit=visit, note="随督导组到校观察")
    actions.check_invite_observer(
        deputy, actor=office, round_=round_, note="列席巡察进驻动员会并参加公开接访"
    )
    sink = registry.complaint_sink()
    if sink is not None and sink.categories():
        categories = sink.categories()
        fees = next((pk for pk, label in categories if "收费" in label), categories[0][0])
        actions.check_raise_suggestion(
            actor=parent.user,
            unit=school,
            category_id=fees,
            title="建议公示课后服务收费明细",
            text="家长群里对课后服务收费有疑问，建议学校在公示栏和家长群公示收费标准、"
            "服务内容和退费办法，并说明收费依据。",
            idempotency_key="demo0observer0suggestion0000001",
        )
    return made


def _demo_round(office: User, team: list[User], county: Unit, school: Unit) -> Round:
    """A 40-day round in progress: the county bureau and the demo school as fixed targets,
    the team stationed, a document request and an immediate fix at the school."""
    today = timezone.localdate()
    round_ = actions.check_create_round(
        actor=office,
        owner=Unit.objects.get(pk=county.ancestor_ids()[0]),
        name=f"第一巡察组对{county.name}的巡察",
        mandate="了解贯彻中央八项规定精神、整治群众身边不正之风和腐败问题情况",
        starts_on=today - timedelta(days=8),
        ends_on=today + timedelta(days=31),
        duty_phone="0421-7654321",
        postbox=f"{county.name}一楼大厅巡察意见箱",
        targets=[county, school],
    )
    actions.check_set_team(
        round_, actor=office, leader=team[1], deputies=team[2:3], members=team[3:6]
    )
    for member in round_.members.all():
        actions.check_sign_declaration(round_, user=member.user, text="无利害关系")
    actions.check_advance_round(round_, actor=office)
    actions.check_advance_round(round_, actor=office)
    actions.check_request_documents(
        round_,
        actor=team[1],
        unit=school,
        what="2025年以来公务接待、公务用车台账及票据",
        due_on=today + timedelta(days=3),
    )
    school_admin = User.objects.get(username="demo_school")
    actions.check_add_reception_member(
        round_, actor=school_admin, unit=school, name=str(school_admin), position="", role="leader"
    )
    actions.check_self_check(
        round_,
        actor=school_admin,
        unit=school,
        text="办公室电脑工作时间浏览与工作无关的网页",
        fix_note="已安装上网行为管理并在教职工会上通报",
    )
    return round_

"""The demo campaign for `make run` (`seed_demo_cases`): the seed campaign with its tasks by
category, plans from the demo county's schools (one approved, one waiting), the last weeks'
reports of the demo county (filed, late, missing), its dispatch meetings, rules and open-door
activities (a reception day held, one announced) — made through the app's actions."""

from __future__ import annotations

from datetime import date, time, timedelta

from django.utils import timezone

from qingfeng.campaigns import actions, registers
from qingfeng.campaigns.models import Activity, Campaign, Rule
from qingfeng.campaigns.registers import FiledMatter
from qingfeng.campaigns.rhythm import week_of
from qingfeng.core import registry
from qingfeng.orgs.models import Role, RoleAssignment, Unit, User


def seed_demo_campaign() -> tuple[Campaign, FiledMatter | None]:
    bureau_user = User.objects.get(username="demo_bureau")
    county_admin = User.objects.get(username="demo_county")
    county = RoleAssignment.objects.get(
        user=county_admin, role=Role.UNIT_ADMIN, revoked_at=None
    ).unit
    owner = Unit.objects.get(pk=county.ancestor_ids()[0])
    today = timezone.localdate()
    # From last month's first Monday at the latest: last month's bulletin reads its weeks.
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    start = min(week_of(today) - timedelta(weeks=5), week_of(last_month + timedelta(days=6)))
    campaign = actions.check_create_seed_campaign(actor=bureau_user, owner=owner, start=start)
    _demo_rhythm(campaign, county_admin, start)
    return campaign, _demo_registers(campaign, county_admin)


def _demo_rhythm(campaign: Campaign, county_admin: User, start: date) -> None:
    """The demo school's plan (approved by its county) and the reports of the weeks since the
    start: the school on time, late the week before last, last week's missing, this week's not
    yet due; the county's own on time; the rest missing."""
    school_admin = User.objects.get(username="demo_school")
    school = RoleAssignment.objects.get(
        user=school_admin, role=Role.UNIT_ADMIN, revoked_at=None
    ).unit
    county = RoleAssignment.objects.get(
        user=county_admin, role=Role.UNIT_ADMIN, revoked_at=None
    ).unit
    plan = actions.check_submit_plan(
        campaign,
        unit=school,
        actor=school_admin,
        points="成立工作专班；每月校长接待日；教辅材料征订自查；家长满意度季度回访。",
    )
    actions.check_decide_plan(plan, actor=county_admin, approve=True, reason="")
    this_week = week_of(timezone.localdate())
    for weeks_ago in range((this_week - week_of(start)).days // 7, 0, -1):
        week = this_week - timedelta(weeks=weeks_ago)
        late_by = 3 if weeks_ago == 2 else 0
        due = actions.report_due(campaign, week)
        for unit, admin in ((school, school_admin), (county, county_admin)):
            if unit == school and weeks_ago == 1:
                continue  # missing: the school has not filed last week yet
            actions.check_file_report(
                campaign,
                unit=unit,
                week_start=week,
                actor=admin,
                narrative="本周召开作风建设专题会议，推进问题整改，按期回复群众反映。",
                next_week="开展校长接待日；督促红灯问题整改。",
                today=due + timedelta(days=late_by if unit == school else 0),
            )


def _demo_registers(campaign: Campaign, county_admin: User) -> FiledMatter | None:
    """The county's two dispatch meetings (the second opens with the first's items, one done),
    a rule each, the school's reception day held two weeks ago with a matter filed as a ticket,
    its next one announced (the public notice), and a county cadre's home visit."""
    school_admin = User.objects.get(username="demo_school")
    school = RoleAssignment.objects.get(
        user=school_admin, role=Role.UNIT_ADMIN, revoked_at=None
    ).unit
    county = RoleAssignment.objects.get(
        user=county_admin, role=Role.UNIT_ADMIN, revoked_at=None
    ).unit
    today = timezone.localdate()
    first_day, second_day = today - timedelta(days=14), today - timedelta(days=7)
    first = registers.check_hold_meeting(
        campaign,
        actor=county_admin,
        unit=county,
        held_on=first_day,
        title=f"{county.name}作风建设专项第一次调度会",
        attendees="区教育局党组成员、各科室负责人、各校校长",
        summary="通报上周问题整改进展，部署校长接待日和教辅材料征订自查。",
        items=[
            ("公示课后服务收费标准", school, first_day + timedelta(days=5)),
            ("开展教辅材料征订自查并报送结果", school, first_day + timedelta(days=10)),
        ],
    )
    registers.check_close_item(
        first.items.order_by("id")[0], actor=school_admin, note="已在校门口和家长群公示"
    )
    registers.check_hold_meeting(
        campaign,
        actor=county_admin,
        unit=county,
        held_on=second_day,
        title=f"{county.name}作风建设专项第二次调度会",
        attendees="同上",
        items=[("红灯问题逐项明确责任人", county, second_day + timedelta(days=7))],
    )
    registers.check_adopt_rule(
        actor=school_admin, unit=school, title="课后服务收费公示制度", kind=Rule.Kind.NEW,
        adopted_on=first_day + timedelta(days=3), answers="课后服务收费标准不公开",
    )  # fmt: skip
    registers.check_adopt_rule(
        actor=county_admin, unit=county, title="干部作风问题约谈办法（修订）",
        kind=Rule.Kind.REVISED, adopted_on=second_day, answers="约谈后整改不到位",
    )  # fmt: skip
    held = registers.check_record_activity(
        actor=school_admin, unit=school, kind=Activity.Kind.RECEPTION, held_on=first_day,
        place="行政楼一楼接待室", cadre="校长", found="接待家长 5 人次，反映课后服务收费和午餐质量。",
    )  # fmt: skip
    sink = registry.complaint_sink()
    categories = sink.categories() if sink is not None else []
    filed = None
    if categories:
        filed = registers.check_file_matter(
            held, actor=school_admin, category_id=categories[0][0], kind="suggestion",
            title="午餐菜品单一", text="家长反映学校午餐菜品单一，希望每周公布菜谱并听取家长意见。",
        )  # fmt: skip
    registers.check_plan_activity(
        actor=school_admin, unit=school, kind=Activity.Kind.RECEPTION,
        held_on=today + timedelta(days=7), starts_at=time(14, 30), ends_at=time(17),
        place="行政楼一楼接待室", cadre="校长",
        how_to_come="无需预约，到校门口登记后由值班老师引导；不便到场可扫码网上反映。",
        contact="0571-8888 0000",
    )  # fmt: skip
    registers.check_record_activity(
        actor=county_admin, unit=county, kind=Activity.Kind.HOME_VISIT,
        held_on=second_day, place=f"{school.name}学生家", cadre="区教育局副局长",
        found="家长反映放学后托管时间偏短。",
    )  # fmt: skip
    return filed


def demo_lines() -> list[str]:
    campaign, filed = seed_demo_campaign()
    lines = [
        f"已载入演示专项工作“{campaign.name}”，{campaign.tasks.count()} 项任务 / "
        "loaded the demo campaign and its tasks"
    ]
    if filed is not None:  # the reception day's ticket, followed like the channel's own
        lines.append(f"  接待日反映 {filed.matter.ticket}：{filed.receipt}")
    return lines


def has_campaigns() -> bool:
    return Campaign.objects.exists()

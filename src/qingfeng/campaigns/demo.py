"""The demo campaign for `make run` (`seed_demo_cases`): the seed campaign with its tasks by
category, plans from the demo county's schools (one approved, one waiting), and the last
weeks' reports of the demo county (filed, late, missing) — made through the app's actions."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone

from qingfeng.campaigns import actions
from qingfeng.campaigns.models import Campaign
from qingfeng.campaigns.rhythm import week_of
from qingfeng.orgs.models import Role, RoleAssignment, Unit, User


def seed_demo_campaign() -> Campaign:
    bureau_user = User.objects.get(username="demo_bureau")
    county_admin = User.objects.get(username="demo_county")
    county = RoleAssignment.objects.get(
        user=county_admin, role=Role.UNIT_ADMIN, revoked_at=None
    ).unit
    owner = Unit.objects.get(pk=county.ancestor_ids()[0])
    today = timezone.localdate()
    start = week_of(today) - timedelta(weeks=5)
    campaign = actions.check_create_seed_campaign(actor=bureau_user, owner=owner, start=start)
    _demo_rhythm(campaign, county_admin, start)
    return campaign


def _demo_rhythm(campaign: Campaign, county_admin: User, start: date) -> None:
    """The demo school's plan (approved by its county) and the last weeks' reports: the school
    on time, then late, this week's not yet due; the county's own on time; the rest missing."""
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
    for weeks_ago, late_by in ((4, 0), (3, 0), (2, 3), (1, 0)):
        week = week_of(timezone.localdate()) - timedelta(weeks=weeks_ago)
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


def demo_lines() -> list[str]:
    campaign = seed_demo_campaign()
    return [
        f"已载入演示专项工作“{campaign.name}”，{campaign.tasks.count()} 项任务 / "
        "loaded the demo campaign and its tasks"
    ]


def has_campaigns() -> bool:
    return Campaign.objects.exists()

"""The campaign's API (/api/campaigns/): the campaigns and a week's dispatch roll-up, through
the same selectors and policy as the pages."""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.errors import HttpError

from qingfeng.campaigns import actions, selectors
from qingfeng.campaigns.permissions import can
from qingfeng.campaigns.rhythm import week_of
from qingfeng.lib.dates import parse_date
from qingfeng.orgs.models import User

router = Router(tags=["campaigns"])


class CampaignErrorOut(Schema):
    detail: str


class CampaignSummaryOut(Schema):
    id: int
    name: str
    owner_name: str
    starts_on: date
    ends_on: date


class CampaignUnitWeekOut(Schema):
    unit_id: int
    unit_name: str
    state: str = Field(..., description="on_time 按时报送 · late 逾期报送 · missing 未报送")
    report_id: int | None
    status: str = Field("", description="filed 已报送 · approved 已审核 · returned 已退回")


class CampaignWeekOut(Schema):
    week_start: date
    due_on: date
    expected: int
    filed: int
    on_time: int
    reporting_rate: float | None = Field(..., description="已报 ÷ 应报 × 100")
    on_time_rate: float | None = Field(..., description="按时报送 ÷ 应报 × 100")
    totals: dict[str, int] = Field(..., description="已报周报的数据合计（含更正）")
    units: list[CampaignUnitWeekOut]


def _user(request: HttpRequest) -> User:
    user = cast("User", request.user)
    if not can(user, "view"):
        raise HttpError(403, _("没有查看专项工作的权限"))
    return user


@router.get(
    "/",
    url_name="campaigns_list",
    response={200: list[CampaignSummaryOut], 403: CampaignErrorOut},
    summary="专项工作",
)
def campaigns(request: HttpRequest) -> Any:
    return [
        {
            "id": c.pk,
            "name": c.name,
            "owner_name": c.owner.name,
            "starts_on": c.starts_on,
            "ends_on": c.ends_on,
        }
        for c in selectors.campaigns_visible_to(_user(request))[:200]
    ]


@router.get(
    "/{campaign_id}/weekly",
    url_name="campaigns_weekly",
    response={
        200: CampaignWeekOut,
        400: CampaignErrorOut,
        403: CampaignErrorOut,
        404: CampaignErrorOut,
    },
    summary="周调度汇总（按查看者范围）",
    description="week 为该周任一天（YYYY-MM-DD），不填为本周。",
)
def weekly(request: HttpRequest, campaign_id: int, week: str = "") -> Any:
    user = _user(request)
    try:
        campaign = selectors.get_campaign_for_user(user, campaign_id)
    except Http404:
        raise HttpError(404, _("专项工作不存在")) from None
    day = parse_date(week) if week else timezone.localdate()
    if day is None:
        raise HttpError(400, _("周次须为日期，如 2026-11-02"))
    start = week_of(day)
    roll = selectors.rollup(campaign, selectors.scope_units(user, campaign), start)
    return {
        "week_start": start,
        "due_on": actions.report_due(campaign, start),
        "expected": roll.expected,
        "filed": roll.filed,
        "on_time": roll.on_time,
        "reporting_rate": roll.reporting_rate,
        "on_time_rate": roll.on_time_rate,
        "totals": roll.totals,
        "units": [
            {
                "unit_id": row.unit.pk,
                "unit_name": row.unit.name,
                "state": row.state,
                "report_id": row.report.pk if row.report else None,
                "status": row.report.status if row.report else "",
            }
            for row in roll.rows
        ],
    }

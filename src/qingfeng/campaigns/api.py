"""The campaign's API (/api/campaigns/): the campaigns, a week's dispatch roll-up, and the
registers — dispatch meetings and their agreed items, the rules register, open-door and
grassroots activities with the matters raised there filed as tickets — through the same
selectors, policy and actions as the pages."""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from qingfeng.campaigns import actions, files, registers, selectors
from qingfeng.campaigns.evidence import progress
from qingfeng.campaigns.models import Activity, CampaignFile, MeetingItem, Rule
from qingfeng.campaigns.permissions import acts_for, can
from qingfeng.campaigns.rhythm import week_of
from qingfeng.core.api import answers, refusals, scoped
from qingfeng.lib.dates import parse_date
from qingfeng.orgs.models import User
from qingfeng.orgs.selectors import scope_root_units

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


class CampaignFileOut(Schema):
    id: int
    name: str
    size: int
    uploaded_at: str
    url: str = Field(..., description="下载地址（按查看者范围）")


class CampaignPlanOut(Schema):
    id: int
    name: str
    plan_points: str = Field(..., description="实施方案要点")
    files: list[CampaignFileOut] = Field(..., description="实施方案文件（Word 或 PDF）")


class CampaignTaskOut(Schema):
    task_id: int
    title: str
    kind: str = Field(..., description="common 共性要求 · individual 个性指标")
    due_on: date
    evidence: str = Field(
        ...,
        description="plan 实施方案获批 · weekly 按时报送周报 · confirm 单位确认完成 · "
        "upload 上传佐证材料 · session 举行学习（evidence_option 为学习类型代码）· "
        "closed 问题清单整改销号（evidence_option 为清单）",
    )
    evidence_option: str
    evidence_label: str
    done: int = Field(..., description="已达到（系统记录中的次数或已销号问题数）")
    whole: int = Field(..., description="须达到")
    reached: bool = Field(..., description="是否已完成")


def _file_out(row: CampaignFile) -> dict[str, Any]:
    return {
        "id": row.pk,
        "name": row.original_name,
        "size": row.size,
        "uploaded_at": timezone.localtime(row.uploaded_at).isoformat(),
        "url": reverse("campaigns:file", args=[row.pk]),
    }


@router.get(
    "/{campaign_id}/plan",
    url_name="campaigns_plan",
    response=answers(CampaignPlanOut, CampaignErrorOut),
    summary="专项工作实施方案（要点和文件）",
)
def plan(request: HttpRequest, campaign_id: int) -> Any:
    user = _user(request)
    campaign = scoped(
        lambda: selectors.get_campaign_for_user(user, campaign_id), _("专项工作不存在")
    )
    return {
        "id": campaign.pk,
        "name": campaign.name,
        "plan_points": campaign.plan_points,
        "files": [_file_out(f) for f in campaign.files.all()],
    }


_ONE_DOCUMENT = {
    "requestBody": {
        "required": True,
        "content": {
            # JSON has no file: it is refused with the reason (400), as the page would.
            "application/json": {"schema": {"type": "object", "properties": {}}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "title": "实施方案文件（Word .docx 或 PDF，不超过 20 MB）",
                        }
                    },
                    "required": ["file"],
                }
            },
        },
    }
}


@router.post(
    "/{campaign_id}/plan/files",
    url_name="campaigns_plan_file",
    response=answers(CampaignFileOut, CampaignErrorOut, status=201),
    summary="上传专项工作实施方案文件（牵头单位管理员或专项办）",
    description="multipart/form-data，file 字段一个 Word（.docx）或 PDF 文件。",
    openapi_extra=_ONE_DOCUMENT,
)
def plan_file(request: HttpRequest, campaign_id: int) -> Any:
    user = _user(request)
    campaign = scoped(
        lambda: selectors.get_campaign_for_user(user, campaign_id), _("专项工作不存在")
    )
    if not can(user, "report"):
        raise HttpError(403, _("没有上传实施方案的权限"))
    upload = request.FILES.get("file")
    if upload is None:
        raise HttpError(400, _("请选择要上传的文件"))
    with refusals():
        row = files.check_attach_file(campaign, actor=user, upload=upload)
    return Status(201, _file_out(row))


@router.get(
    "/{campaign_id}/tasks",
    url_name="campaigns_my_tasks",
    response=answers(list[CampaignTaskOut], CampaignErrorOut),
    summary="本单位的任务清单和完成进度",
    description="完成进度依据系统中已有的记录（学习举行、问题销号、周报报送），"
    "只有系统无法体现时才依据上传或确认。非单位管理员为空列表。",
)
def my_tasks(request: HttpRequest, campaign_id: int) -> Any:
    user = _user(request)
    campaign = scoped(
        lambda: selectors.get_campaign_for_user(user, campaign_id), _("专项工作不存在")
    )
    own = [u for u in scope_root_units(user) if acts_for(user, u)]
    rows = list(selectors.assignments_of(own[0], campaign)) if own else []
    shown = progress(rows)
    return [
        {
            "task_id": a.task_id,
            "title": a.task.title,
            "kind": a.task.kind,
            "due_on": a.task.due_on,
            "evidence": a.task.evidence,
            "evidence_option": a.task.evidence_option,
            "evidence_label": a.task.evidence_label,
            "done": shown[a.pk].done,
            "whole": shown[a.pk].whole,
            "reached": shown[a.pk].reached,
        }
        for a in rows
    ]


@router.get(
    "/{campaign_id}/weekly",
    url_name="campaigns_weekly",
    response=answers(CampaignWeekOut, CampaignErrorOut),
    summary="周调度汇总（按查看者范围）",
    description="week 为该周任一天（YYYY-MM-DD），不填为本周。",
)
def weekly(request: HttpRequest, campaign_id: int, week: str = "") -> Any:
    user = _user(request)
    campaign = scoped(
        lambda: selectors.get_campaign_for_user(user, campaign_id), _("专项工作不存在")
    )
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


# The registers: dispatch meetings and their agreed items, the rules register, open-door and
# grassroots activities — the caller's scope, as on the pages; writes through the same actions.


class CampaignItemOut(Schema):
    id: int
    text: str
    unit_id: int
    unit_name: str
    due_on: date
    status: str = Field(..., description="open 未完成 · done 已完成")
    note: str


class CampaignMeetingOut(Schema):
    id: int
    campaign_id: int
    unit_id: int
    unit_name: str
    held_on: date
    title: str
    attendees: str
    summary: str
    items: list[CampaignItemOut]


class CampaignItemDoneIn(Schema):
    note: str = Field(..., max_length=200, description="落实情况")


class CampaignRuleOut(Schema):
    id: int
    unit_id: int
    unit_name: str
    title: str
    kind: str = Field(..., description="new 新制定 · revised 修订")
    adopted_on: date
    answers: str
    problems: list[str] = Field(..., description="针对的台账问题编号")
    files: list[str] = Field(..., description="制度文本的下载地址")


class CampaignMatterOut(Schema):
    ticket: str = Field(..., description="直通车工单编号")
    title: str
    state: str = Field(..., description="工单当前状态（已受理、已办结 …）")


class CampaignActivityOut(Schema):
    id: int
    unit_id: int
    unit_name: str
    kind: str = Field(
        ..., description="reception 校长接待日 · open_week 机关开放周 · "
        "class_teacher 当一天班主任 · home_visit 跟一次家访"
    )  # fmt: skip
    status: str = Field(..., description="planned 已公告 · held 已举行 · cancelled 已取消")
    held_on: date
    ends_on: date | None
    starts_at: str | None = Field(..., description="HH:MM")
    ends_at: str | None
    place: str
    cadre: str
    how_to_come: str
    contact: str
    found: str
    raised: int
    notice_url: str = Field(..., description="公开公告地址（校长接待日、机关开放周）")
    matters: list[CampaignMatterOut]


class CampaignMatterIn(Schema):
    category_id: int = Field(..., description="反映类别（/api/intake/categories）")
    kind: str = Field("", description="complaint 投诉 · suggestion 意见建议 · report 举报")
    title: str = Field(..., max_length=100)
    text: str = Field(..., max_length=5000)


class CampaignMatterFiledOut(Schema):
    ticket: str
    receipt: str = Field(..., description="回执码，只返回这一次，交给反映人查询进度")


def _item_out(item: MeetingItem) -> dict[str, Any]:
    return {
        "id": item.pk,
        "text": item.text,
        "unit_id": item.unit_id,
        "unit_name": item.unit.name,
        "due_on": item.due_on,
        "status": item.status,
        "note": item.note,
    }


@router.get(
    "/meetings",
    url_name="campaigns_meetings",
    response={200: list[CampaignMeetingOut], 403: CampaignErrorOut},
    summary="调度会和议定事项",
)
def meetings(request: HttpRequest) -> Any:
    rows = selectors.meetings_in_scope(_user(request)).prefetch_related("items__unit")[:100]
    return [
        {
            "id": m.pk,
            "campaign_id": m.campaign_id,
            "unit_id": m.unit_id,
            "unit_name": m.unit.name,
            "held_on": m.held_on,
            "title": m.title,
            "attendees": m.attendees,
            "summary": m.summary,
            "items": [_item_out(i) for i in m.items.all()],
        }
        for m in rows
    ]


@router.post(
    "/items/{item_id}/done",
    url_name="campaigns_item_done",
    response=answers(CampaignItemOut, CampaignErrorOut),
    summary="报告议定事项落实情况",
)
def item_done(request: HttpRequest, item_id: int, body: CampaignItemDoneIn) -> Any:
    user = _user(request)
    item = scoped(lambda: selectors.get_item_for_user(user, item_id), _("议定事项不存在"))
    with refusals():
        registers.check_close_item(item, actor=user, note=body.note)
    return _item_out(item)


@router.get(
    "/rules",
    url_name="campaigns_rules",
    response={200: list[CampaignRuleOut], 403: CampaignErrorOut},
    summary="制度清单（建章立制）",
)
def rules(request: HttpRequest) -> Any:
    return [_rule_out(r) for r in selectors.rules_in_scope(_user(request))[:200]]


class CampaignRuleLinkIn(Schema):
    problems: list[str] = Field(..., max_length=100, description="台账问题编号")


@router.post(
    "/rules/{rule_id}/problems",
    url_name="campaigns_rule_link",
    response=answers(CampaignRuleOut, CampaignErrorOut),
    summary="为已登记的制度关联台账问题（建章立制）",
    description="只增不删；问题须是制度所属单位或其下属单位台账中的问题。",
)
def rule_link(request: HttpRequest, rule_id: int, body: CampaignRuleLinkIn) -> Any:
    user = _user(request)
    rule = scoped(lambda: selectors.get_rule_for_user(user, rule_id), _("制度不存在"))
    with refusals():
        registers.check_link_rule_problems(rule, actor=user, problem_numbers=body.problems)
    return _rule_out(selectors.get_rule_for_user(user, rule_id))


def _rule_out(r: Rule) -> dict[str, Any]:
    return {
        "id": r.pk,
        "unit_id": r.unit_id,
        "unit_name": r.unit.name,
        "title": r.title,
        "kind": r.kind,
        "adopted_on": r.adopted_on,
        "answers": r.answers,
        "problems": [p.number for p in r.problems.all()],
        "files": [reverse("campaigns:file", args=[f.pk]) for f in r.files.all()],
    }


def _activity_out(activity: Activity, *, matters: bool) -> dict[str, Any]:
    public = activity.is_public and bool(activity.how_to_come)
    return {
        "id": activity.pk,
        "unit_id": activity.unit_id,
        "unit_name": activity.unit.name,
        "kind": activity.kind,
        "status": activity.status,
        "held_on": activity.held_on,
        "ends_on": activity.ends_on,
        "starts_at": activity.starts_at.strftime("%H:%M") if activity.starts_at else None,
        "ends_at": activity.ends_at.strftime("%H:%M") if activity.ends_at else None,
        "place": activity.place,
        "cadre": activity.cadre,
        "how_to_come": activity.how_to_come,
        "contact": activity.contact,
        "found": activity.found,
        "raised": activity.raised,
        "notice_url": reverse("reception:notice", args=[activity.pk]) if public else "",
        "matters": [
            {"ticket": m.ticket, "title": m.title, "state": state}
            for m, state, _url in (selectors.matters_of(activity) if matters else [])
        ],
    }


def _activity(request: HttpRequest, activity_id: int) -> Activity:
    user = _user(request)
    return scoped(lambda: selectors.get_activity_for_user(user, activity_id), _("活动不存在"))


@router.get(
    "/activities",
    url_name="campaigns_activities",
    response={200: list[CampaignActivityOut], 403: CampaignErrorOut},
    summary="接待和下基层活动",
    description="每条活动的群众反映事项见 /activities/{id}。",
)
def activities(request: HttpRequest) -> Any:
    rows = selectors.activities_in_scope(_user(request))[:200]
    return [_activity_out(a, matters=False) for a in rows]


@router.get(
    "/activities/{activity_id}",
    url_name="campaigns_activity",
    response={200: CampaignActivityOut, 403: CampaignErrorOut, 404: CampaignErrorOut},
    summary="一次活动及其群众反映事项（工单）",
)
def activity(request: HttpRequest, activity_id: int) -> Any:
    return _activity_out(_activity(request, activity_id), matters=True)


@router.post(
    "/activities/{activity_id}/matters",
    url_name="campaigns_activity_matter",
    response=answers(CampaignMatterFiledOut, CampaignErrorOut, status=201),
    summary="把活动中群众反映的事项登记为直通车工单",
)
def activity_matter(request: HttpRequest, activity_id: int, body: CampaignMatterIn) -> Any:
    found = _activity(request, activity_id)
    with refusals():
        filed = registers.check_file_matter(
            found, actor=_user(request), category_id=body.category_id, kind=body.kind,
            title=body.title, text=body.text,
        )  # fmt: skip
    return Status(201, {"ticket": filed.matter.ticket, "receipt": filed.receipt})

"""The ledger endpoints' request and answer shapes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

import pydantic
from django.urls import reverse
from ninja import Field, Schema

from qingfeng.api.payloads import ErrorOut, named
from qingfeng.ledger import workflow
from qingfeng.ledger.models import (
    Evidence,
    Feedback,
    OfflinePublication,
    Problem,
    ProgressReport,
    Transition,
    Verification,
)
from qingfeng.ledger.permissions import available_actions
from qingfeng.lib.redact import redact
from qingfeng.orgs.models import User

MAX_PAGE = 200

# The OpenAPI document merges its schemas by name: without names of their own, the problem's
# Status and the feedback's Kind would be documented as the ticket's.
ProblemStatus = Annotated[Problem.Status, named(Problem.Status, "ProblemStatus")]
FeedbackKind = Annotated[Feedback.Kind, named(Feedback.Kind, "FeedbackKind")]
ProblemListKind = Annotated[Problem.ListKind, named(Problem.ListKind, "ProblemListKind")]
ProblemSource = Annotated[Problem.Source, named(Problem.Source, "ProblemSource")]
ProblemDimension = Annotated[Problem.Dimension, named(Problem.Dimension, "ProblemDimension")]
RectificationType = Annotated[
    Problem.RectificationType, named(Problem.RectificationType, "ProblemRectificationType")
]
ProblemLight = Annotated[Problem.Light, named(Problem.Light, "ProblemLight")]
VerificationOutcome = Annotated[
    Verification.Outcome, named(Verification.Outcome, "VerificationOutcome")
]


class NamedRefOut(Schema):
    id: int
    name: str


class ProblemOut(Schema):
    id: int
    number: str
    title: str
    list_kind: ProblemListKind
    source: ProblemSource
    category_id: int
    category_name: str = Field(..., alias="category.name")
    unit_id: int
    unit_name: str = Field(..., alias="unit.name")
    responsible_person_id: int | None
    responsible_person_name: str | None
    rectification_type: RectificationType
    deadline: date | None
    progress: int
    status: ProblemStatus
    status_label: str
    light: ProblemLight
    updated_at: datetime

    @staticmethod
    def resolve_responsible_person_name(obj: Problem) -> str | None:
        person = obj.responsible_person
        return person.name if person is not None else None

    @staticmethod
    def resolve_status_label(obj: Problem) -> str:
        return str(Problem.Status(obj.status).label)


class ProblemPage(Schema):
    items: list[ProblemOut]
    next_cursor: str | None = Field(
        None, description="下一页游标，原样传回 cursor 参数；为空表示已到最后一页"
    )


class MeasureOut(Schema):
    id: int
    text: str
    status: str
    status_label: str = Field(..., alias="get_status_display")


class ProblemTransitionOut(Schema):
    action: str
    action_label: str
    from_status: str
    to_status: str
    actor_name: str | None
    reason: str
    created_at: datetime

    @staticmethod
    def resolve_action_label(obj: Transition) -> str:
        return str(workflow.LABELS.get(obj.action, obj.action))

    @staticmethod
    def resolve_actor_name(obj: Transition) -> str | None:
        return str(obj.actor) if obj.actor is not None else None


class ProgressReportOut(Schema):
    id: int
    progress: int
    text: str
    reporter_name: str
    created_at: datetime

    @staticmethod
    def resolve_reporter_name(obj: ProgressReport) -> str:
        return str(obj.reporter)


class EvidenceOut(Schema):
    id: int
    report_id: int | None
    phase: str
    original_name: str
    content_type: str
    size: int
    sha256: str
    uploaded_by_name: str
    uploaded_at: datetime
    download_url: str

    @staticmethod
    def resolve_uploaded_by_name(obj: Evidence) -> str:
        return str(obj.uploaded_by)

    @staticmethod
    def resolve_download_url(obj: Evidence) -> str:
        # Served by the ledger pages, which check the problem's scope again.
        return reverse("ledger:evidence", args=[obj.pk])


class VerificationOut(Schema):
    outcome: str
    outcome_label: str = Field(..., alias="get_outcome_display")
    comment: str
    decided_by_name: str
    created_at: datetime

    @staticmethod
    def resolve_decided_by_name(obj: Verification) -> str:
        return str(obj.decided_by)


class ProblemFeedbackOut(Schema):
    kind: str
    kind_label: str = Field(..., alias="get_kind_display")
    text: str
    recipient_name: str | None
    created_by_name: str | None
    created_at: datetime

    @staticmethod
    def resolve_recipient_name(obj: Feedback) -> str | None:
        return obj.recipient.name if obj.recipient is not None else None

    @staticmethod
    def resolve_created_by_name(obj: Feedback) -> str | None:
        return str(obj.created_by) if obj.created_by is not None else None


class OfflinePublicationOut(Schema):
    id: int
    channel: str
    channel_label: str = Field(..., alias="get_channel_display")
    published_on: date
    summary: str
    original_name: str
    content_type: str
    size: int
    sha256: str
    status: str = Field(..., description="pending 待审核 / approved 已认可 / rejected 未认可")
    status_label: str = Field(..., alias="get_status_display")
    recorded_by_name: str
    recorded_at: datetime
    decided_by_name: str | None
    decided_at: datetime | None
    comment: str
    download_url: str

    @staticmethod
    def resolve_recorded_by_name(obj: OfflinePublication) -> str:
        return str(obj.recorded_by)

    @staticmethod
    def resolve_decided_by_name(obj: OfflinePublication) -> str | None:
        return str(obj.decided_by) if obj.decided_by is not None else None

    @staticmethod
    def resolve_download_url(obj: OfflinePublication) -> str:
        return reverse("ledger:publication", args=[obj.pk])


class ProblemDetailOut(ProblemOut):
    round_no: int
    serial: int
    source_ref: str
    dimension: str
    description: str
    cause: str
    goal: str
    responsible_leader: NamedRefOut | None
    cooperating_units: list[NamedRefOut]
    deadline_workdays: int | None
    parent_id: int | None
    weight: int

    @staticmethod
    def resolve_description(obj: Problem) -> str:
        # Numbers typed into a description (a parent's phone) are masked as on the page.
        return redact(obj.description)

    rules_adopted: str
    accountability: str
    disclosure: str
    remarks: str
    created_at: datetime
    assigned_at: datetime | None
    closed_at: datetime | None
    measures: list[MeasureOut]
    timeline: list[ProblemTransitionOut] = Field(..., alias="transitions")
    reports: list[ProgressReportOut]
    evidence: list[EvidenceOut]
    verifications: list[VerificationOut]
    feedback: list[ProblemFeedbackOut]
    offline_publications: list[OfflinePublicationOut] = Field(
        ..., description="线下公开（公示栏、校务公开、家长会通报等）；经局审核认可后算作公开"
    )
    allowed_actions: list[str] = Field(
        ..., description="当前账号此刻可对该问题执行的操作（与页面按钮一致）"
    )

    @staticmethod
    def resolve_allowed_actions(obj: Problem, context: dict[str, Any]) -> list[str]:
        return actions_for(context["request"].user, obj)


class LedgerFilterIn(Schema):
    unit: int | None = Field(None, description="单位 ID（含下级单位）")
    list_kind: ProblemListKind | None = None
    source: ProblemSource | None = None
    category: int | None = Field(None, description="问题类别 ID")
    status: ProblemStatus | None = Field(None, description="不填时不含已撤回的问题")
    light: Literal["red", "yellow", "green"] | None = None
    deadline_from: date | None = None
    deadline_to: date | None = None
    responsible: str = Field("", description="责任人姓名（包含）")
    q: str = Field("", description="问题概述、描述或编号中的文字")
    cursor: str = Field("", description="上一页返回的 next_cursor")
    limit: int = Field(50, ge=1, le=MAX_PAGE)

    @pydantic.field_validator(
        "unit",
        "list_kind",
        "source",
        "category",
        "status",
        "light",
        "deadline_from",
        "deadline_to",
        mode="before",
    )
    @classmethod
    def _blank_is_any(cls, value: object) -> object:
        # An empty field of a submitted filter form means "any", as on the ledger page.
        return None if value == "" else value


class CursorPageIn(Schema):
    cursor: str = Field("", description="上一页返回的 next_cursor")
    limit: int = Field(50, ge=1, le=MAX_PAGE)


class ProblemIn(Schema):
    list_kind: ProblemListKind
    source: ProblemSource
    source_ref: str = ""
    category_id: int
    dimension: ProblemDimension | None = None
    title: str
    description: str
    cause: str = ""
    goal: str = ""
    measures: list[str] = Field(..., description="整改措施，每项一条")
    unit_id: int = Field(..., description="责任单位 ID，须在本人登记范围内")
    cooperating_unit_ids: list[int] = []
    responsible_person_id: int | None = Field(
        None, description="责任人（人员 ID），须属责任单位或其上级单位"
    )
    responsible_leader_id: int | None = None
    rectification_type: RectificationType
    deadline: date | None = None
    deadline_workdays: int | None = Field(None, description="或：交办后的工作日数（1–250）")
    parent_id: int | None = Field(None, description="上级问题（领导班子或科室风险清单）")
    weight: int = 1
    remarks: str = ""


class ProblemAssignIn(Schema):
    requirement: str = Field("", description="整改要求告知；不填则按时限自动生成")


class ProgressReportIn(Schema):
    progress: int = Field(..., ge=0, le=100)
    text: str
    phase: Literal["before", "after", "other"] = "after"
    measures_done: list[int] = Field(
        default_factory=list, description="本次已完成的整改措施（措施 id；销号前须全部完成）"
    )


class ClosureRequestIn(Schema):
    text: str = Field(..., description="整改完成情况")


class VerificationIn(Schema):
    outcome: VerificationOutcome
    comment: str


class ProblemWithdrawIn(Schema):
    reason: str


class ProblemFeedbackIn(Schema):
    kind: FeedbackKind
    text: str


class OfflinePublicationIn(Schema):
    channel: Literal["notice_board", "school_affairs", "parent_meeting", "other"] = Field(
        ..., description="公示栏 / 校务公开 / 家长会通报 / 其他线下公开"
    )
    published_on: date = Field(..., description="公开日期，不晚于今天")
    summary: str = Field(..., description="公开内容摘要")


class OfflinePublicationDecisionIn(Schema):
    approve: bool = Field(..., description="true 认可；false 不认可（须填写 comment）")
    comment: str = ""


ERRORS: dict[int, type[Schema]] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


def actions_for(user: User, problem: Problem) -> list[str]:
    """What the caller can do now (the page shows the same forms); disclosure is page-only."""
    return [a for a in available_actions(user, problem) if a != "disclose"]

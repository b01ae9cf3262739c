"""The documents' API (/api/reports/): the bulletins and their data snapshots, through the
same selectors and policy as the pages."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, cast

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.errors import HttpError

from qingfeng.orgs.models import User
from qingfeng.reports import selectors
from qingfeng.reports.models import Bulletin
from qingfeng.reports.permissions import can

router = Router(tags=["reports"])


class ReportErrorOut(Schema):
    detail: str


class ReportBulletinOut(Schema):
    id: int
    number: str = Field(..., description="发文字号")
    title: str
    month: date
    status: str = Field(
        ..., description="draft 草稿 · edited 已修改 · approved 已审定 · issued 已印发"
    )
    issued_at: datetime | None


class ReportVersionOut(Schema):
    id: int
    kind: str = Field(..., description="generated 系统生成 · edited 修改稿")
    deviations: list[str] = Field(..., description="GB/T 9704 格式检查发现的不符合之处")


class ReportCountyOut(Schema):
    id: int
    name: str
    figures: dict[str, int]


class ReportTypicalOut(Schema):
    title: str
    category: str = Field(..., description="案例类别")
    facts: str = Field(..., description="基本案情（已脱敏）")
    outcome: str = Field(..., description="处理结果")
    lessons: str = Field(..., description="警示意义")
    case: str = Field(..., description="典型案例库编号")
    origin: str = Field(..., description="案例来源（整改台账问题、工单），本单位录入的为空")
    url: str = Field("", description="案例页面地址")


class ReportBulletinDetailOut(ReportBulletinOut):
    totals: dict[str, int] = Field(..., description="当月数据合计（数据快照）")
    counties: list[ReportCountyOut]
    praise: list[list[str]] = Field(..., description="[单位, 理由]")
    criticism: list[list[str]] = Field(..., description="[单位, 理由]")
    typical: list[ReportTypicalOut] = Field(..., description="典型问题（当月入库的典型案例）")
    versions: list[ReportVersionOut]


def _user(request: HttpRequest) -> User:
    user = cast("User", request.user)
    if not can(user, "view"):
        raise HttpError(403, _("没有查看通报的权限"))
    return user


def _out(b: Bulletin) -> dict[str, Any]:
    return {
        "id": b.pk,
        "number": b.number,
        "title": b.title,
        "month": b.month,
        "status": b.status,
        "issued_at": b.issued_at,
    }


@router.get(
    "/bulletins",
    url_name="reports_bulletins",
    response={200: list[ReportBulletinOut], 403: ReportErrorOut},
    summary="月通报",
)
def bulletins(request: HttpRequest) -> Any:
    return [_out(b) for b in selectors.bulletins_visible_to(_user(request))[:200]]


@router.get(
    "/bulletins/{bulletin_id}",
    url_name="reports_bulletin",
    response={200: ReportBulletinDetailOut, 403: ReportErrorOut, 404: ReportErrorOut},
    summary="月通报及其数据快照",
)
def bulletin(request: HttpRequest, bulletin_id: int) -> Any:
    try:
        b = selectors.get_bulletin_for_user(_user(request), bulletin_id)
    except Http404:
        raise HttpError(404, _("通报不存在")) from None
    snapshot = b.snapshot
    return {
        **_out(b),
        "totals": snapshot.get("totals", {}),
        "counties": snapshot.get("counties", []),
        "praise": snapshot.get("praise", []),
        "criticism": snapshot.get("criticism", []),
        "typical": snapshot.get("typical", []),
        "versions": [
            {"id": v.pk, "kind": v.kind, "deviations": v.deviations} for v in b.versions.all()
        ],
    }

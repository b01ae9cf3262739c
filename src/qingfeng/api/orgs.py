"""Organisation endpoints: the same selectors (and so the same scoping) as the pages."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import LimitOffsetPagination, paginate

from qingfeng.api.auth import api_user
from qingfeng.api.payloads import ErrorOut
from qingfeng.core.scope import role_names
from qingfeng.orgs import selectors
from qingfeng.orgs.models import Person, Unit, User
from qingfeng.orgs.permissions import can

router = Router(tags=["orgs"])
# A role without the page's right gets 403; an id outside one's scope, 404 (as a missing one).
ERRORS: dict[int, type[Schema]] = {403: ErrorOut, 404: ErrorOut}


class LimitOffsetIn(LimitOffsetPagination.Input):
    """A list's limit and offset (django-ninja's own name, Input, says nothing), bounded: an
    offset no database takes was a 500."""

    limit: int = Field(100, ge=1, le=1000)
    offset: int = Field(0, ge=0, le=1_000_000_000)


class Pagination(LimitOffsetPagination):
    Input = LimitOffsetIn


class UnitOut(Schema):
    id: int
    name: str
    short_name: str
    code: str
    kind: str
    category: str
    stage: str
    locale: str
    parent_id: int | None
    depth: int
    is_active: bool


class PersonOut(Schema):
    id: int
    name: str
    unit_id: int
    unit_name: str = Field(..., alias="unit.name")
    post_type: str
    position: str
    is_party_member: bool
    phone_masked: str = Field(..., alias="masked_phone")
    is_active: bool


class MeOut(Schema):
    username: str
    name: str
    roles: list[str]
    scope_unit_ids: list[int]


def _require(request: HttpRequest, action: str) -> User:
    user = api_user(request)
    if not can(user, action):
        raise HttpError(403, _("无权访问"))
    return user


@router.get("/me", response=MeOut, summary="当前账号")
def me(request: HttpRequest) -> dict[str, object]:
    user = api_user(request)
    return {
        "username": user.get_username(),
        "name": str(user),
        "roles": sorted(role_names(user)),
        "scope_unit_ids": list(selectors.scope_roots(user).values_list("id", flat=True)),
    }


@router.get("/units", response={200: list[UnitOut], **ERRORS}, summary="单位列表（限本人管辖范围）")
@paginate(Pagination)
def list_units(
    request: HttpRequest, q: str = "", kind: str = "", parent: int | None = None
) -> object:
    user = _require(request, "view_units")
    if parent is not None:
        return selectors.children_of(user, selectors.get_unit_for_user(user, parent))
    if q or kind:
        return selectors.search_units(user, q, kind=kind, limit=1000)
    return selectors.units_visible_to(user).order_by("path")


@router.get("/units/{unit_id}", response={200: UnitOut, **ERRORS}, summary="单位详情")
def get_unit(request: HttpRequest, unit_id: int) -> Unit:
    return selectors.get_unit_for_user(_require(request, "view_units"), unit_id)


@router.get(
    "/people", response={200: list[PersonOut], **ERRORS}, summary="人员列表（手机号已脱敏）"
)
@paginate(Pagination)
def list_people(
    request: HttpRequest, q: str = "", unit: int | None = None, post_type: str = "", party: str = ""
) -> object:
    user = _require(request, "view_people")
    scope_unit = selectors.get_unit_for_user(user, unit) if unit else None
    return selectors.filter_people(
        user, unit=scope_unit, text=q, post_type=post_type, party=party
    ).order_by("unit__path", "id")


@router.get(
    "/people/{person_id}", response={200: PersonOut, **ERRORS}, summary="人员详情（手机号已脱敏）"
)
def get_person(request: HttpRequest, person_id: int) -> Person:
    return selectors.get_person_for_user(_require(request, "view_people"), person_id)

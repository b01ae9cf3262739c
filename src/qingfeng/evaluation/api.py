"""The evaluation's API (/api/evaluation/), registered from `apps.py` (core/registry.py):
the public rating (no account, the same action, signals and human check as /rate/) and the
staff reads, through the same selectors and policy as the pages.

A public operation stores nothing of the client: the address signal counts under a salted
hash, and an API client has no device cookie, so only the address and speed rules apply. The
discipline comment is in no answer of this API.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal, cast

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Header, Router, Schema, Status
from ninja.errors import HttpError

from qingfeng.core.api import answers, refusals, scoped
from qingfeng.evaluation import actions, publicform, selectors
from qingfeng.evaluation.models import LEVELS, Remedial, Response, Round
from qingfeng.evaluation.permissions import can, withholds_rates
from qingfeng.evaluation.publicform import captcha, work
from qingfeng.orgs.models import User

router = Router(tags=["evaluation"])


class RatingErrorOut(Schema):
    detail: str


class RatingFieldErrorOut(Schema):
    field: str
    message: str
    type: str


class RatingInvalidOut(Schema):
    detail: str
    errors: list[RatingFieldErrorOut]


class RatingLevelOut(Schema):
    value: int
    label: str


class RatingFormOut(Schema):
    unit_id: int
    unit_name: str
    round_name: str
    reevaluation: bool = Field(..., description="为 true 表示整改后复评")
    needs_code: bool = Field(..., description="抽样评议须填写票码")
    non_probability: bool = Field(..., description="开放评议为非概率样本")
    items: list[str] = Field(..., description="分项评价的项目（选填）")
    levels: list[RatingLevelOut] = Field(..., description="5 非常满意 … 1 非常不满意，0 不了解")
    respondent_types: list[str] = Field(
        ..., description="parent 家长 student 学生 staff 教职工 public 社会人士"
    )
    form_token: str = Field(..., description="提交时原样带上（用于计算作答用时）")
    idempotency_key: str = Field(..., description="建议的幂等键")
    human_check: bool = Field(..., description="为 true 时须完成验证（与网页相同）")


class EvaluationRatingIn(Schema):
    respondent_type: Literal["parent", "student", "staff", "public"]
    overall: int = Field(..., ge=0, le=5, description="5 非常满意 … 1 非常不满意，0 不了解")
    answers: dict[str, int] = Field(default_factory=dict, description="分项评价：项目 → 0–5")
    comment: str = Field("", max_length=1000)
    code: str = Field("", max_length=40, description="抽样评议的票码")
    form_token: str = Field("", max_length=300)
    captcha_token: str = Field("", max_length=1000)
    captcha_answer: str = Field("", max_length=10)
    work_solution: str = Field("", max_length=1000)


class EvaluationRatingOut(Schema):
    status: str = Field(..., description="accepted 有效、flagged 存疑待核、excluded 不计入")
    replayed: bool
    message: str


class EvaluationRoundOut(Schema):
    id: int
    name: str
    status: str
    mode: str
    starts_on: str
    ends_on: str
    published: bool


WITHHELD = "结果公布前对第三方评估员不提供（null）"


class UnitResultOut(Schema):
    unit_id: int
    unit_name: str
    category: str
    base: int | None = Field(..., description=WITHHELD)
    satisfied: int | None = Field(..., description=WITHHELD)
    flagged: int | None = Field(..., description=WITHHELD)
    excluded: int | None = Field(..., description=WITHHELD)
    unknown: int | None = Field(..., description=WITHHELD)
    rate: float | None
    ci_low: float | None
    ci_high: float | None
    verdict: str | None = Field(
        ...,
        description="too_few 样本不足、confirmed_low、passed 达标、undecided 待定；" + WITHHELD,
    )
    verdict_label: str | None
    triggers: bool | None
    third_party: float | None
    discipline: str = Field(..., description="纪委监察评鉴等次（评鉴意见不在接口中提供）")
    veto: bool
    composite: float | None
    rank: int | None


class EvaluationIndicatorOut(Schema):
    group: str
    name: str
    weight: int = Field(..., description="权重（各指标之和为 100）")
    max: str = Field(..., description="满分")


class EvaluationResultsOut(Schema):
    round: EvaluationRoundOut
    definition: list[str]
    scheme_version: int = Field(..., description="第三方评估指标体系版本（0：未设指标体系）")
    scheme: list[EvaluationIndicatorOut]
    rates_withheld: bool = Field(
        ...,
        description="服务对象评议的满意率、区间、结论、评价数及综合得分、排名在结果公布前"
        "对第三方评估员不提供（为 null）",
    )
    results: list[UnitResultOut]


class EvaluationRemedialOut(Schema):
    id: int
    number: str
    unit_id: int
    unit_name: str
    round_id: int
    status: str
    rate: float
    base: int
    reeval_opens_on: str
    reeval_closes_on: str


def _round_out(round_: Round) -> dict[str, Any]:
    return {
        "id": round_.pk,
        "name": round_.name,
        "status": round_.status,
        "mode": round_.mode,
        "starts_on": round_.starts_on.isoformat(),
        "ends_on": round_.ends_on.isoformat(),
        "published": round_.published_at is not None,
    }


def _target(unit_id: int) -> tuple[Any, Round, Remedial | None]:
    target = selectors.rating_target(unit_id, timezone.localdate())
    if target is None:
        raise HttpError(404, _("单位不存在"))
    if target.round is None:
        raise HttpError(409, _("该单位当前没有进行中的评议"))
    return target.unit, target.round, target.remedial


@router.get(
    "/units/{unit_id}/form",
    url_name="evaluation_rating_form",
    auth=None,
    response={200: RatingFormOut, 404: RatingErrorOut, 409: RatingErrorOut},
    summary="取评议表（公开）",
)
def rating_form(request: HttpRequest, response: HttpResponse, unit_id: int) -> dict[str, Any]:
    response["Cache-Control"] = "no-store"
    unit, round_, remedial = _target(unit_id)
    key = uuid.uuid4().hex
    return {
        "unit_id": unit.pk,
        "unit_name": unit.name,
        "round_name": round_.name,
        "reevaluation": remedial is not None,
        "needs_code": round_.mode == Round.Mode.FRAME and remedial is None,
        "non_probability": round_.mode == Round.Mode.OPEN or remedial is not None,
        "items": round_.items,
        "levels": [{"value": v, "label": str(label)} for v, label in LEVELS],
        "respondent_types": list(Response.RespondentType.values),
        "form_token": publicform.form_token(key),
        "idempotency_key": key,
        "human_check": publicform.address_busy(request) and (captcha.enabled or work.enabled),
    }


def _invalid(exc: ValidationError) -> Status[dict[str, Any]]:
    found = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
    items = [
        {"field": field, "message": message, "type": "value_error"}
        for field, messages in found.items()
        for message in messages
    ]
    detail = _("请求参数不正确：%(fields)s") % {
        "fields": "；".join(f"{item['field']}：{item['message']}" for item in items)
    }
    return Status(422, {"detail": detail, "errors": items})


@router.post(
    "/units/{unit_id}/ratings",
    url_name="evaluation_rate",
    auth=None,
    response={
        201: EvaluationRatingOut,
        200: EvaluationRatingOut,
        404: RatingErrorOut,
        409: RatingErrorOut,
        422: RatingInvalidOut,
    },
    summary="提交评价（公开）",
    description="请带 Idempotency-Key 请求头（取评议表时给出的 idempotency_key，或自拟的 8–64 位"
    "字母数字）：用同一个键重试答复 200，不重复计入。同一网络短时评议过多时须完成验证，评价"
    "仍会收下但标记为存疑待核，由专项办复核。",
)
def rate(
    request: HttpRequest,
    response: HttpResponse,
    unit_id: int,
    payload: EvaluationRatingIn,
    idempotency_key: str = Header("", alias="Idempotency-Key"),
) -> Any:
    response["Cache-Control"] = "no-store"
    unit, round_, remedial = _target(unit_id)
    key = (idempotency_key or "").strip()
    busy = publicform.rate_limit().over_after_hit(request)
    try:
        if busy and not Response.objects.filter(round=round_, idempotency_key=key).exists():
            errors = {}
            if not work.passes(payload.work_solution):
                errors["work_solution"] = [_("工作量证明不正确或已过期，请重新获取")]
            if not captcha.passes(payload.captcha_token, payload.captcha_answer):
                errors["captcha_answer"] = [_("验证答案不正确或已过期，请重新获取")]
            if errors:
                raise ValidationError(errors)
        stored, created = actions.submit_rating(
            unit,
            respondent_type=payload.respondent_type,
            overall=payload.overall,
            answers=cast("dict[str, int | None]", payload.answers),
            comment=payload.comment,
            code=payload.code,
            idempotency_key=key,
            seconds=publicform.seconds_taken(payload.form_token, key),
            signals=actions.Signals(address_burst=busy),
            target=(round_, remedial),
        )
    except ValidationError as exc:
        return _invalid(exc)
    message = _("已收到您的评价，谢谢！") if created else _("这份评价已经提交过，没有重复计入。")
    return Status(
        201 if created else 200,
        {"status": stored.status, "replayed": not created, "message": message},
    )


def _user(request: HttpRequest) -> User:
    return cast("User", request.user)


@router.get(
    "/rounds",
    url_name="evaluation_rounds",
    response={200: list[EvaluationRoundOut], 403: RatingErrorOut},
    summary="评议轮次",
)
def rounds(request: HttpRequest) -> Any:
    user = _user(request)
    if not can(user, "view_rounds"):
        raise HttpError(403, _("没有查看评议的权限"))
    return [_round_out(r) for r in selectors.rounds_visible_to(user)[:200]]


@router.get(
    "/rounds/{round_id}/results",
    url_name="evaluation_results",
    response={200: EvaluationResultsOut, 403: RatingErrorOut, 404: RatingErrorOut},
    summary="评议结果（按查看者范围）",
    description="每个单位的满意率、Wilson 95% 置信区间、结论、综合得分和类别内排名，并附口径说明。",
)
def results(request: HttpRequest, round_id: int) -> Any:
    from qingfeng.evaluation.export import definition_lines

    user = _user(request)
    round_ = _staff_round(request, round_id)
    rows = selectors.visible_results(user, round_) if round_.status != Round.Status.DRAFT else []
    return {
        "round": _round_out(round_),
        "definition": definition_lines(round_),
        "scheme_version": round_.scheme_version,
        "scheme": round_.indicators,
        "rates_withheld": withholds_rates(user, round_),
        "results": [_result_out(r) for r in rows],
    }


def _result_out(r: selectors.UnitResult) -> dict[str, Any]:
    served: dict[str, Any] = {
        "base": r.base,
        "satisfied": r.satisfied,
        "flagged": r.flagged,
        "excluded": r.excluded,
        "unknown": r.unknown,
        "verdict": r.verdict,
        "verdict_label": r.verdict_label,
        "triggers": r.triggers,
    }
    if r.withheld:  # null, not a zero that reads as a count (selectors.withhold)
        served = dict.fromkeys(served)
    return {
        "unit_id": r.unit.pk,
        "unit_name": r.unit.name,
        "category": r.unit.category,
        **served,
        "rate": r.rate,
        "ci_low": r.interval.low if r.interval else None,
        "ci_high": r.interval.high if r.interval else None,
        "third_party": r.third_party,
        "discipline": r.discipline,
        "veto": r.veto,
        "composite": float(r.composite) if r.composite is not None else None,
        "rank": r.rank,
    }


@router.get(
    "/remedials",
    url_name="evaluation_remedials",
    response={200: list[EvaluationRemedialOut], 403: RatingErrorOut},
    summary="回炉补课",
)
def remedials(request: HttpRequest) -> Any:
    user = _user(request)
    if not can(user, "view_remedials"):
        raise HttpError(403, _("没有查看回炉补课的权限"))
    return [
        {
            "id": r.pk,
            "number": r.number,
            "unit_id": r.unit_id,
            "unit_name": r.unit.name,
            "round_id": r.round_id,
            "status": r.status,
            "rate": float(r.rate),
            "base": r.base,
            "reeval_opens_on": r.reeval_opens_on.isoformat(),
            "reeval_closes_on": r.reeval_closes_on.isoformat(),
        }
        for r in selectors.remedials_visible_to(user)[:500]
    ]


# -- staff actions: the same actions and policy as the pages --


class EvaluationReviewIn(Schema):
    status: Literal["accepted", "excluded"] = Field(
        ..., description="accepted 确认有效，excluded 剔除"
    )
    reason: str = Field(..., max_length=500, description="理由（记入审计）")


class EvaluationReviewOut(Schema):
    id: int
    status: str
    rule: str


class EvaluationThirdPartyIn(Schema):
    indicator: str = Field(
        ..., max_length=100, description="评估指标（有指标体系时须为体系中的指标）"
    )
    score: str = Field(..., max_length=10, description="得分：0–100，且不超过该指标满分")
    comment: str = Field("", max_length=1000)


class EvaluationThirdPartyOut(Schema):
    id: int
    unit_id: int
    indicator: str
    score: str


class EvaluationDisciplineIn(Schema):
    rating: Literal["excellent", "good", "fair", "poor"]
    comment: str = Field("", max_length=2000, description="评鉴意见（保密，任何答复中都不返回）")
    veto: bool = False


class EvaluationDisciplineOut(Schema):
    id: int
    unit_id: int
    rating: str
    veto: bool


def _staff_round(request: HttpRequest, round_id: int) -> Round:
    user = _user(request)
    if not can(user, "view_rounds"):
        raise HttpError(403, _("没有查看评议的权限"))
    return scoped(lambda: selectors.get_round_for_user(user, round_id), _("评议轮次不存在"))


def _move(request: HttpRequest, round_id: int, run: Any) -> Any:
    round_ = _staff_round(request, round_id)
    if not can(_user(request), "manage", round_):
        raise HttpError(404, _("评议轮次不存在"))
    with refusals():
        run(round_, actor=_user(request))
    return _round_out(round_)


MOVE_RESPONSES = answers(EvaluationRoundOut, RatingErrorOut)


@router.post(
    "/rounds/{round_id}/open",
    url_name="evaluation_round_open",
    response=MOVE_RESPONSES,
    summary="开始评议（专项办）：冻结范围、问卷和指标体系",
)
def round_open(request: HttpRequest, round_id: int) -> Any:
    return _move(request, round_id, actions.check_open_round)


@router.post(
    "/rounds/{round_id}/close",
    url_name="evaluation_round_close",
    response=MOVE_RESPONSES,
    summary="结束评议（专项办）",
    description="同一事务中写下结果，并按 85% 规则建立回炉补课、台账问题、通知和复评时间；"
    "重复结束答复 400，不会重复建立任何记录。",
)
def round_close(request: HttpRequest, round_id: int) -> Any:
    return _move(request, round_id, actions.check_close_round)


@router.post(
    "/rounds/{round_id}/publish",
    url_name="evaluation_round_publish",
    response=MOVE_RESPONSES,
    summary="发布结果（专项办）：被评单位可看到本单位结果",
)
def round_publish(request: HttpRequest, round_id: int) -> Any:
    return _move(request, round_id, actions.check_publish_round)


@router.post(
    "/rounds/{round_id}/responses/{response_id}/review",
    url_name="evaluation_review",
    response=answers(EvaluationReviewOut, RatingErrorOut),
    summary="复核存疑评价（专项办，写明理由）",
)
def review(
    request: HttpRequest, round_id: int, response_id: int, payload: EvaluationReviewIn
) -> Any:
    round_ = _staff_round(request, round_id)
    if not can(_user(request), "manage", round_):
        raise HttpError(404, _("评议轮次不存在"))
    found = Response.objects.filter(round=round_, pk=response_id).first()
    if found is None:
        raise HttpError(404, _("评价不存在"))
    with refusals():
        done = actions.check_review_response(
            found, actor=_user(request), status=payload.status, reason=payload.reason
        )
    return {"id": done.pk, "status": done.status, "rule": done.rule}


def _entry_role(request: HttpRequest, kind: str) -> None:
    """A role that never makes this entry is refused before any id is looked at (as the
    page's guard does): the same 403 for a round it sees and for a missing one."""
    if not can(_user(request), kind):
        raise HttpError(403, _("没有录入该单位评分的权限，或本轮当前不能录入"))


def _entry_unit(request: HttpRequest, round_: Round, unit_id: int, kind: str) -> Any:
    """The unit, as the unit page finds it (404 outside the caller's sight), and the entry
    right of the caller (the role, the unit below, the round open and unpublished)."""
    from qingfeng.evaluation.permissions import enters

    user = _user(request)
    unit = scoped(
        lambda: selectors.get_unit_result(user, round_, unit_id).unit, _("单位不在本轮评议中")
    )
    if not (can(_user(request), kind, round_) and enters(_user(request), kind, unit)):
        raise HttpError(403, _("没有录入该单位评分的权限，或本轮当前不能录入"))
    return unit


@router.post(
    "/rounds/{round_id}/units/{unit_id}/third-party",
    url_name="evaluation_third_party",
    response=answers(EvaluationThirdPartyOut, RatingErrorOut),
    summary="录入第三方评估得分（第三方评估员）",
    description="后录入的取代先前的（先前的保留）；佐证文件请在单位结果页上传。",
)
def third_party(
    request: HttpRequest, round_id: int, unit_id: int, payload: EvaluationThirdPartyIn
) -> Any:
    _entry_role(request, "enter_third_party")
    round_ = _staff_round(request, round_id)
    unit = _entry_unit(request, round_, unit_id, "enter_third_party")
    with refusals():
        entry = actions.check_enter_third_party(
            round_,
            actor=_user(request),
            unit=unit,
            indicator=payload.indicator,
            score=payload.score,
            comment=payload.comment,
        )
    return {
        "id": entry.pk,
        "unit_id": unit.pk,
        "indicator": entry.indicator,
        "score": str(entry.score),
    }


@router.post(
    "/rounds/{round_id}/units/{unit_id}/discipline",
    url_name="evaluation_discipline",
    response=answers(EvaluationDisciplineOut, RatingErrorOut),
    summary="录入纪委监察评鉴（纪检监察员）",
    description="评鉴意见保密：任何答复（包括本接口）都不返回意见文字。",
)
def discipline(
    request: HttpRequest, round_id: int, unit_id: int, payload: EvaluationDisciplineIn
) -> Any:
    _entry_role(request, "enter_discipline")
    round_ = _staff_round(request, round_id)
    unit = _entry_unit(request, round_, unit_id, "enter_discipline")
    with refusals():
        entry = actions.check_enter_discipline(
            round_,
            actor=_user(request),
            unit=unit,
            rating=payload.rating,
            comment=payload.comment,
            veto=payload.veto,
        )
    return {"id": entry.pk, "unit_id": unit.pk, "rating": entry.rating, "veto": entry.veto}

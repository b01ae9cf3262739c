"""Ratings from the people served: each one is stored, then accepted, flagged or excluded by
a named rule; a reviewer may reverse a flag with a reason. Single-use codes (票码) for a
sampling frame drawn with a recorded seed.

No address, user agent, device token or code is stored with a rating: the signals the page
computed arrive as booleans, and only the name of the rule they fired is kept.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qingfeng.core import registry
from qingfeng.core.audit import record_audit
from qingfeng.evaluation import selectors
from qingfeng.evaluation.models import (
    LEVELS,
    UNKNOWN,
    CodeBatch,
    Remedial,
    Response,
    ResponseReview,
    Round,
    VoteCode,
)
from qingfeng.orgs.models import Unit, User

COMMENT_MAX = 500
BURST_MINUTES = 10
LEVEL_VALUES = {value for value, _label in LEVELS}
_KEY = re.compile(r"^[A-Za-z0-9_.:-]{8,64}$")
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
CODE_LENGTH = 8

# The named rules; every rating carries exactly one.
RULES = {
    "accepted": gettext_lazy("通过全部校验"),
    "unknown": gettext_lazy("总体评价为“不了解”，不计入基数"),
    "too_fast": gettext_lazy("作答用时过短"),
    "device_repeat": gettext_lazy("同一设备已评议过该单位"),
    "address_burst": gettext_lazy("同一网络短时评议过多"),
    "identical_burst": gettext_lazy("短时间内出现多份完全相同的评价"),
    "reviewed": gettext_lazy("经人工复核"),
}
REVIEWABLE = {Response.Status.FLAGGED, Response.Status.ACCEPTED}


@dataclass(frozen=True)
class Signals:
    """What the page saw, as booleans only."""

    device_repeat: bool = False
    address_burst: bool = False


class SameCode(ValidationError):
    """A used and an unknown code answer alike (nothing tells which codes exist)."""

    def __init__(self) -> None:
        super().__init__({"code": _("票码无效或已使用，请核对后重新输入")})


def normalise_code(text: str) -> str:
    """Spaces, dashes and full-width characters gone, upper case: ＡＢ２３-ｘｙ → AB23XY."""
    folded = "".join(chr(ord(c) - 0xFEE0) if "\uff01" <= c <= "\uff5e" else c for c in text)
    return re.sub(r"[\s\-\u3000]", "", folded).upper()


def code_hash(code: str) -> str:
    key = hmac.new(settings.SECRET_KEY.encode(), b"qingfeng-evaluation-code", hashlib.sha256)
    return hmac.new(key.digest(), normalise_code(code).encode(), hashlib.sha256).hexdigest()


def answer_key(round_: Round, overall: int, answers: Mapping[str, int], respondent: str) -> str:
    """A digest of what was answered (never of who): identical answers share it."""
    parts = [str(round_.pk), respondent, str(overall)]
    parts += [f"{item}={answers.get(item, 0)}" for item in round_.items]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def target_for(unit: Unit) -> tuple[Round, Remedial | None] | None:
    """Where a rating of the unit goes now: its re-evaluation window, else its open round."""
    remedial = selectors.open_reevaluation(unit, timezone.localdate())
    if remedial is not None:
        return remedial.round, remedial
    round_ = selectors.open_round_for_unit(unit)
    return (round_, None) if round_ is not None else None


def _validate(
    round_: Round,
    *,
    respondent_type: str,
    overall: int | None,
    answers: Mapping[str, int | None],
    comment: str,
    idempotency_key: str,
) -> tuple[int, dict[str, int], str]:
    errors: dict[str, list[str]] = {}
    if respondent_type not in Response.RespondentType.values:
        errors["respondent_type"] = [_("请选择您的身份")]
    if overall not in LEVEL_VALUES:
        errors["overall"] = [_("请选择总体评价")]
    cleaned: dict[str, int] = {}
    for item, level in answers.items():
        if item not in round_.items:
            errors.setdefault("answers", []).append(_("没有评议项目“%(i)s”") % {"i": item})
        elif level is not None and level not in LEVEL_VALUES:
            errors.setdefault("answers", []).append(_("“%(i)s”的评价无效") % {"i": item})
        elif level is not None:
            cleaned[item] = level
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        errors["comment"] = [_("意见建议不能超过 %(n)d 个字") % {"n": COMMENT_MAX}]
    if not _KEY.match(idempotency_key or ""):
        errors["idempotency_key"] = [_("页面已过期，请刷新后重新提交")]
    if errors:
        raise ValidationError(errors)
    assert overall is not None
    return overall, cleaned, comment


def _rule(
    round_: Round,
    unit: Unit,
    *,
    overall: int,
    key: str,
    seconds: int | None,
    signals: Signals,
    via: str,
) -> tuple[str, str]:
    if overall == UNKNOWN:
        return Response.Status.EXCLUDED, "unknown"
    if seconds is not None and seconds < settings.QF_EVALUATION_MIN_SECONDS:
        return Response.Status.FLAGGED, "too_fast"
    if via == Response.Via.OPEN:
        # A code is already one person of the frame; the open page's signals flag.
        if signals.device_repeat:
            return Response.Status.FLAGGED, "device_repeat"
        if signals.address_burst:
            return Response.Status.FLAGGED, "address_burst"
        since = timezone.now() - timedelta(minutes=BURST_MINUTES)
        same = Response.objects.filter(unit=unit, answer_key=key, submitted_at__gte=since).count()
        if settings.QF_EVALUATION_BURST and same + 1 >= settings.QF_EVALUATION_BURST:
            return Response.Status.FLAGGED, "identical_burst"
    return Response.Status.ACCEPTED, "accepted"


def submit_rating(
    unit: Unit,
    *,
    respondent_type: str,
    overall: int | None,
    answers: Mapping[str, int | None],
    comment: str = "",
    idempotency_key: str,
    seconds: int | None = None,
    code: str = "",
    signals: Signals = Signals(),
    target: tuple[Round, Remedial | None] | None = None,
) -> tuple[Response, bool]:
    """Store one rating of the unit in its open round (or re-evaluation window). The same
    idempotency key again returns the stored rating; a closed round accepts nothing. A page
    that has just looked up `target_for(unit)` passes it as `target` (the round and window
    are not read twice per rating). The rating and whether it was stored now (False: a replay).

    Everything that only reads (the round, a coded rating's replay, the fields, the rule) comes
    before the
    write transaction: on SQLite the write lock is then held for the insert, the audit row and
    the commit only, as with the channel's tickets (intake.actions.submit), so a burst of
    raters queues for milliseconds, not for each other's reads."""
    target = target if target is not None else target_for(unit)
    if target is None:
        raise ValidationError(_("该单位当前没有进行中的评议"))
    round_, remedial = target
    framed = round_.mode == Round.Mode.FRAME and remedial is None
    if framed:
        # A replay's code is spent already: find the replay before the code is checked. An
        # open rating's replay is found by the insert (the key is unique in its round).
        stored = Response.objects.filter(round=round_, idempotency_key=idempotency_key).first()
        if stored is not None:
            return stored, False
    overall, cleaned, comment = _validate(
        round_,
        respondent_type=respondent_type,
        overall=overall,
        answers=answers,
        comment=comment,
        idempotency_key=idempotency_key,
    )
    if framed and not code.strip():
        raise ValidationError({"code": _("本轮为抽样评议，请输入票码")})
    via = Response.Via.CODE if framed else Response.Via.OPEN
    key = answer_key(round_, overall, cleaned, respondent_type)
    status, rule = _rule(
        round_, unit, overall=overall, key=key, seconds=seconds, signals=signals, via=via
    )
    try:
        created = _store_rating(
            round_,
            unit,
            remedial=remedial,
            respondent_type=respondent_type,
            overall=overall,
            answers=cleaned,
            comment=comment,
            via=via,
            status=status,
            rule=rule,
            key=key,
            seconds=seconds,
            idempotency_key=idempotency_key,
            code=code if framed else "",
        )
    except IntegrityError:
        # The same key again (a retry, or the same form posted twice at once): the first one
        # counts, and this is its replay.
        stored = Response.objects.filter(round=round_, idempotency_key=idempotency_key).first()
        if stored is not None:
            return stored, False
        raise ValidationError(_("该评价已提交")) from None
    return created, True


def check_submit_rating(unit: Unit, **fields: Any) -> Response:
    """`submit_rating`, for a caller that does not ask whether it was a replay."""
    return submit_rating(unit, **fields)[0]


@transaction.atomic
def _store_rating(
    round_: Round,
    unit: Unit,
    *,
    remedial: Remedial | None,
    respondent_type: str,
    overall: int,
    answers: dict[str, int],
    comment: str,
    via: str,
    status: str,
    rule: str,
    key: str,
    seconds: int | None,
    idempotency_key: str,
    code: str,
) -> Response:
    if code:
        _redeem(round_, unit, code)
    response = Response.objects.create(
        round=round_,
        unit=unit,
        remedial=remedial,
        respondent_type=respondent_type,
        overall=overall,
        answers=answers,
        comment=comment,
        via=via,
        status=status,
        rule=rule,
        answer_key=key,
        seconds=seconds,
        idempotency_key=idempotency_key,
    )
    record_audit(
        actor=None,
        action="evaluation.response.submit",
        obj=response,
        after={"status": status, "rule": rule, "via": via},
    )
    return response


def _redeem(round_: Round, unit: Unit, code: str) -> None:
    """A code works once, for its unit and round; the link to the answer is never kept."""
    used = VoteCode.objects.filter(
        code_hash=code_hash(code), round=round_, unit=unit, used=False
    ).update(used=True)
    if used != 1:
        raise SameCode


@transaction.atomic
def check_review_response(response: Response, *, actor: User, status: str, reason: str) -> Response:
    """A reviewer accepts a flagged rating, or excludes a flagged or accepted one, with a
    reason; only while the round (or re-evaluation) is still open."""
    response = Response.objects.select_for_update().select_related("round").get(pk=response.pk)
    if response.round.status != Round.Status.OPEN and response.remedial_id is None:
        raise ValidationError(_("评议已结束，不能再复核"))
    if response.status not in REVIEWABLE or status not in {
        Response.Status.ACCEPTED,
        Response.Status.EXCLUDED,
    }:
        raise ValidationError(_("该评价不能改为此状态"))
    if status == response.status:
        raise ValidationError(_("状态未改变"))
    if not reason.strip():
        raise ValidationError({"reason": _("请填写复核理由")})
    before = {"status": response.status, "rule": response.rule}
    ResponseReview.objects.create(
        response=response,
        from_status=response.status,
        to_status=status,
        reason=reason.strip(),
        decided_by=actor,
    )
    response.status, response.rule = status, "reviewed"
    response.save(update_fields=["status", "rule"])
    record_audit(
        actor=actor,
        action="evaluation.response.review",
        obj=response,
        before=before,
        after={"status": status, "reason": reason.strip()},
    )
    return response


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _i in range(CODE_LENGTH))


@transaction.atomic
def check_draw_codes(
    round_: Round,
    *,
    actor: User,
    unit: Unit,
    frame: Sequence[str],
    draw: int,
    per_entry: int,
    seed: str = "",
) -> tuple[CodeBatch, list[tuple[str, list[str]]]]:
    """Draw `draw` entries of the frame (e.g. classes of the roster) with a recorded seed, and
    make `per_entry` single-use codes for each. The codes are returned once, for printing."""
    entries = [e.strip() for e in frame if e.strip()]
    if round_.mode != Round.Mode.FRAME:
        raise ValidationError(_("开放评议不使用票码"))
    if round_.status == Round.Status.CLOSED:
        raise ValidationError(_("评议已结束"))
    if not round_.covered.filter(unit=unit).exists() and round_.status == Round.Status.OPEN:
        raise ValidationError({"unit": _("该单位不在本轮评议范围内")})
    if not entries:
        raise ValidationError({"frame": _("请填写抽样框（如班级名单），每行一项")})
    if len(set(entries)) != len(entries):
        raise ValidationError({"frame": _("抽样框有重复项")})
    if not 1 <= draw <= len(entries):
        raise ValidationError({"draw": _("抽取数须在 1 到 %(n)d 之间") % {"n": len(entries)}})
    if not 1 <= per_entry <= 200:
        raise ValidationError({"per_entry": _("每项票码数须在 1 到 200 之间")})
    seed = seed.strip() or secrets.token_hex(8)
    drawn = random.Random(seed).sample(entries, draw)  # noqa: S311 - a reproducible draw
    batch = CodeBatch.objects.create(
        round=round_,
        unit=unit,
        frame=entries,
        drawn=drawn,
        seed=seed,
        per_entry=per_entry,
        created_by=actor,
    )
    slips: list[tuple[str, list[str]]] = []
    rows: list[VoteCode] = []
    for entry in drawn:
        codes = [_new_code() for _i in range(per_entry)]
        slips.append((entry, codes))
        rows += [
            VoteCode(batch=batch, round=round_, unit=unit, code_hash=code_hash(c)) for c in codes
        ]
    VoteCode.objects.bulk_create(rows)
    record_audit(
        actor=actor,
        action="evaluation.codes.draw",
        obj=batch,
        unit=unit,
        after={"seed": seed, "drawn": drawn, "codes": len(rows)},
    )
    return batch, slips


DISSATISFIED = (1, 2)  # 非常不满意, 不满意


@transaction.atomic
def check_comment_to_ticket(response: Response, *, actor: User, category_id: int) -> str:
    """Staff turn a dissatisfied rating's comment into an intake ticket (never automatically):
    filed through the registered complaint sink, marked as coming from the evaluation, about
    the rated unit, with the comment as its text and no trace of the rater. A comment becomes
    at most one ticket: asked again, the ticket number it already has is returned."""
    response = (
        Response.objects.select_for_update().select_related("unit", "round").get(pk=response.pk)
    )
    if response.ticket_number:
        return response.ticket_number
    if response.overall not in DISSATISFIED or not response.comment.strip():
        raise ValidationError(_("只有评价为“不满意”或“非常不满意”且写了意见的评价才能转为工单"))
    if response.status == Response.Status.EXCLUDED:
        raise ValidationError(_("已剔除的评价不能转为工单"))
    sink = registry.complaint_sink()
    if sink is None:
        raise ValidationError(_("未启用作风建设直通车，不能转为工单"))
    level = dict(LEVELS)[response.overall]
    filed = sink.file(
        actor=actor,
        unit=response.unit,
        category_id=category_id,
        title=(_("群众评议“%(l)s”意见：%(u)s") % {"l": level, "u": response.unit.name})[:100],
        text=response.comment,
        source="evaluation",
        ref=f"evaluation-rating-{response.pk}",
    )
    response.ticket_number = filed.number
    response.save(update_fields=["ticket_number"])
    record_audit(
        actor=actor,
        action="evaluation.response.to_ticket",
        obj=response,
        unit=response.unit,
        after={"ticket": filed.number},
    )
    return filed.number

"""Rounds: created as drafts by the campaign office, frozen when they open, closed with the
85 % rule applied in the same transaction, then published."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qingfeng.core.audit import record_audit
from qingfeng.evaluation import scheme, selectors
from qingfeng.evaluation.models import DEFAULT_ITEMS, Round, RoundUnit
from qingfeng.evaluation.workflow import ROUND
from qingfeng.orgs.models import Unit, User

ITEM_MAX = 20
ITEMS_MAX = 10


def quarter_of(day: date) -> tuple[date, date]:
    """The calendar quarter a day falls in: a round's default period."""
    first_month = (day.month - 1) // 3 * 3 + 1
    start = date(day.year, first_month, 1)
    end = date(day.year + 1, 1, 1) if first_month == 10 else date(day.year, first_month + 3, 1)
    return start, date.fromordinal(end.toordinal() - 1)


def _clean_items(items: Sequence[str], errors: dict[str, list[str]]) -> list[str]:
    cleaned: list[str] = []
    for raw in items:
        item = raw.strip()
        if not item:
            continue
        if len(item) > ITEM_MAX:
            errors.setdefault("items", []).append(
                _("评议项目“%(i)s”超过 %(n)d 个字") % {"i": item, "n": ITEM_MAX}
            )
        elif item in cleaned:
            errors.setdefault("items", []).append(_("评议项目“%(i)s”重复") % {"i": item})
        else:
            cleaned.append(item)
    if len(cleaned) > ITEMS_MAX:
        errors.setdefault("items", []).append(_("评议项目最多 %(n)d 项") % {"n": ITEMS_MAX})
    return cleaned


@transaction.atomic
def check_create_round(
    *,
    actor: User,
    owner: Unit,
    name: str,
    starts_on: date | None = None,
    ends_on: date | None = None,
    mode: str = Round.Mode.OPEN,
    kinds: Sequence[str] = (),
    categories: Sequence[str] = (),
    stages: Sequence[str] = (),
    area: Unit | None = None,
    items: Sequence[str] = tuple(DEFAULT_ITEMS),
    rate_definition: str = Round.RateDefinition.TOP3,
    weights: tuple[int, int, int] = (50, 30, 20),
    min_sample: int = 30,
    threshold: int = 85,
    trigger: str = Round.Trigger.POINT,
    publish_ranking: bool = False,
    indicators: Sequence[scheme.Indicator] = (),
) -> Round:
    """A draft round; the period defaults to the current quarter."""
    errors: dict[str, list[str]] = {}
    default_start, default_end = quarter_of(timezone.localdate())
    starts_on, ends_on = starts_on or default_start, ends_on or default_end
    name = name.strip()
    if not name:
        errors.setdefault("name", []).append(_("请填写评议名称"))
    if ends_on < starts_on:
        errors.setdefault("ends_on", []).append(_("结束日期不能早于开始日期"))
    if sum(weights) != 100 or any(w < 0 for w in weights):
        errors.setdefault("weights", []).append(
            _("三项权重之和须为 100（现为 %(s)d）") % {"s": sum(weights)}
        )
    if not 50 <= threshold <= 100:
        errors.setdefault("threshold", []).append(_("达标线须在 50% 到 100% 之间"))
    if min_sample < 1:
        errors.setdefault("min_sample", []).append(_("最低样本量至少为 1"))
    if area is not None and not area.is_within(owner):
        errors.setdefault("area", []).append(_("评议范围须在组织单位之内"))
    cleaned = _clean_items(items, errors)
    for message in scheme.check(indicators):
        errors.setdefault("indicators", []).append(message)
    if errors:
        raise ValidationError(errors)
    round_ = Round(
        name=name,
        owner=owner,
        starts_on=starts_on,
        ends_on=ends_on,
        mode=mode,
        kinds=list(kinds),
        categories=list(categories),
        stages=list(stages),
        area=area,
        items=cleaned,
        rate_definition=rate_definition,
        weight_satisfaction=weights[0],
        weight_third_party=weights[1],
        weight_discipline=weights[2],
        min_sample=min_sample,
        threshold=threshold,
        trigger=trigger,
        publish_ranking=publish_ranking,
        indicators=[i.as_dict() for i in indicators],
        created_by=actor,
    )
    round_.full_clean()
    round_.save()
    ROUND.record_event(round_, "create", actor=actor, to_status=round_.status)
    record_audit(actor=actor, action="evaluation.round.create", obj=round_, unit=owner)
    return round_


def covered_units(round_: Round) -> list[Unit]:
    units = Unit.objects.within(round_.area or round_.owner).filter(is_active=True)
    if round_.kinds:
        units = units.filter(kind__in=round_.kinds)
    if round_.categories:
        units = units.filter(category__in=round_.categories)
    if round_.stages:
        units = units.filter(stage__in=round_.stages)
    return list(units.order_by("path"))


def _last_opened(round_: Round) -> Round | None:
    return (
        Round.objects.filter(owner=round_.owner, opened_at__isnull=False)
        .exclude(pk=round_.pk)
        .order_by("-opened_at")
        .first()
    )


def _instrument_version(round_: Round, last: Round | None) -> int:
    """The same items as the owner's last opened round keep its version; new items, the next."""
    if last is None:
        return 1
    return last.instrument_version if last.items == round_.items else last.instrument_version + 1


def _scheme_version(round_: Round, last: Round | None) -> int:
    """The same indicator scheme as the owner's last opened round keeps its version; another
    scheme takes the highest version the owner has used, plus one. No scheme: 0."""
    if not round_.indicators:
        return 0
    if last is not None and last.indicators == round_.indicators and last.scheme_version:
        return last.scheme_version
    used = (
        Round.objects.filter(owner=round_.owner, opened_at__isnull=False)
        .exclude(pk=round_.pk)
        .aggregate(top=models.Max("scheme_version"))["top"]
    )
    return (used or 0) + 1


@transaction.atomic
def check_set_scheme(
    round_: Round, *, actor: User, indicators: Sequence[scheme.Indicator]
) -> Round:
    """The third-party indicator scheme of a draft round (replaced as a whole); once the round
    opens it is frozen with everything else."""
    ROUND.lock(round_)
    if round_.status != Round.Status.DRAFT:
        raise ValidationError(_("评议开始后指标体系不能再修改"))
    errors = scheme.check(indicators)
    if errors:
        raise ValidationError({"indicators": errors})
    before = len(round_.indicators)
    round_.indicators = [i.as_dict() for i in indicators]
    round_.updated_at = timezone.now()
    round_.save(update_fields=["indicators", "updated_at"])
    record_audit(
        actor=actor,
        action="evaluation.round.scheme",
        obj=round_,
        unit=round_.owner,
        before={"indicators": before},
        after={"indicators": round_.indicators},
    )
    return round_


@transaction.atomic
def check_open_round(round_: Round, *, actor: User) -> Round:
    """开始评议: the covered units are listed and everything defining the round is frozen."""
    with ROUND.move(round_, "open", actor=actor) as step:
        units = covered_units(round_)
        if not units:
            raise ValidationError(_("按所选范围没有可评议的单位"))
        last = _last_opened(round_)
        round_.opened_at = timezone.now()
        round_.instrument_version = _instrument_version(round_, last)
        round_.scheme_version = _scheme_version(round_, last)
        RoundUnit.objects.bulk_create(RoundUnit(round=round_, unit=u) for u in units)
        step.note["units"] = len(units)
        step.note["instrument_version"] = round_.instrument_version
        step.note["scheme_version"] = round_.scheme_version
    return round_


@transaction.atomic
def check_close_round(round_: Round, *, actor: User) -> Round:
    """结束评议: the results are written down and every unit the 85 % rule catches gets its
    remedial round, problems, notifications and re-evaluation window — all or nothing.
    Closing twice is refused by the life cycle, and each remedial exists once per unit."""
    from qingfeng.evaluation.actions.remedial import open_remedials

    with ROUND.move(round_, "close", actor=actor) as step:
        round_.closed_at = timezone.now()
        rows = selectors.results(round_)
        snapshot = {r.unit.pk: r for r in rows}
        covered = list(RoundUnit.objects.filter(round=round_))
        for ru in covered:
            result = snapshot[ru.unit_id]
            ru.base, ru.satisfied = result.base, result.satisfied
            ru.verdict, ru.composite = result.verdict, result.composite
        RoundUnit.objects.bulk_update(covered, ["base", "satisfied", "verdict", "composite"])
        made = open_remedials(round_, [r for r in rows if r.triggers], actor=actor)
        step.note["remedials"] = len(made)
    return round_


@transaction.atomic
def check_publish_round(round_: Round, *, actor: User) -> Round:
    """发布结果: the units see their own results (and the ranking, if the round says so)."""
    ROUND.lock(round_)
    if round_.status != Round.Status.CLOSED:
        raise ValidationError(_("评议结束后才能发布结果"))
    if round_.published_at is not None:
        raise ValidationError(_("结果已发布"))
    round_.published_at = timezone.now()
    round_.save(update_fields=["published_at"])
    ROUND.record_event(round_, "publish", actor=actor, from_status=round_.status)
    record_audit(actor=actor, action="evaluation.round.publish", obj=round_, unit=round_.owner)
    return round_

"""The campaign's registers, each change one action with its audit row: dispatch meetings
(调度会) and their agreed items (议定事项) tracked to done; the rules register (制度清单, 建章立制);
open-door and grassroots activities (校长接待日, 机关开放周, 当一天班主任, 跟一次家访) — announced
ahead with a public notice, recorded once held, or called off — and the matters people raised
there, filed as tickets of the channel through the registry's complaint sink.

Every register write has one shape (`_Entry`): who may write for the unit, the field checks
collected into one error, then the row and its audit row in the same transaction."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, time
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qingfeng.campaigns import files
from qingfeng.campaigns.models import (
    Activity,
    ActivityMatter,
    Campaign,
    Meeting,
    MeetingItem,
    Rule,
)
from qingfeng.campaigns.permissions import acts_for, records_for
from qingfeng.core import registry
from qingfeng.core.audit import record_audit
from qingfeng.ledger.models import Problem
from qingfeng.orgs.models import Unit, User

TEXT_MAX = 2000
HOW_MAX = 120  # how to come: what the A4 notice poster has room for (four lines)
M = TypeVar("M", bound=models.Model)


@dataclass
class _Entry:
    """One register write for `unit` by `actor`: refused unless the actor keeps the unit's
    registers; the checks add to `errors`; `save` raises them all at once or writes the row
    (with `unit` and `created_by`) and its audit row."""

    actor: User
    unit: Unit
    what: str
    errors: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not records_for(self.actor, self.unit):
            raise ValidationError(
                _("只有本单位的管理员或专项办可以登记本单位的%(what)s") % {"what": self.what}
            )

    def text(self, name: str, value: str, label: str, *, cap: int = TEXT_MAX) -> str:
        """A required text, stripped, at most `cap` characters."""
        value = (value or "").strip()
        if not value:
            self.errors[name] = [_("请填写%(label)s") % {"label": label}]
        elif len(value) > cap:
            self.errors[name] = [_("%(label)s不能超过 %(n)d 字") % {"label": label, "n": cap}]
        return value

    def refuse(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def raise_errors(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)

    def save(self, model: type[M], *, action: str, after: dict[str, Any], **values: Any) -> M:
        self.raise_errors()
        row = model._default_manager.create(unit=self.unit, created_by=self.actor, **values)
        record_audit(
            actor=self.actor, action=f"campaigns.{action}", obj=row, unit=self.unit, after=after
        )
        return row


def _past(day: date) -> bool:
    return day > timezone.localdate()


# --- Dispatch meetings and their agreed items ------------------------------------------------


@transaction.atomic
def check_hold_meeting(
    campaign: Campaign,
    *,
    actor: User,
    unit: Unit,
    held_on: date,
    title: str,
    attendees: str,
    summary: str = "",
    items: Sequence[tuple[str, Unit, date]] = (),
) -> Meeting:
    """A meeting of `unit` with its agreed items, each owned by the unit or one below it."""
    if not unit.path.startswith(campaign.owner.path):
        raise ValidationError(_("只有本单位的管理员或专项办可以登记本单位的调度会"))
    entry = _Entry(actor, unit, _("调度会"))
    title = entry.text("title", title, _("会议名称"), cap=100)
    attendees = entry.text("attendees", attendees, _("参会人员"))
    if _past(held_on):
        entry.refuse("held_on", _("召开日期不能晚于今天"))
    for text, owner, due in items:
        if not text.strip() or len(text.strip()) > 200:
            entry.errors["items"] = [_("每条议定事项须写明内容（200 字以内）")]
        elif not owner.path.startswith(unit.path):
            entry.errors["items"] = [_("议定事项只能交给本单位或下属单位")]
        elif due < held_on:
            entry.errors["items"] = [_("议定事项的完成时限不能早于开会日期")]
    meeting = entry.save(
        Meeting,
        action="meeting.create",
        after={"held_on": held_on.isoformat(), "items": len(items)},
        campaign=campaign,
        held_on=held_on,
        title=title,
        attendees=attendees,
        summary=summary.strip()[:TEXT_MAX],
    )
    MeetingItem.objects.bulk_create(
        MeetingItem(meeting=meeting, text=text.strip(), unit=owner, due_on=due)
        for text, owner, due in items
    )
    return meeting


@transaction.atomic
def check_close_item(item: MeetingItem, *, actor: User, note: str) -> MeetingItem:
    """议定事项落实: reported done by its owning unit, with a sentence on how."""
    if not acts_for(actor, item.unit) and not records_for(actor, item.meeting.unit):
        raise ValidationError(_("只有责任单位或召开单位可以报告落实情况"))
    locked = MeetingItem.objects.select_for_update().get(pk=item.pk)
    if locked.status == MeetingItem.Status.DONE:
        raise ValidationError(_("该事项已报告落实"))
    note = note.strip()
    if not note or len(note) > 200:
        raise ValidationError(_("请用 200 字以内说明落实情况"))
    item.status, item.note = MeetingItem.Status.DONE, note
    item.done_at, item.done_by = timezone.now(), actor
    item.save(update_fields=["status", "note", "done_at", "done_by"])
    record_audit(
        actor=actor, action="campaigns.meeting.item_done", obj=item, unit=item.unit,
        after={"note": note},
    )  # fmt: skip
    return item


# --- The rules register ----------------------------------------------------------------------


@transaction.atomic
def check_adopt_rule(
    *,
    actor: User,
    unit: Unit,
    title: str,
    kind: str,
    adopted_on: date,
    answers: str = "",
    problem_numbers: Sequence[str] = (),
    upload: UploadedFile | None = None,
) -> Rule:
    """A rule in the unit's register, with its text when given (checked and scrubbed) and the
    ledger problems it answers (by number: the unit's own or those of units below it)."""
    entry = _Entry(actor, unit, _("制度"))
    title = entry.text("title", title, _("制度名称"), cap=100)
    if kind not in Rule.Kind.values:
        entry.refuse("kind", _("请选择新制定或修订"))
    if _past(adopted_on):
        entry.refuse("adopted_on", _("印发日期不能晚于今天"))
    problems = _answered(entry, unit, problem_numbers)
    rule = entry.save(
        Rule,
        action="rule.adopt",
        after={
            "title": title,
            "kind": kind,
            "adopted_on": adopted_on.isoformat(),
            "problems": [p.number for p in problems],
        },
        title=title,
        kind=kind,
        adopted_on=adopted_on,
        answers=answers.strip()[:TEXT_MAX],
    )
    rule.problems.set(problems)
    if upload is not None:
        files.attach(rule, actor=actor, upload=upload)
    return rule


def _answered(entry: _Entry, unit: Unit, numbers: Sequence[str]) -> list[Problem]:
    """The ledger's problems of these numbers, of the unit or the units below it; an unknown
    number is refused by name."""
    wanted = list(dict.fromkeys(n.strip().upper() for n in numbers if n.strip()))
    problems = list(
        Problem.objects.filter(number__in=wanted, unit__path__startswith=unit.path).exclude(
            status=Problem.Status.WITHDRAWN
        )
    )
    unknown = sorted(set(wanted) - {p.number for p in problems})
    if unknown:
        entry.refuse(
            "problems",
            _("找不到这些问题编号（须是本单位或下属单位台账中的问题）：%(n)s")
            % {"n": "、".join(unknown)},
        )
    return problems


@transaction.atomic
def check_link_rule_problems(rule: Rule, *, actor: User, problem_numbers: Sequence[str]) -> Rule:
    """More ledger problems a rule answers (a problem's 建章立制 often comes after the rule was
    registered): added to those it has, never removed — the register keeps what was said."""
    entry = _Entry(actor, rule.unit, _("制度"))
    problems = _answered(entry, rule.unit, problem_numbers)
    if not problems and not entry.errors:
        entry.refuse("problems", _("请填写问题编号"))
    entry.raise_errors()
    had = set(rule.problems.values_list("pk", flat=True))
    added = [p for p in problems if p.pk not in had]
    rule.problems.add(*added)
    record_audit(
        actor=actor,
        action="campaigns.rule.link",
        obj=rule,
        unit=rule.unit,
        after={"added": [p.number for p in added]},
    )
    return rule


# --- Open-door and grassroots activities -----------------------------------------------------


def _activity_fields(
    entry: _Entry,
    *,
    kind: str,
    held_on: date,
    ends_on: date | None,
    starts_at: time | None,
    ends_at: time | None,
    place: str,
    cadre: str,
) -> dict[str, Any]:
    if kind not in Activity.Kind.values:
        entry.refuse("kind", _("请选择活动类型"))
    if ends_on is not None and ends_on < held_on:
        entry.refuse("ends_on", _("结束日期不能早于开始日期"))
    elif ends_on is not None and (ends_on - held_on).days > 13:
        entry.refuse("ends_on", _("一次活动最长两周"))
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        entry.refuse("ends_at", _("结束时间须晚于开始时间"))
    return {
        "kind": kind,
        "held_on": held_on,
        "ends_on": ends_on if ends_on != held_on else None,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "place": entry.text("place", place, _("地点"), cap=100),
        "cadre": entry.text("cadre", cadre, _("接待人或参加人"), cap=50),
    }


@transaction.atomic
def check_plan_activity(
    *,
    actor: User,
    unit: Unit,
    kind: str,
    held_on: date,
    place: str,
    cadre: str,
    ends_on: date | None = None,
    starts_at: time | None = None,
    ends_at: time | None = None,
    how_to_come: str = "",
    contact: str = "",
) -> Activity:
    """Announce an activity ahead. A reception day or an open week is then a public notice
    (`/notice/reception/`): when, where, who receives and how to come — which it must say."""
    entry = _Entry(actor, unit, _("活动"))
    values = _activity_fields(
        entry, kind=kind, held_on=held_on, ends_on=ends_on, starts_at=starts_at,
        ends_at=ends_at, place=place, cadre=cadre,
    )  # fmt: skip
    if held_on < timezone.localdate():
        entry.refuse("held_on", _("公告的活动日期不能早于今天"))
    if kind in Activity.PUBLIC_KINDS:
        how_to_come = entry.text("how_to_come", how_to_come, _("参加方式"), cap=HOW_MAX)
        if starts_at is None:
            entry.refuse("starts_at", _("请填写接待开始时间"))
    return entry.save(
        Activity,
        action="activity.plan",
        after={"kind": kind, "held_on": held_on.isoformat(), "place": values["place"]},
        status=Activity.Status.PLANNED,
        how_to_come=how_to_come.strip()[:HOW_MAX],
        contact=contact.strip()[:30],
        **values,
    )


@transaction.atomic
def check_record_activity(
    *,
    actor: User,
    unit: Unit,
    kind: str,
    held_on: date,
    place: str,
    cadre: str,
    found: str = "",
    ends_on: date | None = None,
) -> Activity:
    """An activity already held by the unit (or one of its cadres), recorded afterwards."""
    entry = _Entry(actor, unit, _("活动"))
    values = _activity_fields(
        entry, kind=kind, held_on=held_on, ends_on=ends_on, starts_at=None, ends_at=None,
        place=place, cadre=cadre,
    )  # fmt: skip
    if _past(held_on):
        entry.refuse("held_on", _("只能登记已经举行的活动"))
    return entry.save(
        Activity,
        action="activity.record",
        after={"kind": kind, "held_on": held_on.isoformat()},
        status=Activity.Status.HELD,
        found=found.strip()[:TEXT_MAX],
        **values,
    )


def _locked(activity: Activity, *, actor: User) -> Activity:
    if not records_for(actor, activity.unit):
        raise ValidationError(_("只有本单位的管理员或专项办可以登记本单位的活动"))
    stored = Activity.objects.select_for_update().get(pk=activity.pk)
    activity.status = stored.status
    return activity


@transaction.atomic
def check_hold_activity(activity: Activity, *, actor: User, found: str) -> Activity:
    """The announced activity took place: what was found (the matters raised are tickets)."""
    activity = _locked(activity, actor=actor)
    if activity.status != Activity.Status.PLANNED:
        raise ValidationError(_("只有已公告的活动可以登记举行情况"))
    if _past(activity.held_on):
        raise ValidationError(_("活动尚未举行"))
    activity.status, activity.found = Activity.Status.HELD, found.strip()[:TEXT_MAX]
    activity.save(update_fields=["status", "found"])
    record_audit(
        actor=actor, action="campaigns.activity.hold", obj=activity, unit=activity.unit,
        after={"status": activity.status},
    )  # fmt: skip
    return activity


@transaction.atomic
def check_cancel_activity(activity: Activity, *, actor: User, reason: str) -> Activity:
    """Call off an announced activity; its public notice then says so, with the reason."""
    activity = _locked(activity, actor=actor)
    if activity.status != Activity.Status.PLANNED or activity.held_on < timezone.localdate():
        raise ValidationError(_("只有已公告、尚未举行的活动可以取消"))
    reason = reason.strip()
    if not reason or len(reason) > 200:
        raise ValidationError({"reason": [_("请用 200 字以内说明取消原因（将在公告中显示）")]})
    activity.status, activity.cancel_reason = Activity.Status.CANCELLED, reason
    activity.save(update_fields=["status", "cancel_reason"])
    record_audit(
        actor=actor, action="campaigns.activity.cancel", obj=activity, unit=activity.unit,
        after={"reason": reason},
    )  # fmt: skip
    return activity


@dataclass(frozen=True)
class FiledMatter:
    matter: ActivityMatter
    receipt: str  # the ticket's receipt code, to hand to the person once (not kept here)

    @property
    def receipt_grouped(self) -> str:
        """The code in groups of four, as the channel prints it (easier to copy by hand)."""
        return " ".join(self.receipt[i : i + 4] for i in range(0, len(self.receipt), 4))


@transaction.atomic
def check_file_matter(
    activity: Activity,
    *,
    actor: User,
    category_id: int,
    title: str,
    text: str,
    kind: str = "",
) -> FiledMatter:
    """A matter someone raised at the activity, filed as a ticket of the channel (source
    接待日) about the activity's unit — stored, routed and answered like any other, the person
    following it with the receipt code handed over on the spot. On the activity's day or
    after it; never for one called off."""
    activity = _locked(activity, actor=actor)
    if activity.status == Activity.Status.CANCELLED:
        raise ValidationError(_("活动已取消，不能登记群众反映事项"))
    if _past(activity.held_on):
        raise ValidationError(_("活动尚未举行，不能登记群众反映事项"))
    errors: dict[str, list[str]] = {}
    if not title.strip() or len(title.strip()) > 100:
        errors["title"] = [_("请用 100 字以内概括反映的事项")]
    if not text.strip():
        errors["text"] = [_("请记录群众反映的具体内容")]
    if errors:
        raise ValidationError(errors)
    sink = registry.complaint_sink()
    if sink is None:
        raise ValidationError(_("未启用作风建设直通车，暂不能登记为工单"))
    filed = sink.file(
        actor=actor,
        unit=activity.unit,
        category_id=category_id,
        title=title.strip(),
        text=text.strip(),
        source="reception",
        ref=f"activity-{activity.pk}-{secrets.token_hex(8)}",
        kind=kind,
    )
    matter = ActivityMatter.objects.create(
        activity=activity, ticket=filed.number, title=title.strip(), filed_by=actor
    )
    Activity.objects.filter(pk=activity.pk).update(raised=models.F("raised") + 1)
    activity.refresh_from_db(fields=["raised"])
    record_audit(
        actor=actor, action="campaigns.activity.matter", obj=activity, unit=activity.unit,
        after={"ticket": filed.number},
    )  # fmt: skip
    return FiledMatter(matter, filed.receipt)

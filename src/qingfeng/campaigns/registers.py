"""The campaign's registers, each change one action with its audit row: dispatch meetings
(调度会) and their agreed items (议定事项) tracked to done; the rules register (制度清单, 建章立制);
open-door and grassroots activities (校长接待日, 机关开放周, 当一天班主任, 跟一次家访)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qingfeng.campaigns import files
from qingfeng.campaigns.models import Activity, Campaign, Meeting, MeetingItem, Rule
from qingfeng.campaigns.permissions import acts_for, records_for
from qingfeng.core.audit import record_audit
from qingfeng.orgs.models import Unit, User

TEXT_MAX = 2000


def _required(errors: dict[str, list[str]], field: str, value: str, label: str) -> str:
    value = value.strip()
    if not value:
        errors[field] = [_("请填写%(label)s") % {"label": label}]
    elif len(value) > TEXT_MAX:
        errors[field] = [_("%(label)s不能超过 %(n)d 字") % {"label": label, "n": TEXT_MAX}]
    return value


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
    if not records_for(actor, unit) or not unit.path.startswith(campaign.owner.path):
        raise ValidationError(_("只有本单位的管理员或专项办可以登记本单位的调度会"))
    errors: dict[str, list[str]] = {}
    title = _required(errors, "title", title, _("会议名称"))[:100]
    attendees = _required(errors, "attendees", attendees, _("参会人员"))
    if held_on > timezone.localdate():
        errors["held_on"] = [_("召开日期不能晚于今天")]
    for text, owner, due in items:
        if not text.strip() or len(text.strip()) > 200:
            errors["items"] = [_("每条议定事项须写明内容（200 字以内）")]
        elif not owner.path.startswith(unit.path):
            errors["items"] = [_("议定事项只能交给本单位或下属单位")]
        elif due < held_on:
            errors["items"] = [_("议定事项的完成时限不能早于开会日期")]
    if errors:
        raise ValidationError(errors)
    meeting = Meeting.objects.create(
        campaign=campaign,
        unit=unit,
        held_on=held_on,
        title=title,
        attendees=attendees,
        summary=summary.strip()[:TEXT_MAX],
        created_by=actor,
    )
    MeetingItem.objects.bulk_create(
        MeetingItem(meeting=meeting, text=text.strip(), unit=owner, due_on=due)
        for text, owner, due in items
    )
    record_audit(
        actor=actor, action="campaigns.meeting.create", obj=meeting, unit=unit,
        after={"held_on": held_on.isoformat(), "items": len(items)},
    )  # fmt: skip
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


@transaction.atomic
def check_adopt_rule(
    *,
    actor: User,
    unit: Unit,
    title: str,
    kind: str,
    adopted_on: date,
    answers: str = "",
    upload: UploadedFile | None = None,
) -> Rule:
    """A rule in the unit's register, with its text when given (checked and scrubbed)."""
    if not records_for(actor, unit):
        raise ValidationError(_("只有本单位的管理员或专项办可以登记本单位的制度"))
    errors: dict[str, list[str]] = {}
    title = _required(errors, "title", title, _("制度名称"))[:100]
    if kind not in Rule.Kind.values:
        errors["kind"] = [_("请选择新制定或修订")]
    if adopted_on > timezone.localdate():
        errors["adopted_on"] = [_("印发日期不能晚于今天")]
    if errors:
        raise ValidationError(errors)
    rule = Rule.objects.create(
        unit=unit,
        title=title,
        kind=kind,
        adopted_on=adopted_on,
        answers=answers.strip()[:TEXT_MAX],
        created_by=actor,
    )
    if upload is not None:
        files.attach(rule, actor=actor, upload=upload)
    record_audit(
        actor=actor, action="campaigns.rule.adopt", obj=rule, unit=unit,
        after={"title": title, "kind": kind, "adopted_on": adopted_on.isoformat()},
    )  # fmt: skip
    return rule


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
    raised: int = 0,
) -> Activity:
    """An open-door or grassroots activity held by the unit (or one of its cadres)."""
    if not records_for(actor, unit):
        raise ValidationError(_("只有本单位的管理员或专项办可以登记本单位的活动"))
    errors: dict[str, list[str]] = {}
    if kind not in Activity.Kind.values:
        errors["kind"] = [_("请选择活动类型")]
    place = _required(errors, "place", place, _("地点"))[:100]
    cadre = _required(errors, "cadre", cadre, _("参加人"))[:50]
    if held_on > timezone.localdate():
        errors["held_on"] = [_("只能登记已经举行的活动")]
    if raised < 0:
        errors["raised"] = [_("件数不能为负")]
    if errors:
        raise ValidationError(errors)
    activity = Activity.objects.create(
        unit=unit,
        kind=kind,
        held_on=held_on,
        place=place,
        cadre=cadre,
        found=found.strip()[:TEXT_MAX],
        raised=raised,
        created_by=actor,
    )
    record_audit(
        actor=actor, action="campaigns.activity.record", obj=activity, unit=unit,
        after={"kind": kind, "held_on": held_on.isoformat(), "raised": raised},
    )  # fmt: skip
    return activity

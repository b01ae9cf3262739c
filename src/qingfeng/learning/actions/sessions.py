"""Study sessions: plan, leave, attendance (scan or list), record as held with make-ups,
cancel; make-ups to done."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from qingfeng.core.actions import notify
from qingfeng.core.audit import record_audit
from qingfeng.core.calendar import get_calendar
from qingfeng.learning import tokens
from qingfeng.learning.models import Attendance, Case, Makeup, Session, SessionType
from qingfeng.learning.workflow import SESSION
from qingfeng.orgs.models import Person, Unit, User

A = Attendance.Status
AUDIENCE = SessionType.Audience
MAKEUP_WORKDAYS = 10
LATE_AFTER = timedelta(minutes=10)


PT = Person.PostType
# Who counts as a party member for an audience: the flag, or the post type 党员教师 (as the
# pledge groups read it).
PARTY_Q = Q(is_party_member=True) | Q(post_type=PT.PARTY_TEACHER)


def roster(unit: Unit, audience: str, post_types: Sequence[str] = ()) -> QuerySet[Person]:
    """The people a session of the unit expects: the unit's active people, by the audience
    (all, party members, the leadership, the branch committee) and, when given, only those
    of these post types (teachers only, 教辅人员 only …)."""
    people = Person.objects.filter(unit=unit, is_active=True)
    if audience == AUDIENCE.PARTY:
        people = people.filter(PARTY_Q)
    elif audience == AUDIENCE.LEADERS:
        people = people.filter(post_type=Person.PostType.LEADER)
    elif audience == AUDIENCE.COMMITTEE:
        people = people.filter(
            is_party_member=True,
            post_type__in=[Person.PostType.LEADER, Person.PostType.MIDDLE],
        )
    if post_types:
        people = people.filter(post_type__in=list(post_types))
    return people.order_by("id")


def session_post_types(type: SessionType, chosen: Sequence[str]) -> list[str]:
    """The post types a session draws its attendees by: the type's, or fewer of them chosen
    by the organiser (any, when the type names none). A choice outside them is refused."""
    chosen = [p for p in dict.fromkeys(chosen) if p]
    unknown = [p for p in chosen if p not in PT.values]
    if unknown:
        raise ValidationError({"post_types": _("岗位类型无效：%(p)s") % {"p": "、".join(unknown)}})
    if not chosen:
        return list(type.post_types)
    outside = [p for p in chosen if type.post_types and p not in type.post_types]
    if outside:
        raise ValidationError(
            {
                "post_types": _("“%(t)s”只面向%(allowed)s，不能选择%(p)s")
                % {
                    "t": type.name,
                    "allowed": "、".join(str(PT(p).label) for p in type.post_types),
                    "p": "、".join(str(PT(p).label) for p in outside),
                }
            }
        )
    return [p for p in PT.values if p in chosen]


@transaction.atomic
def check_plan_session(
    *,
    actor: User,
    unit: Unit,
    type: SessionType,
    starts_at: datetime,
    place: str,
    chair: str,
    topic: str,
    materials: str = "",
    first_item: str = "",
    case_numbers: str = "",
    post_types: Sequence[str] = (),
) -> Session:
    if type.cadence == SessionType.Cadence.PER_MEETING:
        raise ValidationError(
            {"type": _("第一议题在每次党委（党组）会议、支委会中记录，请安排会议并填写第一议题")}
        )
    if not type.is_active:
        raise ValidationError({"type": _("该学习类型已停用")})
    session = Session(
        unit=unit,
        type=type,
        starts_at=starts_at,
        place=place.strip(),
        chair=chair.strip(),
        topic=topic.strip(),
        materials=materials.strip(),
        first_item=first_item.strip(),
        post_types=session_post_types(type, post_types),
        created_by=actor,
    )
    session.full_clean()
    session.save()
    session.cases.set(_cases(case_numbers))
    people = list(roster(unit, type.audience, session.post_types))
    if not people:
        raise ValidationError(_("本单位花名册中没有该学习的应到人员，请先维护花名册或调整参加岗位"))
    Attendance.objects.bulk_create(Attendance(session=session, person=p) for p in people)
    SESSION.record_event(session, "create", actor=actor, to_status=session.status)
    record_audit(
        actor=actor,
        action="learning.session.create",
        obj=session,
        after={
            "type": type.code,
            "topic": session.topic,
            "post_types": session.post_types,
            "expected": len(people),
        },
    )
    return session


def _cases(numbers: str) -> list[Case]:
    """The published cases a warning-education session studies (对照典型案例剖根源)."""
    wanted = [n for n in re.split(r"[\s,，、；;]+", numbers.strip()) if n]
    found = {
        c.number: c for c in Case.objects.filter(number__in=wanted, status=Case.Status.PUBLISHED)
    }
    missing = [n for n in wanted if n not in found]
    if missing:
        raise ValidationError(
            {"case_numbers": _("案例库中没有这些已入库的案例：%(n)s") % {"n": "、".join(missing)}}
        )
    return [found[n] for n in wanted]


def _row(session: Session, person: Person) -> Attendance:
    row = Attendance.objects.select_for_update().filter(session=session, person=person).first()
    if row is None:
        raise ValidationError(_("您不在本次学习的应到人员名单中"))
    return row


@transaction.atomic
def check_ask_leave(session: Session, *, person: Person, actor: User, reason: str) -> Attendance:
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("请填写请假事由")})
    if session.status != Session.Status.PLANNED or session.starts_at <= timezone.now():
        raise ValidationError(_("请假须在学习开始前提出"))
    row = _row(session, person)
    if row.status != A.EXPECTED:
        raise ValidationError(_("已有出勤记录，不能再请假"))
    row.leave_reason, row.leave_asked_at = reason[:200], timezone.now()
    row.leave_approved, row.leave_decided_by = None, None
    row.save(update_fields=["leave_reason", "leave_asked_at", "leave_approved", "leave_decided_by"])
    record_audit(actor=actor, action="learning.leave.ask", obj=session, after={"person": person.pk})
    return row


@transaction.atomic
def check_decide_leave(row: Attendance, *, actor: User, approve: bool) -> Attendance:
    row = Attendance.objects.select_for_update().select_related("session").get(pk=row.pk)
    if row.leave_asked_at is None or row.leave_approved is not None:
        raise ValidationError(_("没有待审批的请假"))
    if row.session.status != Session.Status.PLANNED:
        raise ValidationError(_("学习已结束，不能再审批请假"))
    row.leave_approved, row.leave_decided_by = approve, actor
    if approve:
        row.status = A.LEAVE
    row.save(update_fields=["leave_approved", "leave_decided_by", "status"])
    record_audit(
        actor=actor,
        action="learning.leave.approve" if approve else "learning.leave.refuse",
        obj=row.session,
        after={"person": row.person_id},
    )
    if row.person.user_id:
        notify(
            recipient=row.person.user,  # type: ignore[arg-type]
            title=(_("请假已批准：%(t)s") if approve else _("请假未获批准：%(t)s"))
            % {"t": row.session.topic},
            link="",
        )
    return row


def _status_at(session: Session, when: datetime) -> str:
    return A.LATE if when > session.starts_at + LATE_AFTER else A.PRESENT


def _check_scan_time(session: Session, now: datetime) -> None:
    if session.status != Session.Status.PLANNED or timezone.localdate(
        session.starts_at
    ) != timezone.localdate(now):
        raise ValidationError(_("本次学习不在签到时间内"))


@transaction.atomic
def check_scan(token: str, *, person: Person, actor: User, device: str) -> Attendance:
    """A scan of the rotating code on the person's own phone. The person's row, its session,
    the session's unit and type (the audit row's) in one locked read; a phone already used for
    someone else is refused by the one-device constraint (no read first), and the refusal
    rolls the scan back."""
    session_id = tokens.read(token)
    row = (
        Attendance.objects.select_for_update(of=("self",))
        .select_related("session__unit", "session__type")
        .filter(session_id=session_id, person=person)
        .first()
    )
    if row is None:
        missing = Session.objects.filter(pk=session_id).first()
        if missing is None:
            raise ValidationError(_("签到码无效，请扫描现场屏幕上的二维码"))
        _check_scan_time(missing, timezone.now())
        raise ValidationError(_("您不在本次学习的应到人员名单中"))
    session = row.session
    now = timezone.now()
    _check_scan_time(session, now)
    if row.status in (A.PRESENT, A.LATE):
        raise ValidationError(
            _("您已于 %(t)s 签到，签到码不能重复使用")
            % {"t": timezone.localtime(row.marked_at).strftime("%H:%M")}
        )
    if not device:
        raise ValidationError(_("无法识别这台手机，请允许浏览器保存 Cookie 后重新扫码"))
    row.status, row.via, row.marked_at, row.device = _status_at(session, now), "scan", now, device
    try:
        # No savepoint of its own (two statements a scan): a refused phone fails the whole
        # scan, and the ValidationError rolls back this action's transaction with it.
        row.save(update_fields=["status", "via", "marked_at", "device"])
    except IntegrityError as exc:
        raise ValidationError(_("这台手机已为其他人签到，每人须用自己的手机扫码")) from exc
    record_audit(
        actor=actor,
        action="learning.attendance.scan",
        obj=session,
        after={"person": person.pk, "status": row.status},
    )
    return row


REASON_MAX = 200


def _reason(text: str) -> str:
    reason = " ".join(text.split())
    if len(reason) > REASON_MAX:
        raise ValidationError({"reasons": _("缺席原因不能超过 %(n)d 个字") % {"n": REASON_MAX}})
    return reason


@transaction.atomic
def check_mark_attendance(
    session: Session,
    *,
    actor: User,
    marks: Mapping[int, str],
    reasons: Mapping[int, str] | None = None,
) -> int:
    """The organiser ticks the list: person id → 出席 / 迟到 / 请假 / 缺席, with the reason of
    each 缺席 (kept only while the person is marked absent). Everything is checked before
    anything is written."""
    if session.status != Session.Status.PLANNED:
        raise ValidationError(_("学习已记录，出勤不能再修改"))
    reasons = {k: _reason(v) for k, v in (reasons or {}).items()}
    allowed = {A.PRESENT, A.LATE, A.LEAVE, A.ABSENT, A.EXPECTED}
    rows = {
        r.person_id: r
        for r in Attendance.objects.select_for_update().filter(
            session=session, person_id__in=list(marks)
        )
    }
    for person_id, status in marks.items():
        if status not in allowed:
            raise ValidationError(_("出勤状态无效：%(s)s") % {"s": status})
        if person_id not in rows:
            raise ValidationError(_("所选人员不在本次学习的应到名单中"))
    changed = 0
    now = timezone.now()
    for person_id, status in marks.items():
        row = rows[person_id]
        reason = reasons.get(person_id, row.absence_reason) if status == A.ABSENT else ""
        if row.status == status and row.absence_reason == reason:
            continue
        row.status = status
        row.absence_reason = reason
        row.via = "list" if status in (A.PRESENT, A.LATE) else row.via
        row.marked_at = now if status in (A.PRESENT, A.LATE) else row.marked_at
        row.save(update_fields=["status", "via", "marked_at", "absence_reason"])
        changed += 1
    record_audit(
        actor=actor,
        action="learning.attendance.mark",
        obj=session,
        after={"changed": changed},
    )
    return changed


@transaction.atomic
def check_hold_session(
    session: Session, *, actor: User, minutes: str, first_item: str = ""
) -> Session:
    """Record the session as held: the minutes, everyone not marked present is absent (or on
    approved leave), and each absentee and each person on leave gets a make-up."""
    first_item = first_item.strip() or session.first_item
    with SESSION.move(session, "hold", actor=actor) as step:
        if session.starts_at > timezone.now():
            raise ValidationError(_("学习尚未开始，不能记录"))
        session.minutes = minutes.strip()
        session.first_item = first_item
        session.held_at = timezone.now()
        # A leave asked and not granted is an absence: its reason goes into the minutes.
        unanswered = list(
            Attendance.objects.filter(
                session=session, status=A.EXPECTED, leave_asked_at__isnull=False
            )
        )
        for row in unanswered:
            note = _("请假未获批准") if row.leave_approved is False else _("请假未审批")
            row.status, row.absence_reason = A.ABSENT, f"{note}：{row.leave_reason}"[:REASON_MAX]
        Attendance.objects.bulk_update(unanswered, ["status", "absence_reason"])
        Attendance.objects.filter(session=session, status=A.EXPECTED).update(status=A.ABSENT)
        due = get_calendar().add_workdays(timezone.localdate(), MAKEUP_WORKDAYS)
        missed = list(
            Attendance.objects.filter(
                session=session, status__in=[A.ABSENT, A.LEAVE]
            ).select_related("person__user")
        )
        Makeup.objects.bulk_create(
            Makeup(attendance=r, person=r.person, due_on=due) for r in missed
        )
        step.note.update(makeups=len(missed))
    for row in missed:
        if row.person.user_id:
            notify(
                recipient=row.person.user,  # type: ignore[arg-type]
                title=_("补课提醒：%(t)s") % {"t": session.topic},
                body=_("请在 %(d)s 前完成补课（自学材料并提交心得，或参加后续学习）。")
                % {"d": due.isoformat()},
                link="",
            )
    return session


@transaction.atomic
def check_note_absence_reasons(session: Session, *, actor: User, reasons: Mapping[int, str]) -> int:
    """The reasons of the absentees of a held session (those the record marked absent), for
    the minutes: person id → reason. Only absentees; all checked before any is written."""
    if session.status != Session.Status.HELD:
        raise ValidationError(_("学习记录后才能补填缺席原因"))
    cleaned = {k: _reason(v) for k, v in reasons.items()}
    rows = {
        r.person_id: r
        for r in Attendance.objects.select_for_update().filter(
            session=session, person_id__in=list(cleaned)
        )
    }
    stray = [k for k in cleaned if k not in rows or rows[k].status != A.ABSENT]
    if stray:
        raise ValidationError(_("只能为缺席人员填写缺席原因"))
    changed = [rows[k] for k, v in cleaned.items() if rows[k].absence_reason != v]
    for row in changed:
        row.absence_reason = cleaned[row.person_id]
    Attendance.objects.bulk_update(changed, ["absence_reason"])
    record_audit(
        actor=actor,
        action="learning.attendance.reasons",
        obj=session,
        after={"reasons": {str(r.person_id): r.absence_reason for r in changed}},
    )
    return len(changed)


@transaction.atomic
def check_cancel_session(session: Session, *, actor: User, reason: str) -> Session:
    if not reason.strip():
        raise ValidationError({"reason": _("请填写取消原因")})
    return SESSION.apply(session, "cancel", actor=actor, reason=reason.strip())


@transaction.atomic
def check_complete_makeup(
    makeup: Makeup, *, actor: User, note: str = "", later_session: Session | None = None
) -> Makeup:
    """Done by a note on the materials, or by attendance at a later held session."""
    makeup = (
        Makeup.objects.select_for_update().select_related("attendance__session").get(pk=makeup.pk)
    )
    if makeup.status == Makeup.Status.DONE:
        raise ValidationError(_("该补课已完成"))
    missed = makeup.attendance.session
    if later_session is not None:
        attended = Attendance.objects.filter(
            Q(status=A.PRESENT) | Q(status=A.LATE),
            session=later_session,
            person_id=makeup.person_id,
            session__status=Session.Status.HELD,
            session__starts_at__gt=missed.starts_at,
        ).exists()
        if not attended:
            raise ValidationError(_("所选学习须在缺席的学习之后举行，且本人已出席"))
        makeup.kind, makeup.later_session = Makeup.Kind.LATER, later_session
    else:
        note = note.strip()
        if len(note) < 20:
            raise ValidationError({"note": _("请简要写出自学心得（不少于 20 字）")})
        makeup.kind, makeup.note = Makeup.Kind.MATERIALS, note
    makeup.status, makeup.done_at, makeup.done_by = Makeup.Status.DONE, timezone.now(), actor
    makeup.save()
    record_audit(
        actor=actor,
        action="learning.makeup.done",
        obj=missed,
        after={"person": makeup.person_id, "kind": makeup.kind},
    )
    return makeup

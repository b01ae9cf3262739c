"""Deadlines in working days (DESIGN.md §4): traffic lights and the reminder ladder
(催办 → 督办 → 提级督办), for every app whose rows run a clock.

An app describes when a row's clock runs and against which date (`Clock`), which makes its
`Lights`: the light of one row (on every change) and of all rows for a day (the daily sweep,
batched by date windows, touching only the rows whose light changed). Its `Ladder` says who
hears of a late row at each stage and in what words; `Ladder.escalate` writes each stage once
per row and due date (a unique `Escalation` row), with its notifications, so running the
sweep twice sends nothing twice. The app computes the recipients; core knows no organisation.

A row has `status`, `light` and `urgency` columns (and `due_key` when `Lights.due_key`): the
light is green, yellow (due within the clock's yellow window of working days) or red
(overdue); `urgency` is its sort key; no light while no clock runs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Generic, TypeVar

from django.db import IntegrityError, transaction
from django.db.models import F, Model, Q, QuerySet
from django.utils import timezone

from qingfeng.core.actions import notify
from qingfeng.core.calendar import get_calendar
from qingfeng.core.models import Escalation
from qingfeng.lib.workdays import WorkCalendar

if TYPE_CHECKING:
    from qingfeng.orgs.models import User

M = TypeVar("M", bound=Model)
GREEN, YELLOW, RED = "green", "yellow", "red"
# The list order: red, yellow, green, then rows without a light.
URGENCY: dict[str, int] = {RED: 0, YELLOW: 1, GREEN: 2, "": 3}
BATCH = 2000


def light_on(
    due: date | None, today: date, *, yellow_days: int, calendar: WorkCalendar | None = None
) -> str:
    """Red once `due` has passed, yellow while at most `yellow_days` working days are left
    (on the official calendar), else green; none without a due date."""
    if due is None:
        return ""
    if today > due:
        return RED
    if (calendar or get_calendar()).count_workdays(today, due) <= yellow_days:
        return YELLOW
    return GREEN


def _no_yellow_window() -> int:
    return 0


@dataclass(frozen=True)
class Clock:
    """A deadline that runs while a row is in one of `statuses`, against the date in `field`.

    `yellow_days` is read when the light is computed, so a setting changed in a test or by
    the environment applies. A `steady` clock keeps one light while it has a date (the
    ledger's closure request stays green while it waits for verification)."""

    name: str
    statuses: frozenset[str]
    field: str
    yellow_days: Callable[[], int] = _no_yellow_window
    steady: str = ""

    def light(
        self,
        due: date | None,
        today: date,
        *,
        yellow_days: int | None = None,
        calendar: WorkCalendar | None = None,
    ) -> str:
        if due is None or self.steady:
            return self.steady if due is not None else ""
        days = self.yellow_days() if yellow_days is None else yellow_days
        return light_on(due, today, yellow_days=days, calendar=calendar)

    def windows(self, today: date, calendar: WorkCalendar) -> dict[str, Q]:
        """Each light as a range of due dates for `today`: the rule of `light`, as dates."""
        if self.steady:
            return {self.steady: Q(**{f"{self.field}__isnull": False})}
        # Yellow while at most n working days are left: before the (n+1)th working day after
        # today (a due date on the weekend after the nth working day is still yellow).
        green_from = calendar.add_workdays(today, self.yellow_days() + 1)
        return {
            RED: Q(**{f"{self.field}__lt": today}),
            YELLOW: Q(**{f"{self.field}__gte": today, f"{self.field}__lt": green_from}),
            GREEN: Q(**{f"{self.field}__gte": green_from}),
        }


@dataclass(frozen=True)
class Lights(Generic[M]):
    """The clocks of one model (at most one runs at a time for a row).

    With `due_key`, the row's `due_key` column is the running clock's date (`date.max` when
    none runs), kept with the light; without, the model keeps its own sort key."""

    model: type[M]
    clocks: tuple[Clock, ...]
    due_key: bool = True

    def clock_for(self, status: str) -> Clock | None:
        return next((c for c in self.clocks if status in c.statuses), None)

    def running(self, obj: M) -> tuple[Clock | None, date | None]:
        """The clock that runs for the row's status, and its due date."""
        clock = self.clock_for(obj.status)  # type: ignore[attr-defined]
        if clock is None:
            return None, None
        due: date | None = getattr(obj, clock.field)
        return clock, due

    def light_for(self, obj: M, today: date | None = None) -> str:
        clock, due = self.running(obj)
        return clock.light(due, today or timezone.localdate()) if clock is not None else ""

    def set_light(
        self, obj: M, today: date | None = None, *, calendar: WorkCalendar | None = None
    ) -> None:
        """The light, urgency (and sort key) for the row's current status; not saved.
        `calendar`: the one the caller already read (one statement less)."""
        clock, due = self.running(obj)
        today = today or timezone.localdate()
        light = clock.light(due, today, calendar=calendar) if clock is not None else ""
        obj.light = light  # type: ignore[attr-defined]
        obj.urgency = URGENCY[light]  # type: ignore[attr-defined]
        if self.due_key:
            obj.due_key = due if due is not None else date.max  # type: ignore[attr-defined]

    def recompute(self, today: date) -> int:
        """Set every row's light for `today`, a few UPDATEs per clock over date windows;
        returns how many rows changed (0 when run again the same day)."""
        calendar = get_calendar()
        rows = self.model._default_manager
        changed = 0
        running = Q()
        with transaction.atomic():
            for clock in self.clocks:
                key = {"due_key": F(clock.field)} if self.due_key else {}
                for light, window in clock.windows(today, calendar).items():
                    changed += (
                        rows.filter(window, status__in=clock.statuses)
                        .exclude(light=light, **key)
                        .update(light=light, urgency=URGENCY[light], **key)
                    )
                running |= Q(status__in=clock.statuses, **{f"{clock.field}__isnull": False})
            idle = {"due_key": date.max} if self.due_key else {}
            changed += (
                rows.exclude(running)
                .exclude(light="", **idle)
                .update(light="", urgency=URGENCY[""], **idle)
            )
        return changed


def ladder_stage(
    light: str,
    due: date,
    today: date,
    *,
    escalate_after: int,
    calendar: WorkCalendar | None = None,
) -> str | None:
    """催办 while yellow; 督办 once red; 提级督办 once more than `escalate_after` working
    days overdue. None for a green row or one without a light."""
    if light == YELLOW:
        return Escalation.Stage.REMIND
    if light == RED:
        overdue = (calendar or get_calendar()).count_workdays(due, today)
        return Escalation.Stage.ESCALATE if overdue > escalate_after else Escalation.Stage.NOTICE
    return None


@dataclass(frozen=True)
class Reminder:
    """What a reminder says: its notification's title, body and link."""

    title: str
    body: str = ""
    link: str = ""


def escalate_once(
    obj: Model, *, stage: str, due: date, recipients: Sequence[User], reminder: Reminder
) -> bool:
    """Record the stage for this row and due date and notify the recipients, unless it was
    recorded before (then nothing is sent): True when it was sent now."""
    try:
        with transaction.atomic():
            Escalation.objects.create(
                subject=obj._meta.label_lower,
                object_id=obj.pk,
                stage=stage,
                due=due,
                recipients=[u.pk for u in recipients],
            )
            for user in recipients:
                notify(recipient=user, title=reminder.title, body=reminder.body, link=reminder.link)
    except IntegrityError:
        return False  # this stage was already sent for this due date
    return True


@dataclass(frozen=True)
class Ladder(Generic[M]):
    """The reminder ladder of one model.

    `rows` is what the sweep walks (with the relations `recipients` reads); `recipients`
    and `reminder` get the row, the stage and its running clock; `escalate_after` is read at
    each sweep."""

    lights: Lights[M]
    rows: Callable[[], QuerySet[M]]
    recipients: Callable[[M, str, Clock], Sequence[User]]
    reminder: Callable[[M, str, Clock, date], Reminder]
    escalate_after: Callable[[], int]

    def escalate(self, today: date, *, escalate_after: int | None = None) -> int:
        """Write and send the stage each yellow or red row is due; returns how many were
        sent now."""
        after = self.escalate_after() if escalate_after is None else escalate_after
        calendar = get_calendar()
        statuses = {s for c in self.lights.clocks if not c.steady for s in c.statuses}
        late = self.rows().filter(light__in=[YELLOW, RED], status__in=statuses).order_by("id")
        sent = 0
        for obj in late.iterator(chunk_size=BATCH):
            clock, due = self.lights.running(obj)
            if clock is None or due is None:
                continue
            light: str = obj.light  # type: ignore[attr-defined]
            stage = ladder_stage(light, due, today, escalate_after=after, calendar=calendar)
            if stage is None:
                continue
            recipients = self.recipients(obj, stage, clock)
            reminder = self.reminder(obj, stage, clock, due)
            if escalate_once(obj, stage=stage, due=due, recipients=recipients, reminder=reminder):
                sent += 1
        return sent

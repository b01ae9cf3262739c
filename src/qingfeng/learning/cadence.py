"""Whether a unit keeps the required cadence of each study type: per period (a month, a
quarter), the sessions held against the minimum, and a gap alert when the period has only a
few working days left and nothing is held yet. 第一议题 is checked at every meeting whose type
requires a first item. Pure over the rows it is given: one query reads them (selectors)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from qingfeng.learning.models import SessionType
from qingfeng.lib.workdays import WorkCalendar

T = SessionType.Cadence


class State(StrEnum):
    KEPT = "kept"
    DUE = "due"
    ALERT = "alert"
    MISSED = "missed"


STATE_LABELS = {
    State.KEPT: _("已落实"),
    State.DUE: _("待开展"),
    State.ALERT: _("即将逾期"),
    State.MISSED: _("未落实"),
}


@dataclass(frozen=True)
class Period:
    label: str
    starts: date
    ends: date  # inclusive


def month_of(day: date) -> Period:
    starts = day.replace(day=1)
    following = (starts + timedelta(days=32)).replace(day=1)
    return Period(f"{day.year}年{day.month}月", starts, following - timedelta(days=1))


def quarter_of(day: date) -> Period:
    q = (day.month - 1) // 3
    starts = date(day.year, q * 3 + 1, 1)
    ends = month_of(date(day.year, q * 3 + 3, 1)).ends
    return Period(f"{day.year}年第{q + 1}季度", starts, ends)


def periods(cadence: str, *, since: date, today: date) -> list[Period]:
    """The periods from the one holding `since` to the one holding `today`."""
    step = quarter_of if cadence == T.QUARTERLY else month_of
    found: list[Period] = []
    day = since
    while day <= today:
        period = step(day)
        found.append(period)
        day = period.ends + timedelta(days=1)
    return found


@dataclass(frozen=True)
class Held:
    """What the cadence reads of a session: its type, day, whether held, whether it has a
    first item."""

    type_id: int
    day: date
    held: bool
    first_item: bool


@dataclass
class Cell:
    period: Period
    held: int
    planned: int
    state: State
    workdays_left: int = 0
    note: str = ""

    @property
    def label(self) -> str:
        return str(STATE_LABELS[self.state])


@dataclass
class Row:
    type: SessionType
    cells: list[Cell] = field(default_factory=list)

    @property
    def missed(self) -> int:
        return sum(c.state == State.MISSED for c in self.cells)

    @property
    def alerts(self) -> int:
        return sum(c.state == State.ALERT for c in self.cells)


def _cell(
    type_: SessionType, period: Period, rows: list[Held], *, today: date, calendar: WorkCalendar
) -> Cell:
    held = sum(r.held for r in rows)
    planned = sum(not r.held for r in rows)
    if held >= type_.minimum:
        return Cell(period, held, planned, State.KEPT)
    if period.ends < today:
        return Cell(period, held, planned, State.MISSED)
    left = calendar.count_workdays(today, period.ends) + (1 if calendar.is_workday(today) else 0)
    state = State.ALERT if left <= type_.alert_workdays else State.DUE
    return Cell(period, held, planned, state, workdays_left=left)


def _first_items(period: Period, rows: Iterable[Held], first_types: set[int], today: date) -> Cell:
    meetings = [r for r in rows if r.held and r.type_id in first_types]
    without = sum(not r.first_item for r in meetings)
    with_item = len(meetings) - without
    if without:
        state = State.MISSED
    elif period.ends < today and not meetings:
        state = State.KEPT  # no meeting, nothing to precede
    else:
        state = State.KEPT if meetings else State.DUE
    note = str(_("%(n)d 次会议未安排第一议题") % {"n": without}) if without else ""
    return Cell(period, with_item, 0, state, note=note)


def unit_rows(
    types: Iterable[SessionType],
    sessions: Iterable[Held],
    *,
    since: date,
    today: date,
    calendar: WorkCalendar,
) -> list[Row]:
    """One row per type with a cadence, one cell per period since `since`."""
    types = list(types)
    sessions = list(sessions)
    first_types = {t.pk for t in types if t.first_item_required}
    out: list[Row] = []
    for type_ in types:
        if type_.cadence == T.FREE:
            continue
        row = Row(type_)
        cadence = T.MONTHLY if type_.cadence == T.PER_MEETING else type_.cadence
        for period in periods(cadence, since=since, today=today):
            inside = [s for s in sessions if period.starts <= s.day <= period.ends]
            if type_.cadence == T.PER_MEETING:
                row.cells.append(_first_items(period, inside, first_types, today))
            else:
                mine = [s for s in inside if s.type_id == type_.pk]
                row.cells.append(_cell(type_, period, mine, today=today, calendar=calendar))
        out.append(row)
    return out

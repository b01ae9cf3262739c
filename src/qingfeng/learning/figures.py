"""Learning's figures for the campaign's rhythm (core/registry.py `FigureSource`), by the unit
that held the session: sessions held in the period, and their attendance as two counts —
attended (出席 + 迟到) and expected less leave (应到 − 请假) — so a county's rate is a ratio of
sums, never an average of rates; make-ups done in the period and still open. Photos and notes
are never counted (the 2024 rules against formalism). Grouped queries.

And the cadence kept (学习规定动作落实): per study type with a cadence, each of its periods (a
month, a quarter; 第一议题 per month) that lies wholly within the days asked for and is decided
— kept, or over and missed — counts once in `cadence_due`, and in `cadence_kept` when kept, by
the very rule of the unit's cadence calendar (`cadence.unit_rows`). A week holds no whole
period, so the weekly report shows none; a month its monthly types, a quarter all of them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, timedelta

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qingfeng.core import figurelist
from qingfeng.core.calendar import get_calendar
from qingfeng.core.registry import Figure, FigureSource, Ratio
from qingfeng.learning import cadence
from qingfeng.learning.models import Attendance, Makeup, Session, SessionType
from qingfeng.lib.dates import day_bounds

A = Attendance.Status

FIGURES = (
    Figure("sessions_held", _("举行学习"), listed=True),
    Figure("attendance_attended", _("学习出席人次"), listed=True),
    Figure("attendance_expected", _("学习应到人次（除请假）"), listed=True),
    Figure("makeups_done", _("完成补课"), listed=True),
    Figure("makeups_open", _("待补课"), listed=True),
    Figure("cadence_due", _("学习规定动作应落实（类型 × 期）")),
    Figure("cadence_kept", _("学习规定动作已落实（类型 × 期）")),
)


def _conditions(start: date, end: date) -> figurelist.Conditions:
    """Per figure: the model counted, the path from it to the unit that held the session, and
    the condition a record meets to be counted — one definition for the counts and for the
    list of the records behind a count (`records`), so the two are equal by construction."""
    first, after = day_bounds(start, end, timezone.get_current_timezone())
    held = Q(status=Session.Status.HELD, starts_at__gte=first, starts_at__lt=after)
    in_period = Q(
        session__status=Session.Status.HELD,
        session__starts_at__gte=first,
        session__starts_at__lt=after,
    )
    unit = "attendance__session__unit_id"
    return {
        "sessions_held": (Session, "unit_id", held),
        "attendance_attended": (
            Attendance,
            "session__unit_id",
            in_period & Q(status__in=(A.PRESENT, A.LATE)),
        ),
        "attendance_expected": (Attendance, "session__unit_id", in_period & ~Q(status=A.LEAVE)),
        "makeups_done": (
            Makeup,
            unit,
            Q(status=Makeup.Status.DONE, done_at__gte=first, done_at__lt=after),
        ),
        "makeups_open": (Makeup, unit, Q(status=Makeup.Status.OPEN)),
    }


# The counts per unit and the records behind one of them, from `_conditions`.
_count, records = figurelist.counted(_conditions)

DECIDED = (cadence.State.KEPT, cadence.State.MISSED)


def cadence_kept(unit_ids: Sequence[int], start: date, end: date) -> dict[int, dict[str, int]]:
    """Per unit, the cadence periods within `start` … `end` that are decided, and those
    kept: one query of the sessions, whatever the number of units."""
    whole = [
        p
        for p in cadence.periods(cadence.T.MONTHLY, since=start, today=end)
        if p.starts >= start and p.ends <= end
    ]
    types = [
        t
        for t in SessionType.objects.filter(is_active=True).order_by("sort_order", "id")
        if t.cadence != cadence.T.FREE
    ]
    if not whole or not types or not unit_ids:
        return {}
    first, after = day_bounds(start, end, timezone.get_current_timezone())
    held: dict[int, list[cadence.Held]] = defaultdict(list)
    rows = (
        Session.objects.filter(
            unit_id__in=unit_ids,
            starts_at__gte=first,
            starts_at__lt=after,
            status__in=(Session.Status.PLANNED, Session.Status.HELD),
        )
        .values_list("unit_id", "type_id", "starts_at", "status", "first_item")
        .order_by()
    )
    for unit_id, type_id, at, status, first_item in rows:
        held[unit_id].append(
            cadence.Held(
                type_id, timezone.localdate(at), status == Session.Status.HELD, bool(first_item)
            )
        )
    # A period that ended before `end` is judged as over, whenever the figure is read.
    today = min(timezone.localdate(), end + timedelta(days=1))
    calendar = get_calendar()

    def judged(sessions: list[cadence.Held]) -> dict[str, int]:
        cells = [
            c
            for row in cadence.unit_rows(
                types, sessions, since=start, today=today, calendar=calendar
            )
            for c in row.cells
            if c.period.starts >= start and c.period.ends <= end and c.state in DECIDED
        ]
        kept = sum(c.state == cadence.State.KEPT for c in cells)
        return {"cadence_due": len(cells), "cadence_kept": kept}

    nothing = judged([])  # every unit without a session in the period: one answer
    result = {}
    for pk in unit_ids:
        found = judged(held[pk]) if pk in held else nothing
        if found["cadence_due"]:
            result[pk] = found
    return result


def compute(unit_ids: Sequence[int], start: date, end: date) -> Mapping[int, Mapping[str, int]]:
    result = _count(unit_ids, start, end)
    for pk, row in cadence_kept(unit_ids, start, end).items():
        result.setdefault(pk, {}).update(row)
    return result


SOURCE = FigureSource(
    "learning",
    _("学习教育"),
    5,
    FIGURES,
    compute,
    records="learning:figures",
    own_records=True,
    stage="learn",
    ratios=(
        Ratio("attendance_rate", _("学习出席率"), "attendance_attended", "attendance_expected"),
        Ratio("cadence_rate", _("学习规定动作落实率"), "cadence_kept", "cadence_due"),
    ),
)

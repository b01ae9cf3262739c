"""Learning's figures for the campaign's rhythm (core/registry.py `FigureSource`), by the unit
that held the session: sessions held in the period, and their attendance as two counts —
attended (出席 + 迟到) and expected less leave (应到 − 请假) — so a county's rate is a ratio of
sums, never an average of rates; make-ups done in the period and still open. Photos and notes
are never counted (the 2024 rules against formalism). Grouped queries."""

from __future__ import annotations

from datetime import date

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qingfeng.core import figurelist
from qingfeng.core.registry import Figure, FigureSource, Ratio
from qingfeng.learning.models import Attendance, Makeup, Session
from qingfeng.lib.dates import day_bounds

A = Attendance.Status

FIGURES = (
    Figure("sessions_held", _("举行学习"), listed=True),
    Figure("attendance_attended", _("学习出席人次"), listed=True),
    Figure("attendance_expected", _("学习应到人次（除请假）"), listed=True),
    Figure("makeups_done", _("完成补课"), listed=True),
    Figure("makeups_open", _("待补课"), listed=True),
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
compute, records = figurelist.counted(_conditions)


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
    ),
)

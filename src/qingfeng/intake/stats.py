"""Public statistics of the supervision channel (/report/stats/): numbers only.

What counts, over the tickets filed in the last 12 months (this month and the 11 before):
- a matter once: a duplicate merged into a master ticket is not counted again;
- on-time acceptance: matters accepted or declined by their acceptance deadline, out of those
  decided plus those still waiting past it;
- on-time reply: matters answered by their reply deadline (the latest one, after a redo), out
  of those answered plus those still being handled past it;
- satisfaction: every reporter's rating, a merged duplicate's reporter included (each is a
  person who was answered); 4 and 5 count as satisfied.

Everything is a handful of aggregate queries (conditional counts), never a loop over tickets,
and the result is cached for QF_STATS_CACHE_SECONDS. The page never goes below a county, and
a county with fewer than QF_STATS_MIN_COUNT tickets in the period is not shown on its own.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncDate
from django.db.models.sql.compiler import SQLCompiler
from django.utils import timezone

from qingfeng.core import replica
from qingfeng.intake.models import Ticket, TicketCategory, TicketEvent
from qingfeng.orgs.models import Unit

S = Ticket.Status
MONTHS = 12
SATISFIED = 4  # ratings at or above: 满意 (5) and 比较满意 (4)
WORKING = (S.ACCEPTED, S.ASSIGNED, S.HANDLING)
CACHE_VERSION = 1


class LocalDate(TruncDate):
    """The local calendar date of a stored moment, with no Python function per row.

    Django's own date cast calls back into Python for every row on SQLite (seconds over a
    city's tickets). PostgreSQL converts by the zone's name, as Django does; SQLite shifts by
    the zone's current UTC offset, which is exact for a zone without daylight saving time
    (China's) and at most an hour off around a change elsewhere."""

    def as_sqlite(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: Any
    ) -> tuple[str, list[Any]]:
        sql, params = compiler.compile(self.lhs)
        offset = timezone.localtime().utcoffset() or timedelta()
        return f"date({sql}, %s)", [*params, f"{int(offset.total_seconds() // 60):+d} minutes"]


@dataclass(frozen=True)
class Rate:
    done: int
    of: int

    @property
    def percent(self) -> float | None:
        return round(100 * self.done / self.of, 1) if self.of else None


@dataclass(frozen=True)
class Stats:
    since: date
    total: int
    by_status: list[tuple[str, int]]
    by_category: list[tuple[str, int]]
    by_month: list[tuple[str, int]]
    accept: Rate
    reply: Rate
    rated: int
    satisfied: int
    rating_sum: int

    @property
    def satisfied_rate(self) -> Rate:
        return Rate(self.satisfied, self.rated)

    @property
    def average_rating(self) -> float | None:
        return round(self.rating_sum / self.rated, 2) if self.rated else None


def month_starts(today: date) -> list[date]:
    """The first days of the last MONTHS months, oldest first, and of the next month."""
    index = today.year * 12 + today.month - 1
    return [date(i // 12, i % 12 + 1, 1) for i in range(index - MONTHS + 1, index + 2)]


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=timezone.get_current_timezone())


def _in_area(county: Unit | None, prefix: str = "") -> Q:
    """Tickets about a unit in the county; one about no unit counts where it is handled."""
    if county is None:
        return Q()
    return county.subtree_q(f"{prefix}unit") | (
        Q(**{f"{prefix}unit__isnull": True}) & county.subtree_q(f"{prefix}handling_unit")
    )


def compute(county: Unit | None, today: date) -> Stats:
    starts = month_starts(today)
    since = _midnight(starts[0])
    matter = Q(master__isnull=True)
    counts: dict[str, Any] = {
        "total": Count("pk", filter=matter),
        "rated": Count("pk", filter=Q(rating__isnull=False)),
        "satisfied": Count("pk", filter=Q(rating__gte=SATISFIED)),
        "rating_sum": Sum("rating"),
        "replied": Count("pk", filter=matter & Q(replied_at__isnull=False)),
        "replied_on_time": Count(
            "pk", filter=matter & Q(replied_at__isnull=False, replied_on__lte=F("reply_due"))
        ),
        "reply_late_open": Count(
            "pk",
            filter=matter & Q(replied_at__isnull=True, status__in=WORKING, reply_due__lt=today),
        ),
        "accept_late_open": Count("pk", filter=matter & Q(status=S.RECEIVED, accept_due__lt=today)),
    }
    categories = list(TicketCategory.objects.values_list("pk", "name"))
    for pk, _name in categories:
        counts[f"c_{pk}"] = Count("pk", filter=matter & Q(category_id=pk))
    for status in S:
        counts[f"s_{status.value}"] = Count("pk", filter=matter & Q(status=status))
    for i in range(MONTHS):
        window = Q(created_at__gte=_midnight(starts[i]), created_at__lt=_midnight(starts[i + 1]))
        counts[f"m_{i}"] = Count("pk", filter=matter & window)
    tickets = Ticket.objects.filter(_in_area(county), created_at__gte=since)
    row = tickets.annotate(replied_on=LocalDate("replied_at")).aggregate(**counts)

    # Acceptance is a decision row (受理 or 不予受理), made at most once per ticket.
    decided = (
        TicketEvent.objects.filter(
            _in_area(county, "ticket__"),
            action__in=("accept", "decline"),
            ticket__created_at__gte=since,
            ticket__master__isnull=True,
        )
        .annotate(on=LocalDate("created_at"))
        .aggregate(
            n=Count("ticket_id", distinct=True),
            on_time=Count("ticket_id", distinct=True, filter=Q(on__lte=F("ticket__accept_due"))),
        )
    )
    return Stats(
        since=starts[0],
        total=row["total"],
        by_status=[(s.value, row[f"s_{s.value}"]) for s in S if row[f"s_{s.value}"]],
        by_category=[(name, row[f"c_{pk}"]) for pk, name in categories if row[f"c_{pk}"]],
        by_month=[(starts[i].strftime("%Y-%m"), row[f"m_{i}"]) for i in range(MONTHS)],
        accept=Rate(decided["on_time"], decided["n"] + row["accept_late_open"]),
        reply=Rate(row["replied_on_time"], row["replied"] + row["reply_late_open"]),
        rated=row["rated"],
        satisfied=row["satisfied"],
        rating_sum=row["rating_sum"] or 0,
    )


def cached(county: Unit | None, *, today: date | None = None) -> Stats:
    """`compute`, remembered for a few minutes (the page is public and may be busy)."""
    today = today or timezone.localdate()
    key = f"qf:intake:stats:{CACHE_VERSION}:{county.pk if county else 'city'}:{today.isoformat()}"
    found = cache.get(key)
    fresh_for = settings.QF_STATS_CACHE_SECONDS
    if isinstance(found, tuple) and len(found) == 2 and isinstance(found[1], Stats):
        computed_at, stats = found
        if time.time() - computed_at < fresh_for:
            return stats
        # Out of date: one request recomputes, the others keep answering with these numbers
        # meanwhile (no pile of identical whole-table scans when a busy page's entry expires).
        if not cache.add(f"{key}:busy", 1, 120):
            return stats
    with replica.reads():  # whole-table counts: the read replica's work, when there is one
        stats = compute(county, today)
    cache.set(key, (time.time(), stats), fresh_for * 4)
    cache.delete(f"{key}:busy")
    return stats


def suppressed(stats: Stats, county: Unit | None) -> bool:
    """A county with few tickets is not shown on its own: a handful of reports about a small
    area can point at the people who filed them."""
    return county is not None and stats.total < settings.QF_STATS_MIN_COUNT


def counties() -> list[Unit]:
    return list(
        Unit.objects.filter(kind=Unit.Kind.COUNTY, is_active=True)
        .only("pk", "name", "short_name")
        .order_by("sort_order", "path")
    )

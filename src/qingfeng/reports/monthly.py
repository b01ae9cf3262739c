"""Monthly figures frozen in a summary table (`MonthFigure`), the dashboard's past months and
trends, and the current month's live figures with a short cache.

- A month that is over is frozen by the nightly job (`freeze_due`, 00:50): every registered
  figure of every active unit, computed once as the month stood at its end (the sources read
  past periods that way), kept per unit and without zeros. A month asked for before the job
  froze it is frozen then. So a past month's figures are at most as old as its last day, and
  they do not move with later edits of the records.
- An issued bulletin's snapshot replaces the frozen figures of the units it covers (when it
  is issued, and again whenever the month is frozen anew), so a past month's dashboard and
  its trend point equal the bulletin. When two bulletins of one month cover the same unit
  (a county's and the city's), the one issued last wins for it.
- The current month is computed from the records when asked and kept `LIVE_SECONDS` in the
  cache (per set of units): a live figure is at most that old.

Each cached value carries the generation of the frozen table (`_generation`): freezing or
issuing moves it, so no trend outlives the numbers it was read from."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from qingfeng.core import registry
from qingfeng.lib.dates import month_last_day
from qingfeng.orgs.models import Unit
from qingfeng.reports.models import Bulletin, FrozenMonth, MonthFigure

JOB = "reports.freeze_months"
LIVE_SECONDS = 120
TREND_MONTHS = 13  # this month and the twelve before it: 环比 and 同比 on one line
FREEZE_BACK = 24  # months the nightly job looks back for one not yet frozen
_GENERATION = "reports:monthly:generation"

Values = dict[int, dict[str, int]]


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _generation() -> int:
    value = cache.get(_GENERATION)
    if value is None:
        cache.add(_GENERATION, 1, None)
        value = cache.get(_GENERATION, 1)
    return int(value)


def _moved() -> None:
    try:
        cache.incr(_GENERATION)
    except ValueError:
        cache.set(_GENERATION, 2, None)


def compute(unit_ids: Sequence[int], first: date, last: date) -> Values:
    """Every registered figure of the days `first` … `last` for each of the units (its own
    records), from the sources; zeros left out."""
    values: Values = defaultdict(dict)
    for source in registry.figure_sources():
        for pk, row in source.compute(unit_ids, first, last).items():
            kept = {k: int(v) for k, v in row.items() if v}
            if kept:
                values[pk].update(kept)
    return dict(values)


@transaction.atomic
def freeze(first: date) -> int:
    """Freeze the month starting `first` (over: its last day is before today): replace its
    rows with every active unit's figures as the month stood at its end, then the issued
    bulletins' numbers. Returns the number of rows kept."""
    first = month_start(first)
    if month_last_day(first) >= timezone.localdate():
        raise ValueError("a month is frozen once it is over")
    ids = list(Unit.objects.filter(is_active=True).values_list("pk", flat=True))
    values = compute(ids, first, month_last_day(first))
    MonthFigure.objects.filter(month=first).delete()
    MonthFigure.objects.bulk_create(
        (
            MonthFigure(month=first, unit_id=pk, key=key, value=value)
            for pk, row in values.items()
            for key, value in row.items()
        ),
        batch_size=2000,
    )
    issued = Bulletin.objects.filter(month=first, status=Bulletin.Status.ISSUED)
    for bulletin in issued.order_by("issued_at", "pk"):
        _apply(bulletin)
    FrozenMonth.objects.update_or_create(month=first, defaults={"frozen_at": timezone.now()})
    transaction.on_commit(_moved)
    return MonthFigure.objects.filter(month=first).count()


def _apply(bulletin: Bulletin) -> None:
    """The bulletin's numbers for the units below its issuer, in place of the frozen ones."""
    covered = Unit.objects.within(bulletin.issuer).exclude(pk=bulletin.issuer_id)
    MonthFigure.objects.filter(month=bulletin.month, unit__in=covered).delete()
    existing = set(covered.values_list("pk", flat=True))
    MonthFigure.objects.bulk_create(
        (
            MonthFigure(month=bulletin.month, unit_id=int(pk), key=key, value=int(value))
            for pk, row in bulletin.snapshot.get("units", {}).items()
            if int(pk) in existing
            for key, value in row.items()
            if value
        ),
        batch_size=2000,
    )


def bulletin_issued(bulletin: Bulletin) -> None:
    """Called inside the issuing transaction: a frozen month takes the bulletin's numbers (a
    month not yet frozen takes them when it is)."""
    if FrozenMonth.objects.filter(month=bulletin.month).exists():
        _apply(bulletin)
        transaction.on_commit(_moved)


def freeze_due(today: date | None = None) -> list[date]:
    """The nightly job: freeze every month of the last `FREEZE_BACK` that is over and not yet
    frozen (normally just the last one), from the month of the oldest unit on."""
    today = today or timezone.localdate()
    this = month_start(today)
    frozen = set(FrozenMonth.objects.values_list("month", flat=True))
    done = []
    for back in range(FREEZE_BACK, 0, -1):
        first = add_months(this, -back)
        if first not in frozen:
            freeze(first)
            done.append(first)
    return done


def run_job(payload: Mapping[str, Any]) -> None:
    """Job: `freeze_due` (the nightly freeze)."""
    freeze_due()


def _ensure_frozen(months: Iterable[date]) -> None:
    today = timezone.localdate()
    wanted = {m for m in months if month_last_day(m) < today}
    if not wanted:
        return
    frozen = set(FrozenMonth.objects.filter(month__in=wanted).values_list("month", flat=True))
    for first in sorted(wanted - frozen):
        freeze(first)


def cache_key(*parts: Any) -> str:
    """A cache key for the dashboard's values from `parts` (hashed: any length, any text)."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()
    return f"reports:monthly:{digest}"


def unit_values(unit_ids: Sequence[int], first: date, last: date) -> Values:
    """Each unit's own figures for the month starting `first` (up to `last` for the current
    month): frozen for a month that is over, live (cached `LIVE_SECONDS`) for the current one."""
    ids = sorted(unit_ids)
    if month_last_day(first) < timezone.localdate():
        key = cache_key("month", _generation(), first, ids)
        cached = cache.get(key)
        if cached is not None:
            return dict(cached)
        _ensure_frozen([first])
        values: Values = defaultdict(dict)
        rows = MonthFigure.objects.filter(month=first, unit_id__in=ids).values_list(
            "unit_id", "key", "value"
        )
        for pk, name, value in rows.iterator(chunk_size=5000):
            values[pk][name] = value
        cache.set(key, dict(values), None)
        return dict(values)
    key = cache_key("live", first, last, ids)
    cached = cache.get(key)
    if cached is not None:
        return dict(cached)
    values = compute(ids, first, last)
    cache.set(key, values, LIVE_SECONDS)
    return values


def trend(
    paths: Sequence[str], this_month: date, live_totals: Mapping[str, int]
) -> list[dict[str, Any]]:
    """The totals of the subtrees at `paths` for the `TREND_MONTHS` months up to `this_month`,
    the oldest first: [{"month": date, "figures": {key: n} or None}]. The last month's totals
    are `live_totals` (what the page shows for it); the months before come from the frozen
    table, None for a month the nightly job has not frozen yet (a page never computes twelve
    months of records: its time stays what one month costs)."""
    months = [add_months(this_month, -back) for back in range(TREND_MONTHS - 1, 0, -1)]
    key = cache_key("trend", _generation(), sorted(paths), this_month)
    cached = cache.get(key)
    if cached is None:
        frozen = set(FrozenMonth.objects.filter(month__in=months).values_list("month", flat=True))
        sums: dict[date, dict[str, int]] = defaultdict(dict)
        under = Q(pk__in=[])
        for path in paths:
            under |= Q(unit__path__startswith=path)
        rows = (
            MonthFigure.objects.filter(under, month__in=months)
            .values("month", "key")
            .annotate(n=Sum("value"))
            .order_by()
        )
        for row in rows:
            sums[row["month"]][row["key"]] = int(row["n"])
        cached = [
            {"month": m, "figures": dict(sums.get(m, {})) if m in frozen else None} for m in months
        ]
        cache.set(key, cached, None)
    return [*cached, {"month": this_month, "figures": dict(live_totals)}]

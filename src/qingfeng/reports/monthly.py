"""The dashboard's figures from summary tables: months and weeks frozen when they are over,
the current month kept warm by a job, each with every unit's subtree totals.

- A month that is over is frozen by the nightly job (`freeze_due`, 00:50): every registered
  figure of every active unit, computed once as the month stood at its end (the sources read
  past periods that way), kept per unit (`MonthFigure`) and summed over each unit's subtree
  (`SubtreeFigure`), without zeros. A month asked for before the job froze it is frozen then.
  So a past month's figures are at most as old as its last day, and they do not move with
  later edits of the records.
- An issued bulletin's snapshot replaces the frozen figures of the units it covers (when it
  is issued, and again whenever the month is frozen anew), so a past month's dashboard and
  its trend point equal the bulletin. When two bulletins of one month cover the same unit
  (a county's and the city's), the one issued last wins for it.
- A week (Monday to Sunday) that is over is frozen by the same job as subtree totals only
  (the last `TREND_WEEKS`): the weekly trend.
- The current month is kept warm by a job every `WARM_MINUTES` minutes (`warm`: one compute
  over every active unit, written to `LiveFigure` where it changed), so a page reads a
  summary: its numbers are as of that run (the page says when). When the summary is missing,
  counts other days, or is older than `STALE_SECONDS` (the worker stopped), the page computes
  its units from the records and keeps them `LIVE_SECONDS` in the cache.

Each cached value carries the generation of the frozen table (`_generation`): freezing or
issuing moves it, so no trend outlives the numbers it was read from."""

from __future__ import annotations

import hashlib
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models import Q
from django.utils import timezone

from qingfeng.core import registry, replica
from qingfeng.core.locks import hold_for_transaction
from qingfeng.lib.dates import month_last_day
from qingfeng.orgs.models import Unit
from qingfeng.reports.models import (
    Bulletin,
    FrozenMonth,
    FrozenWeek,
    LiveFigure,
    LiveRun,
    MonthFigure,
    SubtreeFigure,
)

JOB = "reports.freeze_months"
LIVE_SECONDS = 120  # a page's own compute, when the warm summary is missing or stale
WARM_MINUTES = 2  # the job keeping the current month warm (tasks.py) runs this often
STALE_SECONDS = 600  # a warm summary older than this is not shown: the page computes
TREND_MONTHS = 13  # this month and the twelve before it: 环比 and 同比 on one line
TREND_WEEKS = 13  # the weeks over, the last first: a quarter, week on week (环比)
MONTH, WEEK = SubtreeFigure.Period.MONTH, SubtreeFigure.Period.WEEK
FREEZE_BACK = 24  # months the nightly job looks back for one not yet frozen
_GENERATION = "reports:monthly:generation"
_VIEWS = "reports:monthly:views"  # moves when the live summary or the warning rules change

Values = dict[int, dict[str, int]]


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _counter(name: str) -> int:
    value = cache.get(name)
    if value is None:
        cache.add(name, 1, None)
        value = cache.get(name, 1)
    return int(value)


def _bump(name: str) -> None:
    try:
        cache.incr(name)
    except ValueError:
        cache.set(name, 2, None)


def _generation() -> int:
    return _counter(_GENERATION)


def _moved() -> None:
    _bump(_GENERATION)


def views_generation() -> tuple[int, int]:
    """What a kept dashboard view (reports/dashboard_views.py) was computed from: the frozen
    table's generation and the live one's (the warm summary's rows, the warning rules)."""
    return _generation(), _counter(_VIEWS)


def views_moved() -> None:
    """The live figures or the warning rules changed: no kept view outlives them."""
    _bump(_VIEWS)


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


def roll_up(values: Mapping[int, Mapping[str, int]], paths: Mapping[int, str]) -> Values:
    """Each unit's subtree totals from the units' own figures: a unit's figures added to
    itself and to every unit above it (read from its path, which holds their ids)."""
    totals: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for pk, row in values.items():
        path = paths.get(pk)
        if path is None:
            continue
        for part in path.split("/"):
            if part:
                above = totals[int(part)]
                for key, value in row.items():
                    above[key] += value
    return {pk: {k: v for k, v in row.items() if v} for pk, row in totals.items()}


def _paths(*, active: bool) -> dict[int, str]:
    units = Unit.objects.filter(is_active=True) if active else Unit.objects.all()
    return dict(units.values_list("pk", "path"))


def _write_subtree(period: str, start: date, totals: Values) -> None:
    SubtreeFigure.objects.filter(period=period, start=start).delete()
    SubtreeFigure.objects.bulk_create(
        (
            SubtreeFigure(period=period, start=start, unit_id=pk, key=key, value=value)
            for pk, row in totals.items()
            for key, value in row.items()
        ),
        batch_size=2000,
    )


def _roll_up_month(first: date) -> None:
    """The month's subtree totals from its frozen rows (the bulletins' numbers included)."""
    values: Values = defaultdict(dict)
    rows = MonthFigure.objects.filter(month=first).values_list("unit_id", "key", "value")
    for pk, key, value in rows.iterator(chunk_size=5000):
        values[pk][key] = value
    _write_subtree(MONTH, first, roll_up(values, _paths(active=False)))


@transaction.atomic
def freeze(first: date) -> int:
    """Freeze the month starting `first` (over: its last day is before today): replace its
    rows with every active unit's figures as the month stood at its end, then the issued
    bulletins' numbers, then the subtree totals. Returns the number of unit rows kept."""
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
    _roll_up_month(first)
    FrozenMonth.objects.update_or_create(month=first, defaults={"frozen_at": timezone.now()})
    transaction.on_commit(_moved)
    return MonthFigure.objects.filter(month=first).count()


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


@transaction.atomic
def freeze_week(monday: date) -> int:
    """Freeze the week starting `monday` (over: its Sunday is before today): every active
    unit's figures as the week stood at its end, kept as subtree totals. Returns the rows."""
    monday = week_start(monday)
    sunday = monday + timedelta(days=6)
    if sunday >= timezone.localdate():
        raise ValueError("a week is frozen once it is over")
    paths = _paths(active=True)
    totals = roll_up(compute(list(paths), monday, sunday), paths)
    _write_subtree(WEEK, monday, totals)
    FrozenWeek.objects.update_or_create(week=monday, defaults={"frozen_at": timezone.now()})
    transaction.on_commit(_moved)
    return sum(len(row) for row in totals.values())


def _apply(bulletin: Bulletin) -> None:
    """The bulletin's numbers for its issuer and the units below, in place of the frozen ones
    (a bulletin drafted before it counted its issuer's own records leaves the issuer's)."""
    covered = Unit.objects.within(bulletin.issuer)
    if not bulletin.snapshot.get("with_issuer"):
        covered = covered.exclude(pk=bulletin.issuer_id)
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
        _roll_up_month(bulletin.month)
    # Frozen or not, the dashboards kept a few minutes list the month's bulletins (panels.py).
    transaction.on_commit(_moved)


def freeze_due(today: date | None = None) -> list[date]:
    """The nightly job: freeze every month of the last `FREEZE_BACK` that is over and not yet
    frozen (normally just the last one), then every week of the last `TREND_WEEKS` likewise
    (normally the last one, on a Monday night). Returns the months frozen."""
    today = today or timezone.localdate()
    this = month_start(today)
    frozen = set(FrozenMonth.objects.values_list("month", flat=True))
    done = []
    for back in range(FREEZE_BACK, 0, -1):
        first = add_months(this, -back)
        if first not in frozen:
            freeze(first)
            done.append(first)
    weeks = set(FrozenWeek.objects.values_list("week", flat=True))
    for monday in _weeks_before(today, TREND_WEEKS):
        if monday not in weeks:
            freeze_week(monday)
    return done


def _weeks_before(day: date, count: int) -> list[date]:
    """The Mondays of the `count` weeks over before `day`'s week, the oldest first."""
    this = week_start(day)
    return [this - timedelta(weeks=back) for back in range(count, 0, -1)]


def run_job(payload: Mapping[str, Any]) -> None:
    """Job: `freeze_due` (the nightly freeze)."""
    freeze_due()


def warm(today: date | None = None) -> int:
    """The job keeping the current month warm (every `WARM_MINUTES`): every active unit's
    figures from the first of the month to today, own and subtree, written to `LiveFigure`
    where they changed (a run in the middle of a day rewrites a few rows, not the city's).
    Returns the number of rows written."""
    today = today or timezone.localdate()
    first = month_start(today)
    started, computed_at = time.perf_counter(), timezone.now()
    with replica.reads():  # the records' counts: the read replica's work, when there is one
        paths = _paths(active=True)
        own = compute(list(paths), first, today)
    subtree = roll_up(own, paths)
    wanted = {
        (pk, key): (own.get(pk, {}).get(key, 0), value)
        for pk, row in subtree.items()
        for key, value in row.items()
    }
    with transaction.atomic():
        # Every host's worker runs this job: one run at a time, or two would insert one row.
        hold_for_transaction("reports.live_figures")
        existing = {
            (unit, key): (pk, mine, below)
            for pk, unit, key, mine, below in LiveFigure.objects.values_list(
                "pk", "unit_id", "key", "own", "subtree"
            ).iterator(chunk_size=5000)
        }
        stale = [
            found[0] for name, found in existing.items() if wanted.get(name) != (found[1], found[2])
        ]
        for index in range(0, len(stale), 500):
            LiveFigure.objects.filter(pk__in=stale[index : index + 500]).delete()
        gone = set(stale)
        kept = {name for name, found in existing.items() if found[0] not in gone}
        fresh = [
            LiveFigure(unit_id=pk, key=key, own=mine, subtree=below)
            for (pk, key), (mine, below) in wanted.items()
            if (pk, key) not in kept
        ]
        LiveFigure.objects.bulk_create(fresh, batch_size=2000)
        LiveRun.objects.update_or_create(
            pk=1,
            defaults={
                "first": first,
                "last": today,
                "computed_at": computed_at,
                "seconds": time.perf_counter() - started,
            },
        )
    if stale or fresh:  # committed: the dashboards kept from the rows before are dropped
        views_moved()
    return len(fresh)


def _ensure_frozen(months: Iterable[date]) -> bool:
    """Freeze those of `months` that are over and not frozen yet, as the primary knows them (a
    replica a moment behind would have them frozen twice). Whether one was frozen now."""
    today = timezone.localdate()
    wanted = {m for m in months if month_last_day(m) < today}
    if not wanted:
        return False
    frozen = set(
        FrozenMonth.objects.using(DEFAULT_DB_ALIAS)
        .filter(month__in=wanted)
        .values_list("month", flat=True)
    )
    for first in sorted(wanted - frozen):
        freeze(first)
    return bool(wanted - frozen)


def _frozen(model: Any, field: str, starts: Sequence[date]) -> tuple[set[date], str | None]:
    """Which of the periods `starts` are frozen, and the database to read their rows from:
    the router's (the read replica inside `replica.reads()`) when it holds them frozen at the
    same moments as the primary, else the primary. A replica a moment behind has not replayed
    a freeze yet: it would show a period empty, or as frozen before (and a trend read from it
    would be kept until the next freeze)."""
    lookup = {f"{field}__in": list(starts)}
    here = dict(model.objects.filter(**lookup).values_list(field, "frozen_at"))
    if not replica.configured():
        return set(here), None
    primary = dict(
        model.objects.using(DEFAULT_DB_ALIAS).filter(**lookup).values_list(field, "frozen_at")
    )
    return set(primary), None if primary == here else DEFAULT_DB_ALIAS


def cache_key(*parts: Any) -> str:
    """A cache key for the dashboard's values from `parts` (hashed: any length, any text)."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()
    return f"reports:monthly:{digest}"


@dataclass
class Figures:
    """What a dashboard reads for a month: some units' own figures, some units' subtree
    totals, and as of when (None for a month that is over: as it stood at its end)."""

    own: Values
    subtree: Values
    as_of: datetime | None = None
    warm: bool = False  # read from the summary the job keeps warm


def _fresh_run(first: date, last: date) -> LiveRun | None:
    run = LiveRun.objects.filter(first=first, last=last).first()
    if run is None or run.computed_at < timezone.now() - timedelta(seconds=STALE_SECONDS):
        return None
    return run


def figures(first: date, last: date, own_ids: Sequence[int], tops: Sequence[Unit]) -> Figures:
    """The own figures of `own_ids` and the subtree totals of `tops` for the month starting
    `first` (up to `last` for the current month): frozen for a month that is over; for the
    current one, the warm summary when fresh, else computed from the records of the units
    under `tops` (and `own_ids`) and kept `LIVE_SECONDS` in the cache."""
    own_ids, top_ids = sorted(own_ids), sorted(u.pk for u in tops)
    if month_last_day(first) < timezone.localdate():
        # Frozen just now: read back on the primary, where it was written.
        where = (
            DEFAULT_DB_ALIAS
            if _ensure_frozen([first])
            else _frozen(FrozenMonth, "month", [first])[1]
        )
        return Figures(
            own=_read(MonthFigure.objects.using(where).filter(month=first, unit_id__in=own_ids)),
            subtree=_read(
                SubtreeFigure.objects.using(where).filter(
                    period=MONTH, start=first, unit_id__in=top_ids
                )
            ),
        )
    run = _fresh_run(first, last)
    if run is not None:
        own: Values = defaultdict(dict)
        subtree: Values = defaultdict(dict)
        wanted_own, wanted_top = set(own_ids), set(top_ids)
        rows = LiveFigure.objects.filter(unit_id__in=[*own_ids, *top_ids]).values_list(
            "unit_id", "key", "own", "subtree"
        )
        for pk, key, mine, below in rows:
            if pk in wanted_own and mine:
                own[pk][key] = mine
            if pk in wanted_top:
                subtree[pk][key] = below
        return Figures(dict(own), dict(subtree), as_of=run.computed_at, warm=True)
    key = cache_key("live", first, last, own_ids, top_ids)
    cached = cache.get(key)
    if cached is not None:
        return Figures(*cached)
    under = Q(pk__in=own_ids)
    for unit in tops:
        under |= Q(path__startswith=unit.path)
    paths = dict(Unit.objects.filter(under, is_active=True).values_list("pk", "path"))
    values = compute(list(paths), first, last)
    totals = roll_up(values, paths)
    result = Figures(
        own={pk: values[pk] for pk in own_ids if pk in values},
        subtree={pk: totals[pk] for pk in top_ids if pk in totals},
        as_of=timezone.now(),
    )
    cache.set(key, (result.own, result.subtree, result.as_of), LIVE_SECONDS)
    return result


def _read(rows: Any) -> Values:
    values: Values = defaultdict(dict)
    for pk, name, value in rows.values_list("unit_id", "key", "value"):
        values[pk][name] = value
    return dict(values)


def trend(
    top_ids: Sequence[int], this_month: date, live_totals: Mapping[str, int]
) -> list[dict[str, Any]]:
    """The totals of the subtrees of `top_ids` for the `TREND_MONTHS` months up to
    `this_month`, the oldest first: [{"start": date, "figures": {key: n} or None}]. The last
    month's totals are `live_totals` (what the page shows for it); the months before come
    from the frozen subtree totals, None for a month the nightly job has not frozen yet (a
    page never computes twelve months of records: its time stays what one month costs)."""
    months = [add_months(this_month, -back) for back in range(TREND_MONTHS - 1, 0, -1)]
    key = cache_key("trend", _generation(), sorted(top_ids), this_month)
    cached = cache.get(key)
    if cached is None:
        frozen, where = _frozen(FrozenMonth, "month", months)
        cached = _sums(MONTH, months, frozen, top_ids, where)
        cache.set(key, cached, None)
    return [*cached, {"start": this_month, "figures": dict(live_totals)}]


def week_trend(top_ids: Sequence[int], until: date) -> list[dict[str, Any]]:
    """The totals of the subtrees of `top_ids` for the `TREND_WEEKS` weeks over up to `until`
    (those ending on or before it and before today), the oldest first, as `trend`: from the
    frozen weeks only, None for a week not frozen."""
    today = timezone.localdate()
    end = min(until, today - timedelta(days=1))
    weeks = _weeks_before(end + timedelta(days=1), TREND_WEEKS)
    key = cache_key("weeks", _generation(), sorted(top_ids), weeks[-1])
    cached = cache.get(key)
    if cached is None:
        frozen, where = _frozen(FrozenWeek, "week", weeks)
        cached = _sums(WEEK, weeks, frozen, top_ids, where)
        cache.set(key, cached, None)
    return list(cached)


def _sums(
    period: str,
    starts: list[date],
    frozen: set[date],
    top_ids: Sequence[int],
    where: str | None = None,
) -> list[dict[str, Any]]:
    sums: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    rows = (
        SubtreeFigure.objects.using(where)
        .filter(period=period, start__in=starts, unit_id__in=list(top_ids))
        .values_list("start", "key", "value")
    )
    for start, key, value in rows:
        sums[start][key] += value
    return [{"start": s, "figures": dict(sums.get(s, {})) if s in frozen else None} for s in starts]

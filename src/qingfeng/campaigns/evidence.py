"""A task done by what the system already holds (issue 15 §1; the 2024 rules against
formalism: the same material reported once, no judging by photos).

A task names its evidence: the campaign's own (the unit's plan approved, its weekly report
filed on time, an upload, a confirmation), or one an app registered (`registry.task_evidence`:
a study session of a type held — learning; the problems of a list closed — the ledger). The
campaigns app imports neither: it asks the registry, per task, for every unit's (done, whole)
from the campaign's first day to today, in a few grouped queries per task.

`progress` is what the pages show, read live; `do_record_evidence` writes an assignment done
once its evidence is reached (the hourly sweep, and at once when a task is issued), so the
counts of tasks done (`figures.py`) hold the same and the day it was reached is kept — and
writes it open again when its evidence no longer holds (a problem of the list reopened by a
failed re-check, or a new one registered on it): such a task was only ever done by its
records, so it is done exactly while they show it. A period already frozen keeps its count."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils import timezone

from qingfeng.campaigns.models import Assignment, Campaign, Task
from qingfeng.core.audit import record_audit


@dataclass(frozen=True)
class Progress:
    """A unit's progress on a task: `done` of `whole`, and whether that is the task done."""

    done: int
    whole: int
    reached: bool
    # From an app's records (a session, a problem), not from the unit's own word.
    from_records: bool = False

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.done / self.whole)) if self.whole else 0


def period(task: Task, today: date) -> tuple[date, date]:
    """The days whose records count: from the campaign's first day to today."""
    campaign: Campaign = task.campaign
    return campaign.starts_on, max(today, campaign.starts_on)


def counts(task: Task, unit_ids: Sequence[int], today: date) -> dict[int, tuple[int, int]]:
    """Per unit, (done, whole) of a task done by an app's records; {} for the campaign's own."""
    found = task.registered_evidence
    if found is None:
        return {}
    start, end = period(task, today)
    raw = found.progress(task.evidence_option, unit_ids, start, end)
    result = {}
    for pk in unit_ids:
        done, whole = raw.get(pk, (0, None if found.counted else 0))
        result[pk] = (done, task.evidence_target if whole is None else whole)
    return result


def _reached(done: int, whole: int) -> bool:
    # Nothing to show yet (no problem on the list) is not done: evidence, not its absence.
    return whole > 0 and done >= whole


def progress(assignments: Iterable[Assignment], today: date | None = None) -> dict[int, Progress]:
    """Per assignment: its progress now. Those of one task are read together."""
    today = today or timezone.localdate()
    rows = list(assignments)
    by_task: dict[int, list[Assignment]] = defaultdict(list)
    for row in rows:
        by_task[row.task_id].append(row)
    result: dict[int, Progress] = {}
    for group in by_task.values():
        task = group[0].task
        if task.registered_evidence is None:
            for row in group:
                done = row.status == Assignment.Status.DONE
                result[row.pk] = Progress(int(done), 1, done)
            continue
        found = counts(task, [row.unit_id for row in group], today)
        for row in group:
            count, whole = found[row.unit_id]
            # The records, not a status written earlier: a list reopened is not done any more.
            result[row.pk] = Progress(count, whole, _reached(count, whole), from_records=True)
    return result


def do_record_evidence(task: Task, today: date | None = None) -> int:
    """Bring the task's assignments in line with their evidence now, in one transaction with
    an audit row for each change: an open one whose evidence is reached is marked done, a done
    one whose evidence no longer holds (a problem reopened, a new one on the list) is open
    again. How many changed."""
    if task.registered_evidence is None:
        return 0
    today = today or timezone.localdate()
    with transaction.atomic():
        rows = list(task.assignments.select_for_update())
        if not rows:
            return 0
        found = counts(task, [a.unit_id for a in rows], today)
        reached = [
            a for a in rows if a.status == Assignment.Status.OPEN and _reached(*found[a.unit_id])
        ]
        lost = [
            a
            for a in rows
            if a.status == Assignment.Status.DONE and not _reached(*found[a.unit_id])
        ]
        if reached:
            Assignment.objects.filter(pk__in=[a.pk for a in reached]).update(
                status=Assignment.Status.DONE,
                done_at=timezone.now(),
                note=task.evidence_label[:200],
            )
            _audit(task, "campaigns.task.evidence", reached, found)
        if lost:
            Assignment.objects.filter(pk__in=[a.pk for a in lost]).update(
                status=Assignment.Status.OPEN, done_at=None, done_by=None, note=""
            )
            _audit(task, "campaigns.task.evidence_lost", lost, found)
    return len(reached) + len(lost)


def _audit(
    task: Task, action: str, rows: Sequence[Assignment], found: dict[int, tuple[int, int]]
) -> None:
    record_audit(
        actor=None,
        action=action,
        obj=task,
        unit=task.issuer,
        after={
            "evidence": task.evidence,
            "option": task.evidence_option,
            "units": sorted(a.unit_id for a in rows),
            "done_of_whole": {str(a.unit_id): list(found[a.unit_id]) for a in rows},
        },
    )


def do_record_all_evidence(today: date | None = None) -> int:
    """The sweep: every task of a running campaign done by an app's records (each task its
    own transaction, so one failure stops no other)."""
    today = today or timezone.localdate()
    tasks = (
        Task.objects.filter(campaign__starts_on__lte=today, campaign__ends_on__gte=today)
        .exclude(evidence__in=Task.Evidence.values)
        .select_related("campaign", "issuer")
        .order_by("pk")
    )
    return sum(do_record_evidence(task, today) for task in tasks)

"""A task done by what the system already holds (issue 15 §1; the 2024 rules against
formalism: the same material reported once, no judging by photos).

A task names its evidence: the campaign's own (the unit's plan approved, its weekly report
filed on time, an upload, a confirmation), or one an app registered (`registry.task_evidence`:
a study session of a type held — learning; the problems of a list closed — the ledger). The
campaigns app imports neither: it asks the registry, per task, for every unit's (done, whole)
from the campaign's first day to today, in a few grouped queries per task.

`progress` is what the pages show, read live; `do_record_evidence` writes an assignment done
once its evidence is reached (the hourly sweep, and at once when a task is issued), so the
counts of tasks done (`figures.py`) hold the same and the day it was reached is kept."""

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
            reached = row.status == Assignment.Status.DONE or _reached(count, whole)
            result[row.pk] = Progress(count, whole, reached, from_records=True)
    return result


def do_record_evidence(task: Task, today: date | None = None) -> int:
    """Mark done, in one transaction with its audit row, every open assignment of the task
    whose evidence is reached now; how many. A done one stays done (a problem reopened later
    shows in the live progress, not by undoing what was reached)."""
    if task.registered_evidence is None:
        return 0
    today = today or timezone.localdate()
    with transaction.atomic():
        open_rows = list(task.assignments.select_for_update().filter(status=Assignment.Status.OPEN))
        if not open_rows:
            return 0
        found = counts(task, [a.unit_id for a in open_rows], today)
        reached = [a for a in open_rows if _reached(*found[a.unit_id])]
        if not reached:
            return 0
        now = timezone.now()
        Assignment.objects.filter(pk__in=[a.pk for a in reached]).update(
            status=Assignment.Status.DONE, done_at=now, note=task.evidence_label[:200]
        )
        record_audit(
            actor=None,
            action="campaigns.task.evidence",
            obj=task,
            unit=task.issuer,
            after={
                "evidence": task.evidence,
                "option": task.evidence_option,
                "units": sorted(a.unit_id for a in reached),
            },
        )
    return len(reached)


def do_record_all_evidence(today: date | None = None) -> int:
    """The sweep: every task of a running campaign done by an app's records, with an open
    assignment (each task its own transaction, so one failure stops no other)."""
    today = today or timezone.localdate()
    tasks = (
        Task.objects.filter(
            campaign__starts_on__lte=today,
            campaign__ends_on__gte=today,
            assignments__status=Assignment.Status.OPEN,
        )
        .exclude(evidence__in=Task.Evidence.values)
        .select_related("campaign", "issuer")
        .distinct()
        .order_by("pk")
    )
    return sum(do_record_evidence(task, today) for task in tasks)

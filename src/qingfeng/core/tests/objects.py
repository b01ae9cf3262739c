"""Objects for the "another school's id → 404" check of every route (test_url_policy.py).

The convention: every app's `tests/objects.py` keeps `OBJECTS`, which says, for a route name,
how to make — through the app's actions, as a user would — an object of 东城区实验小学 (the
test base's `school`) that the route's ids point at, and who may reach it. One entry serves
every route whose path is the same up to the ids (`ledger:detail` serves /ledger/<pk>/assign/
and the other moves). The URL-policy test finds these modules by the convention, so a new app
brings its own and needs no edit elsewhere; a route with an id that no entry covers fails.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from qingfeng.core import actions

if TYPE_CHECKING:
    from qingfeng.orgs.models import User
    from qingfeng.test import BaseTestCase


@dataclass(frozen=True)
class Made:
    ids: dict[str, int]  # the route's keyword arguments
    owner: User  # someone who reaches the object: the check that the ids are real


Factory = Callable[["BaseTestCase"], Made]


def calendar_day(case: BaseTestCase) -> Made:
    """The working-day calendar is the whole city's: no school's, the system admin's."""
    day = actions.check_set_calendar_day(
        actor=case.system_admin, day=date(2031, 1, 6), is_workday=False, name="调休"
    )
    return Made({"pk": day.pk}, case.system_admin)


def finished_export(case: BaseTestCase) -> Made:
    """Long work the school's admin started, done, with the file it made: only they see it."""
    from qingfeng.core.models import Job
    from qingfeng.core.progress import Progress

    job = Job.objects.create(kind="ledger.export", owner=case.school_admin, label="导出整改台账")
    Progress(job, None).attach_file(b"PK\x03\x04", "整改台账.xlsx", "已导出 1 条")
    Job.objects.filter(pk=job.pk).update(status=Job.Status.DONE)
    return Made({"pk": job.pk}, case.school_admin)


OBJECTS: dict[str, Factory] = {
    "core:calendar_remove": calendar_day,
    "core:job": finished_export,
    "core:job_status": finished_export,
    "core:job_file": finished_export,
}

"""A task worker of one "host", for core/tests/test_job_takeover.py: a separate process on the
shared database that runs a job, or sweeps as every worker's periodic task does.

    python -m qingfeng.core.tests.job_host run JOB_ID                   # as the queue hands it over
    python -m qingfeng.core.tests.job_host sweep JOB_ID MINUTES [...]   # sweeps, then the state

`sweep` runs the sweep as it would run each of MINUTES from now (every worker sweeps every
minute) and prints, as JSON, the job and its effects before, how many jobs each sweep ran, and
the job and its effects after.

The two kinds it registers stand for a short job that must happen (retried elsewhere when its
worker dies) and long work a person watches (ended with a reason instead). Each writes an
effect row (a WorkerHeartbeat row named after the job) so the test can count how often the
work took effect. With QF_TEST_HOLD=1 the handler, once its effect is written, says so by
creating the file QF_TEST_STARTED and then waits to be killed.
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import django


def _hold() -> None:
    if os.environ.get("QF_TEST_HOLD") == "1":
        Path(os.environ["QF_TEST_STARTED"]).touch()
        while True:  # until SIGKILL: a worker that dies holding the job
            time.sleep(1)


def _effect(name: str) -> None:
    from django.utils import timezone

    from qingfeng.core.models import WorkerHeartbeat

    WorkerHeartbeat.objects.create(name=name, beat_at=timezone.now())


def deliver(payload: dict[str, Any]) -> None:
    """A job that must happen once: its effect is in the job's own transaction."""
    _effect(f"effect-{payload['n']}")
    _hold()


def long_import(payload: dict[str, Any]) -> None:
    """Long work with its own transactions: it records that it ran, then works on."""
    from qingfeng.core.progress import current

    _effect(f"ran-{payload['n']}")  # committed at once (autocommit)
    current().step(1, 100, "第 1 行")
    _hold()


def ended(payload: dict[str, Any], reason: str) -> None:
    """The app's record ended with the reason (as an import row's 导入出错)."""
    _effect(f"failed-{payload['n']}")


def setup() -> None:
    django.setup()
    from qingfeng.core import jobs
    from qingfeng.core.progress import LongWork

    jobs.register_handler("test.deliver", deliver)
    jobs.register_handler(
        "test.long_import", long_import, long=LongWork(time_limit=60, on_failure=ended)
    )


def state(job_id: int) -> dict[str, Any]:
    from qingfeng.core.models import Job, WorkerHeartbeat

    job = Job.objects.get(pk=job_id)
    effects = sorted(
        WorkerHeartbeat.objects.filter(name__regex=r"^(effect|ran|failed)-").values_list(
            "name", flat=True
        )
    )
    return {
        "status": job.status,
        "attempts": job.attempts,
        "outcome": job.outcome,
        "effects": effects,
    }


def main(argv: list[str]) -> None:
    setup()
    from qingfeng.core import jobs

    command = argv[0]
    if command == "run":
        print(json.dumps({"ran": jobs.run_job(int(argv[1]))}))
    elif command == "sweep":
        import time_machine
        from django.utils import timezone

        job_id = int(argv[1])
        before = state(job_id)
        ran = []
        for minutes in map(int, argv[2:]):
            with time_machine.travel(timezone.now() + timedelta(minutes=minutes), tick=True):
                ran.append(jobs.sweep_jobs())
        print(json.dumps({"before": before, "ran": ran, "after": state(job_id)}))
    else:
        raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    main(sys.argv[1:])

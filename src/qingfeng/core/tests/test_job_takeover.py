"""A worker killed in the middle of a job, on one host of several: another host's worker takes
the job over once its lease has run out, and the work takes effect exactly once — or, for long
work a person watches, ends with a reason and is not run again (core/jobs.py, core/progress.py).

Two real worker processes (core/tests/job_host.py) on the shared database, as on two hosts: on
PostgreSQL the test database itself, on SQLite a file copy of it (an in-memory database is not
shared between processes). Worker A takes the job and is killed with SIGKILL while it holds it
(on SQLite inside its write transaction, holding the database's write lock). Worker B's sweep
leaves a job whose lease has not run out alone, and takes it over after the lease (the sweep run
as it would run eleven minutes later)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from django.db import connection
from django.test import TransactionTestCase

from qingfeng.core.models import Job
from qingfeng.core.tests.liveserver import ROOT, server_env

HOST = ["-m", "qingfeng.core.tests.job_host"]


class JobTakeoverTestCase(TransactionTestCase):
    # Emptied afterwards without post_migrate, as the other transactional tests are: a flush
    # that made the content types again would clash with the next one's serialized copy.
    serialized_rollback = True

    def setUp(self) -> None:
        self.work = Path(tempfile.mkdtemp(prefix="qf-takeover-"))
        self.env = server_env(self.work)
        self.env["DATABASE_URL"] = self.shared_database()

    def shared_database(self) -> str:
        """A database URL the worker processes share with each other (and, on PostgreSQL,
        with this test)."""
        db = connection.settings_dict
        if connection.vendor == "postgresql":
            port = db.get("PORT") or 5432
            return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{port}/{db['NAME']}"
        return f"sqlite:///{self.work / 'shared.sqlite3'}"

    def job(self, kind: str) -> int:
        job = Job.objects.create(kind=kind, payload={"n": 1})
        if connection.vendor == "sqlite":  # the migrated schema and the job, as a file
            target = sqlite3.connect(self.work / "shared.sqlite3")
            connection.ensure_connection()
            connection.connection.backup(target)
            target.close()
        return job.pk

    def host(self, *args: str, **env: str) -> dict[str, Any]:
        result = subprocess.run(  # noqa: S603 - our interpreter and module
            [sys.executable, *HOST, *args],
            cwd=ROOT,
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        return json.loads(result.stdout.strip().splitlines()[-1])

    def killed_holding(self, job_id: int) -> None:
        """Worker A takes the job, and dies (SIGKILL) while it holds it; meanwhile B's sweep
        does not take a job whose worker may still be at it."""
        started = self.work / "started"
        worker = subprocess.Popen(  # noqa: S603 - our interpreter and module
            [sys.executable, *HOST, "run", str(job_id)],
            cwd=ROOT,
            env={**self.env, "QF_TEST_HOLD": "1", "QF_TEST_STARTED": str(started)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            deadline = time.monotonic() + 90  # a loaded machine starts Django slowly
            while not started.exists():
                if worker.poll() is not None or time.monotonic() > deadline:
                    assert worker.stderr is not None
                    self.fail(f"worker A did not take the job: {worker.stderr.read()!r}")
                time.sleep(0.1)
            swept = self.host("sweep", str(job_id), "0")
            self.assertEqual(swept["before"]["status"], Job.Status.RUNNING)
            self.assertEqual(swept["ran"], [0])  # A may be alive: left alone
        finally:
            os.kill(worker.pid, signal.SIGKILL)
            worker.wait()
            if worker.stderr is not None:
                worker.stderr.close()
        self.assertEqual(worker.returncode, -signal.SIGKILL)

    def test_a_job_whose_worker_was_killed_is_done_once_by_another_host(self) -> None:
        job_id = self.job("test.deliver")
        self.killed_holding(job_id)
        swept = self.host("sweep", str(job_id), "5", "11", "30")
        # A's transaction died with it: its effect is not there, the job still looks running.
        self.assertEqual(swept["before"]["effects"], [])
        # Within the 10-minute lease left alone; past it B takes it over; then nobody again.
        self.assertEqual(swept["ran"], [0, 1, 0])
        state = swept["after"]
        self.assertEqual(
            (state["status"], state["attempts"], state["effects"]),
            (Job.Status.DONE, 2, ["effect-1"]),
        )

    def test_long_work_whose_worker_was_killed_ends_with_a_reason_and_is_not_run_again(
        self,
    ) -> None:
        job_id = self.job("test.long_import")
        self.killed_holding(job_id)
        # Its lease is its time limit + 2 minutes: at 2 it is left alone, at 11 it is ended
        # (a sweep counts only jobs it ran: ended is not ran), at 30 nothing is left.
        swept = self.host("sweep", str(job_id), "2", "11", "30")
        self.assertEqual(swept["ran"], [0, 0, 0])
        self.assertEqual(swept["before"]["status"], Job.Status.RUNNING)
        state = swept["after"]
        self.assertEqual(state["status"], Job.Status.FAILED)
        self.assertIn("处理进程意外退出", state["outcome"])
        # It ran once (on A), and the app's record was ended once (by B).
        self.assertEqual(state["effects"], ["failed-1", "ran-1"])
        self.assertEqual(state["attempts"], 1)

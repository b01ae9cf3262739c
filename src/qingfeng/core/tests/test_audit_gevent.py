"""The audit chain's lock under the gevent web worker (PostgreSQL).

The web worker patches the standard library with gevent, so a wait on the database socket
lets the process's other requests run. A request holding the chain's advisory lock must not
do that: every other writer of the chain is waiting for it. This runs the real thing in a
child process, monkey-patched as `manage.py serve` is, against the test database: a greenlet
that only counts how often it gets to run stands for the other requests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import unittest

from django.db import connection
from django.test import TransactionTestCase

from qingfeng.settings import REPO_DIR

CHILD = textwrap.dedent(
    """
    from gevent import monkey

    monkey.patch_all()

    import json

    import django
    import gevent

    django.setup()

    from django.db import connection, transaction

    from qingfeng.core.audit import record_audit
    from qingfeng.core.models import AuditEvent

    ran = []

    def other_request():
        while True:
            ran.append(1)
            gevent.sleep(0)

    def queries(n):
        with connection.cursor() as cursor:
            for _ in range(n):
                cursor.execute("SELECT 1")

    def during(n):
        before = len(ran)
        queries(n)
        return len(ran) - before

    def main():
        out = {}
        with transaction.atomic():
            out["before_lock"] = during(5)
            event = record_audit(actor=None, action="test.gevent")
            out["holding_lock"] = during(5)
            out["blocking_while_held"] = "wait" in vars(connection.connection)
        out["after_commit"] = during(5)
        out["blocking_after_commit"] = "wait" in vars(connection.connection)
        try:
            with transaction.atomic():
                record_audit(actor=None, action="test.gevent.rolled_back")
                raise RuntimeError
        except RuntimeError:
            pass
        out["after_rollback"] = during(5)
        out["blocking_after_rollback"] = "wait" in vars(connection.connection)
        out["stored"] = AuditEvent.objects.filter(pk=event.pk).exists()
        out["rolled_back_stored"] = AuditEvent.objects.filter(
            action="test.gevent.rolled_back"
        ).exists()
        return out

    counter = gevent.spawn(other_request)
    result = gevent.spawn(main).get()
    counter.kill()
    print(json.dumps(result))
    """
)


@unittest.skipUnless(connection.vendor == "postgresql", "the chain's lock is PostgreSQL's")
class ChainLockUnderGeventTests(TransactionTestCase):
    serialized_rollback = True

    def test_the_lock_holder_does_not_yield_until_its_transaction_ends(self) -> None:
        settings = connection.settings_dict
        url = (
            f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}"
            f"/{settings['NAME']}"
        )
        env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "qingfeng.settings"}
        env.pop("DATABASE_REPLICA_URL", None)
        done = subprocess.run(  # noqa: S603 - our own interpreter and a fixed script
            [sys.executable, "-c", CHILD],
            cwd=REPO_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        self.assertEqual(done.returncode, 0, done.stderr[-3000:])
        result = json.loads(done.stdout.strip().splitlines()[-1])
        # The counter shows each wait of the patched process lets other requests run ...
        self.assertGreater(result["before_lock"], 0)
        # ... except while this one holds the chain's lock, up to its commit ...
        self.assertEqual(result["holding_lock"], 0)
        self.assertTrue(result["blocking_while_held"])
        # ... and once the transaction has ended, by commit or by rollback, they run again.
        self.assertGreater(result["after_commit"], 0)
        self.assertFalse(result["blocking_after_commit"])
        self.assertGreater(result["after_rollback"], 0)
        self.assertFalse(result["blocking_after_rollback"])
        self.assertTrue(result["stored"])
        self.assertFalse(result["rolled_back_stored"])

"""Long work in page tests: post the form, let the job it started run (the test's transaction
never commits, so its on-commit callbacks are run by hand), then follow where the person is
taken: the progress page, and from there the result page when the work has one."""

from __future__ import annotations

from typing import Any

from django.test import TestCase

from qingfeng.core.models import Job


def post_and_run(test: TestCase, url: str, data: Any = None, *, method: str = "post") -> Any:
    client = test.client
    with test.captureOnCommitCallbacks(execute=True):
        response = getattr(client, method)(url, data or {})
    if response.status_code != 302 or not response["Location"].startswith("/core/jobs/"):
        return client.get(response["Location"]) if response.status_code == 302 else response
    status = client.get(response["Location"].rstrip("/") + "/status/")
    test.assertEqual(status.status_code, 200)
    target = status.headers.get("HX-Redirect")
    return client.get(target) if target else client.get(response["Location"])


def last_job(kind: str) -> Job:
    return Job.objects.filter(kind=kind).latest("pk")

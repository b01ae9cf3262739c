"""The task worker loads, before its first job, what that job would load once per process
(core/warmup.py `warm_worker`, run by huey's start-up hook in each worker thread)."""

from __future__ import annotations

import logging

import pytest
from huey.consumer import Worker
from huey.contrib.djhuey import HUEY

from qingfeng.core import jobs, registry
from qingfeng.core.models import WorkerHeartbeat
from qingfeng.intake import routing
from qingfeng.lib import segment

# The warm-up closes the process's connections, as it does in the worker before its first
# task: outside a test's wrapping transaction, which a closed PostgreSQL connection would end.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _unload(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(segment, "_tokenizer", None)
    monkeypatch.setattr(segment, "_tagger", None)
    monkeypatch.setattr(segment, "_added", set())
    monkeypatch.setattr(routing, "_cached", None)


def test_a_worker_thread_loads_the_duplicate_checks_dictionary_before_its_first_job(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _unload(monkeypatch)
    monkeypatch.setattr(jobs, "_background", False)  # the hook marks the process: put back after
    assert "qingfeng-warmup" in HUEY._startup
    # What huey's consumer runs in each worker thread before its loop (Worker.initialize).
    Worker(HUEY, stop_flag=None, default_delay=0.1, max_delay=1, backoff=1).initialize()
    assert segment._tokenizer is not None and segment._tagger is not None
    assert routing._cached is not None
    # Then it beats: /healthz reports the worker up only once it can take jobs.
    assert WorkerHeartbeat.objects.filter(name="worker").exists()
    assert jobs._background is True  # its tasks give way to the web's writes (core/jobs.py)
    assert "intake.similarity" in dict(registry.worker_warmups())


def test_a_failing_warmup_is_logged_and_the_others_still_run(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    _unload(monkeypatch)

    def broken() -> None:
        raise RuntimeError("no dictionary")

    monkeypatch.setitem(registry._registry.worker_warmups, "aaa.broken", broken)
    from qingfeng.core.warmup import warm_worker

    with caplog.at_level(logging.ERROR, logger="qingfeng.core.warmup"):
        warm_worker()
    assert "worker warm-up aaa.broken failed" in caplog.text
    assert segment._tagger is not None  # intake's warm-up ran after the broken one

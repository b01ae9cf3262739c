"""The single-box shared cache (core/scratch.py): Django's cache semantics, `add` and `incr`
atomic across processes, and nothing live evicted however many entries it holds."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import time_machine
from django.test import SimpleTestCase

from qingfeng.core.scratch import ScratchCache


def cache_at(path: Path) -> ScratchCache:
    return ScratchCache(str(path), {"TIMEOUT": 300})


def _add_all(path: str, keys: int, out: Any) -> None:
    cache = cache_at(Path(path))
    out.put(sum(1 for i in range(keys) if cache.add(f"spent:{i}", 1, 60)))


def _count(path: str, times: int) -> None:
    cache = cache_at(Path(path))
    for _ in range(times):
        cache.incr("submissions")


class ScratchCacheTestCase(SimpleTestCase):
    def setUp(self) -> None:
        import tempfile

        self.folder = Path(tempfile.mkdtemp())
        self.cache = cache_at(self.folder / "scratch.sqlite3")

    def test_the_cache_api(self) -> None:
        cache = self.cache
        self.assertIsNone(cache.get("a"))
        cache.set("a", {"figures": [1, 2]})
        self.assertEqual(cache.get("a"), {"figures": [1, 2]})
        self.assertTrue(cache.add("n", 0))
        self.assertFalse(cache.add("n", 5))
        self.assertEqual([cache.incr("n"), cache.incr("n", 4)], [1, 5])
        self.assertEqual(cache.get("n"), 5)
        with self.assertRaises(ValueError):
            cache.incr("missing")
        self.assertTrue(cache.has_key("n"))
        self.assertTrue(cache.delete("n"))
        self.assertFalse(cache.has_key("n"))
        self.assertEqual(cache.get_or_set("b", 7), 7)
        cache.set("big", 2**70)  # past SQLite's integers: pickled, still itself
        self.assertEqual(cache.get("big"), 2**70)

    def test_entries_expire_and_an_expired_key_can_be_added_again(self) -> None:
        cache = self.cache
        now = time.time()
        with time_machine.travel(now, tick=False):
            self.assertTrue(cache.add("token", 1, timeout=60))
        with time_machine.travel(now + 30, tick=False):
            self.assertFalse(cache.add("token", 1, timeout=60))
            self.assertTrue(cache.touch("token", timeout=60))
        with time_machine.travel(now + 89, tick=False):
            self.assertEqual(cache.get("token"), 1)
        with time_machine.travel(now + 91, tick=False):
            self.assertIsNone(cache.get("token"))
            with self.assertRaises(ValueError):
                cache.incr("token")
            self.assertTrue(cache.add("token", 2, timeout=60))
        cache.set("gone", 1, timeout=0)
        self.assertIsNone(cache.get("gone"))

    def test_nothing_live_is_evicted(self) -> None:
        for i in range(12_000):
            self.cache.set(f"k{i}", i)
        self.assertEqual(
            sum(1 for i in range(0, 12_000, 97) if self.cache.get(f"k{i}") == i),
            len(range(0, 12_000, 97)),
        )

    def test_add_and_incr_are_atomic_across_processes(self) -> None:
        path = str(self.folder / "scratch.sqlite3")
        self.cache.add("submissions", 0)
        context = multiprocessing.get_context("spawn")
        out = context.Queue()
        adders = [context.Process(target=_add_all, args=(path, 300, out)) for _ in range(3)]
        counters = [context.Process(target=_count, args=(path, 400)) for _ in range(3)]
        for process in adders + counters:
            process.start()
        for process in adders + counters:
            process.join(120)
            self.assertEqual(process.exitcode, 0)
        # Every token spent exactly once, by exactly one of the three; no count lost.
        self.assertEqual(sum(out.get(timeout=10) for _ in adders), 300)
        self.assertEqual(self.cache.get("submissions"), 1200)

    def test_a_write_waits_for_another_process_s_lock_outside_sqlite_s_busy_handler(self) -> None:
        # The wait is a Python sleep (cooperative under gevent), not SQLite's busy handler:
        # the connection's own busy timeout is 0, and the write still lands once the other
        # writer lets go.
        self.cache.set("counter", 1)
        assert self.cache._db().execute("PRAGMA busy_timeout").fetchone()[0] == 0
        other = sqlite3.connect(
            self.folder / "scratch.sqlite3", isolation_level=None, check_same_thread=False
        )
        other.execute("BEGIN IMMEDIATE")
        release = threading.Timer(0.3, lambda: other.execute("COMMIT"))
        release.start()
        started = time.monotonic()
        assert self.cache.incr("counter") == 2
        waited = time.monotonic() - started
        release.join()
        other.close()
        assert waited >= 0.25  # it waited for the lock, and did not fail at once
        assert self.cache.get("counter") == 2

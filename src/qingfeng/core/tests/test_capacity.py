"""Past capacity the public channel is turned away at once with 503 + Retry-After (in the
API's JSON, or a Chinese page); staff pages and /healthz still answer. The queue time is the
monitor's; here it is set, as the real server's loop would report it under load."""

from __future__ import annotations

import threading
from unittest import mock

from django.conf import settings
from django.test import override_settings

from qingfeng.core import registry
from qingfeng.core.accepted import waited
from qingfeng.core.capacity import LagMonitor, monitor, shed_prefixes
from qingfeng.core.models import AuditEvent
from qingfeng.core.tests.test_url_policy import API_PUBLIC_OPERATIONS, walk
from qingfeng.test import PASSWORD, BaseTestCase

BUSY = "访问人数过多，系统繁忙，请稍后再试。"
REPORT = {
    "kind": "complaint",
    "category_id": 1,
    "unit_id": 1,
    "title": "补课收费",
    "content": "诸葛老师周末在家办补习班，每人每月收费八百元，家长不敢不去。",
}


class LoadSheddingTestCase(BaseTestCase):
    def test_an_idle_process_serves_everything(self) -> None:
        self.assertEqual(self.client.get("/progress/").status_code, 200)
        self.assertEqual(self.client.get("/api/intake/categories").status_code, 200)

    def test_a_busy_process_turns_the_public_channel_away_at_once(self) -> None:
        before = AuditEvent.objects.count()
        with mock.patch.object(monitor, "queue_seconds", return_value=2.5):
            api = self.client.post("/api/intake/reports", REPORT, content_type="application/json")
            page = self.client.get("/report/new/")
            progress = self.client.get("/progress/")
        self.assertEqual(api.status_code, 503)
        self.assertEqual(api["Retry-After"], "5")
        self.assertEqual(api.json(), {"detail": BUSY})
        for response in (page, progress):
            self.assertContains(response, BUSY, status_code=503)
            self.assertContains(response, "请约 5 秒后刷新本页重试", status_code=503)
            self.assertEqual(response["Retry-After"], "5")
        # Nothing was stored: a refused report is not half taken.
        self.assertEqual(AuditEvent.objects.count(), before)

    def test_a_wait_that_still_fits_the_latency_target_is_served(self) -> None:
        """A request that would wait 0.6 s still answers within the 1 s p95 target: served,
        not turned away (QF_SHED_QUEUE_MS defaults to 750 ms)."""
        with mock.patch.object(monitor, "queue_seconds", return_value=0.6):
            self.assertEqual(self.client.get("/progress/").status_code, 200)
            self.assertEqual(self.client.get("/api/intake/categories").status_code, 200)
        with mock.patch.object(monitor, "queue_seconds", return_value=0.8):
            self.assertEqual(self.client.get("/progress/").status_code, 503)

    def test_staff_pages_and_the_health_check_are_never_shed(self) -> None:
        self.client.post("/accounts/login/", {"username": "teacher", "password": PASSWORD})
        with mock.patch.object(monitor, "queue_seconds", return_value=2.5):
            self.assertEqual(self.client.get("/").status_code, 200)
            self.assertEqual(self.client.get("/healthz").status_code, 200)

    @override_settings(QF_SHED_QUEUE_MS=0)
    def test_zero_turns_shedding_off(self) -> None:
        with mock.patch.object(monitor, "queue_seconds", return_value=30.0):
            self.assertEqual(self.client.get("/progress/").status_code, 200)

    def test_a_new_connection_that_waited_too_long_is_turned_away(self) -> None:
        """The worker notes how long a connection waited before it got to run."""
        token = waited.set(1.5)
        try:
            late = self.client.get("/report/new/")
        finally:
            waited.reset(token)
        self.assertContains(late, BUSY, status_code=503)
        token = waited.set(0.002)
        try:
            self.assertEqual(self.client.get("/report/new/").status_code, 200)
        finally:
            waited.reset(token)

    def test_the_monitor_starts_once(self) -> None:
        def monitors() -> int:
            return sum(thread.name == "qf-lag-monitor" for thread in threading.enumerate())

        before = monitors()
        lagging = LagMonitor()
        lagging.start()
        lagging.start()  # once per process, however many handlers load the middleware
        self.assertEqual(monitors(), before + 1)
        self.assertGreaterEqual(lagging.queue_seconds(), 0.0)

    def test_every_public_api_operation_is_shed(self) -> None:
        """An operation anyone may call (the API's allow-list) is public channel too: left
        out, a burst of it queues inside the web process without limit, on SQLite for the
        write lock until the busy timeout answers "database is locked" (the rating API did)."""
        public = {f"api:{name}" for name in API_PUBLIC_OPERATIONS}
        routes = [r.route for r in walk() if r.name in public]
        self.assertEqual(len(routes), len(API_PUBLIC_OPERATIONS))
        unshed = [r for r in routes if not r.startswith(tuple(settings.QF_SHED_PREFIXES))]
        self.assertEqual(unshed, [], "public API operations never shed:\n" + "\n".join(unshed))

    def test_every_public_page_an_app_mounts_is_shed(self) -> None:
        """A public page is public channel whichever app mounts it (the notices of oversight
        and of reception days were left out of the setting): under load it is turned away at
        once like the report form, with no setting to keep in step."""
        mounted = [f"/{m.prefix}" for m in registry.url_mounts() if m.public]
        self.assertIn("/notice/", mounted)
        self.assertTrue(set(mounted) <= set(shed_prefixes()))
        with mock.patch.object(monitor, "queue_seconds", return_value=2.5):
            for path in ("/notice/", "/notice/reception/"):
                self.assertContains(self.client.get(path), BUSY, status_code=503)
        self.assertEqual(self.client.get("/notice/").status_code, 200)

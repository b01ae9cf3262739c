"""The audit chain's lanes: each event links to the one before it in its own lane, so writers
of different lanes do not wait for each other; every kind of tampering is still found, in the
database (`check_chain`) and in an export (`verify_export`), and several writers at once on
PostgreSQL leave a chain that holds."""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterator
from unittest import mock, skipUnless

from django.db import connection, connections
from django.test import TransactionTestCase

from qingfeng.core import audit
from qingfeng.core.audit import (
    EXPORT_FORMAT,
    GENESIS,
    _sealed,
    check_chain,
    compute_hash,
    export_lines,
    record_audit,
    record_audits,
    verify_export,
)
from qingfeng.core.models import AuditEvent
from qingfeng.core.tests.test_audit import FreshAnchors, drop_append_only_triggers
from qingfeng.test import BaseTestCase


def lanes_in_turn(*lanes: int | None) -> mock._patch[mock.MagicMock]:
    """Appends go to the given lanes in turn, as requests of different threads would."""
    turn: Iterator[int | None] = itertools.cycle(lanes)
    return mock.patch.object(audit, "_lane", side_effect=lambda: next(turn))


class LaneTrail(FreshAnchors, BaseTestCase):
    """Nine events appended to lanes 1, 2 and 3 in turn."""

    def setUp(self) -> None:
        super().setUp()
        self.before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        with lanes_in_turn(1, 2, 3), self.captureOnCommitCallbacks(execute=True):
            for n in range(9):
                record_audit(actor=None, action="core.test.lane", after={"n": n})
        self.events = list(AuditEvent.objects.filter(id__gt=self.before).order_by("id"))

    def lane(self, lane: int) -> list[AuditEvent]:
        return [e for e in self.events if e.lane == lane]


class LanesTestCase(LaneTrail):
    def test_each_event_links_to_the_one_before_in_its_lane(self) -> None:
        self.assertEqual([e.lane for e in self.events], [1, 2, 3] * 3)
        for lane in (1, 2, 3):
            events = self.lane(lane)
            before = AuditEvent.objects.filter(lane=lane, id__lte=self.before).order_by("-id")
            first_link = before.values_list("hash", flat=True).first() or GENESIS
            self.assertEqual(events[0].prev_hash, first_link)
            for previous, event in itertools.pairwise(events):
                self.assertEqual(event.prev_hash, previous.hash)
        self.assertTrue(check_chain().ok)

    def test_the_lane_is_inside_the_hash(self) -> None:
        event = self.events[4]
        self.assertEqual(event.chain_payload()["lane"], 2)
        self.assertEqual(event.hash, compute_hash(event.chain_payload()))
        drop_append_only_triggers()
        with connection.cursor() as cursor:  # moved to another lane, its link made to fit
            cursor.execute(
                "UPDATE core_auditevent SET lane = 1, prev_hash = %s WHERE id = %s",
                [self.events[3].hash, event.pk],
            )
        report = check_chain()
        assert report.broken is not None
        self.assertEqual((report.broken.pk, report.reason), (event.pk, "hash"))

    def test_a_removed_event_breaks_the_next_link_of_its_lane(self) -> None:
        gone, next_in_lane = self.lane(2)[0], self.lane(2)[1]
        drop_append_only_triggers()
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [gone.pk])
        report = check_chain()
        assert report.broken is not None
        self.assertEqual((report.broken.pk, report.reason), (next_in_lane.pk, "link"))
        self.assertIn(gone.pk, report.missing)  # and its anchor names it

    def test_the_last_event_of_a_lane_cut_off_is_named_by_its_anchor(self) -> None:
        last_of_lane = self.lane(1)[-1]  # not the newest event of the trail
        self.assertNotEqual(last_of_lane.pk, self.events[-1].pk)
        drop_append_only_triggers()
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [last_of_lane.pk])
        report = check_chain()
        self.assertIsNone(report.broken)  # no link is left that names it...
        self.assertEqual(report.missing, [last_of_lane.pk])  # ...but the anchor file does
        self.assertFalse(report.ok)

    def test_a_bulk_append_goes_to_one_lane(self) -> None:
        with lanes_in_turn(40, 41), self.captureOnCommitCallbacks(execute=True):
            count = record_audits(
                actor=None,
                action="core.test.bulk",
                changes=[(self.school, None, {"n": n}) for n in range(4)],
            )
        self.assertEqual(count, 4)
        bulk = list(AuditEvent.objects.filter(action="core.test.bulk").order_by("id"))
        self.assertEqual({e.lane for e in bulk}, {40})
        self.assertEqual(bulk[0].prev_hash, GENESIS)
        self.assertTrue(check_chain().ok)


class LanesExportTestCase(LaneTrail):
    def export(self) -> list[str]:
        return list(export_lines(AuditEvent.objects.filter(id__gt=self.before)))

    def test_an_export_over_lanes_verifies(self) -> None:
        lines = self.export()
        start, end = json.loads(lines[0]), json.loads(lines[-1])
        self.assertEqual(start["format"], EXPORT_FORMAT)
        self.assertEqual(set(start["links"]), {"1", "2", "3"})
        self.assertEqual(end["heads"]["3"], self.lane(3)[-1].hash)
        report = verify_export(lines)
        self.assertTrue(report.ok, report.problem)
        self.assertEqual(report.checked, 9)

    def test_a_deleted_line_of_one_lane_is_named(self) -> None:
        lines = self.export()
        second_of_lane_2 = 1 + self.events.index(self.lane(2)[1])
        del lines[1 + self.events.index(self.lane(2)[0])]
        report = verify_export(lines)
        self.assertFalse(report.ok)
        self.assertEqual(report.line, second_of_lane_2)  # one line up, as one was deleted
        self.assertIn("链接断开", report.problem)

    def test_the_last_line_of_a_lane_deleted_is_found_by_the_end_line(self) -> None:
        lines = self.export()
        del lines[1 + self.events.index(self.lane(1)[-1])]
        report = verify_export(lines)
        self.assertFalse(report.ok)
        self.assertEqual(report.line, len(lines))  # the end line

    def test_a_line_moved_to_a_lane_the_start_does_not_name_is_refused(self) -> None:
        lines = self.export()
        row = json.loads(lines[5])
        row["lane"] = 9
        lines[5] = json.dumps(row, ensure_ascii=False) + "\n"
        report = verify_export(lines)
        self.assertEqual(report.line, 6)
        self.assertIn("lane 9", report.problem)

    def test_an_export_of_the_first_version_still_verifies(self) -> None:
        """A file written before lanes (older releases): the events of the one lane there was,
        a start line with one link and an end line with one head."""
        with lanes_in_turn(None), self.captureOnCommitCallbacks(execute=True):
            for n in range(3):
                record_audit(actor=None, action="core.test.before_lanes", after={"n": n})
        legacy = AuditEvent.objects.filter(action="core.test.before_lanes")
        self.assertEqual(set(legacy.values_list("lane", flat=True)), {None})
        lines = list(export_lines(legacy))
        self.assertNotIn('"lane"', "".join(lines[1:-1]))  # the old lane hashes no lane
        start, end = json.loads(lines[0]), json.loads(lines[-1])
        start.pop("mac"), end.pop("mac")
        start.pop("links"), end.pop("heads")
        version_1 = [
            _sealed({**start, "format": "qingfeng-audit-export/1"}),
            *lines[1:-1],
            _sealed({**end, "format": "qingfeng-audit-export/1"}),
        ]
        report = verify_export(version_1)
        self.assertTrue(report.ok, report.problem)
        self.assertEqual(report.checked, 3)
        del version_1[2]
        self.assertIn("链接断开", verify_export(version_1).problem)


@skipUnless(connection.vendor == "postgresql", "SQLite has one writer at a time anyway")
class ConcurrentWritersTestCase(FreshAnchors, TransactionTestCase):
    serialized_rollback = True

    def test_writers_in_many_threads_leave_a_chain_that_holds(self) -> None:
        barrier = threading.Barrier(8)
        failures: list[BaseException] = []

        def write(n: int) -> None:
            try:
                barrier.wait(timeout=30)
                for i in range(15):
                    record_audit(actor=None, action="core.test.concurrent", after={"n": n, "i": i})
            except BaseException as exc:  # reported below, in the test's thread
                failures.append(exc)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        self.assertEqual(failures, [])
        written = AuditEvent.objects.filter(action="core.test.concurrent")
        self.assertEqual(written.count(), 120)
        self.assertGreater(written.values("lane").distinct().count(), 1)
        report = check_chain()
        self.assertTrue(report.ok, report)
        self.assertGreaterEqual(report.checked, 120)

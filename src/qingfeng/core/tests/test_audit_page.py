from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

import time_machine
from openpyxl import load_workbook

from qingfeng.core.audit import record_audit
from qingfeng.core.audit_views import PAGE_SIZE
from qingfeng.core.models import AuditEvent
from qingfeng.orgs import actions
from qingfeng.orgs.models import Role
from qingfeng.test import BaseTestCase, make_user

# 2026-11-05 00:30 in Beijing is still 2026-11-04 in UTC: the filters must use local days.
NOV_5_EARLY = datetime(2026, 11, 4, 16, 30, tzinfo=UTC)
NOV_6_LATE = datetime(2026, 11, 6, 15, 30, tzinfo=UTC)  # 23:30 Beijing


def streamed(response: Any) -> bytes:
    return b"".join(response.streaming_content)


class AuditPageTestCase(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        with time_machine.travel(NOV_5_EARLY, tick=False):
            actions.do_update_unit(cls.school, actor=cls.school_admin, short_name="实小")
        with time_machine.travel(NOV_6_LATE, tick=False):
            record_audit(
                actor=cls.county_admin,
                action="orgs.login.failure",
                obj=cls.county_admin,
                outcome=AuditEvent.Outcome.DENIED,
            )

    def get_ids(self, query: str = "") -> list[int]:
        response = self.client.get(f"/core/audit/{query}")
        self.assertEqual(response.status_code, 200)
        return [e.pk for e in response.context["events"]]

    def test_the_auditor_sees_the_trail(self) -> None:
        self.login(self.auditor)
        response = self.client.get("/core/audit/")
        self.assertContains(response, "审计日志")
        self.assertContains(response, "orgs.unit.update")
        self.assertContains(response, 'href="/core/audit/"')  # the navigation entry
        newest = AuditEvent.objects.order_by("-id")[:PAGE_SIZE]
        self.assertEqual(self.get_ids(), [e.pk for e in newest])

    def test_nobody_else_may_read_it(self) -> None:
        for user in (
            self.system_admin,  # 三权分立: the system admin runs the system, not its audit
            self.bureau_admin,
            self.leader,
            self.supervisor,
            self.school_admin,
            self.teacher,
        ):
            with self.subTest(user=user.username):
                self.login(user)
                for url in ("/core/audit/", "/core/audit/export.csv", "/core/audit/export.xlsx"):
                    self.assertEqual(self.client.get(url).status_code, 403, url)
                self.assertNotContains(self.client.get("/"), 'href="/core/audit/"')
        self.assertFalse(AuditEvent.objects.filter(action="core.audit.export").exists())

    def test_anonymous_visitors_are_sent_to_sign_in(self) -> None:
        response = self.client.get("/core/audit/?actor=x")
        self.assertRedirects(
            response,
            "/accounts/login/?next=/core/audit/%3Factor%3Dx",
            fetch_redirect_response=False,
        )

    def test_the_query_count_is_fixed(self) -> None:
        self.login(self.auditor)
        self.client.get("/core/audit/")
        # session, user, roles, one page of events with their units (one row more than the
        # page tells whether older ones exist), notifications, the user's person; a read does
        # not save the session
        with self.assertNumQueries(6):
            self.client.get("/core/audit/")
        for _n in range(PAGE_SIZE * 2):
            record_audit(actor=self.teacher, action="test.more", unit=self.school, obj=self.school)
        with self.assertNumQueries(6):
            self.client.get("/core/audit/")
        older = self.client.get("/core/audit/").context["older_url"]
        # a page further back also asks whether newer events exist
        with self.assertNumQueries(7):
            self.client.get(f"/core/audit/{older}")

    def test_it_filters_by_local_dates_typed_either_way(self) -> None:
        self.login(self.auditor)
        update = AuditEvent.objects.get(action="orgs.unit.update")
        failure = AuditEvent.objects.get(action="orgs.login.failure")
        self.assertEqual(self.get_ids("?start=2026年11月5日&end=2026年11月5日"), [update.pk])
        self.assertEqual(self.get_ids("?start=2026-11-06&end=2026-11-06"), [failure.pk])
        self.assertEqual(self.get_ids("?start=2026-11-05&end=2026/11/6"), [failure.pk, update.pk])
        self.assertEqual(self.get_ids("?end=2026-11-04"), [])

    def test_a_bad_date_is_explained(self) -> None:
        self.login(self.auditor)
        response = self.client.get("/core/audit/?start=11月5日")
        self.assertContains(response, "日期格式不正确，请按 2026年11月5日 或 2026-11-05 填写")
        self.assertEqual(list(response.context["events"]), [])
        response = self.client.get("/core/audit/?start=2026-11-06&end=2026-11-05")
        self.assertContains(response, "截止日期不能早于起始日期")

    def test_it_filters_by_actor_action_object_and_outcome(self) -> None:
        self.login(self.auditor)
        update = AuditEvent.objects.get(action="orgs.unit.update")
        failure = AuditEvent.objects.get(action="orgs.login.failure")
        self.assertEqual(self.get_ids("?actor=school_admin&action=orgs.unit"), [update.pk])
        self.assertEqual(self.get_ids("?actor=孙立平&action=orgs.unit.up"), [update.pk])
        self.assertEqual(
            self.get_ids(f"?object_type=orgs.unit&object_id={self.school.pk}&action=orgs.unit.u"),
            [update.pk],
        )
        self.assertEqual(self.get_ids("?outcome=denied"), [failure.pk])
        self.assertEqual(self.get_ids("?actor=nobody"), [])
        response = self.client.get("/core/audit/?actor=school_admin&action=orgs.unit")
        self.assertContains(response, "东城实小")  # before/after are shown
        self.assertContains(response, 'value="school_admin"')

    def test_keyset_pages_walk_the_whole_trail(self) -> None:
        for n in range(PAGE_SIZE + 10):
            record_audit(actor=self.teacher, action="test.page", object_repr=f"第{n}条")
        self.login(self.auditor)
        expected = list(
            AuditEvent.objects.filter(action="test.page")
            .order_by("-id")
            .values_list("pk", flat=True)
        )
        first = self.client.get("/core/audit/?action=test.page")
        self.assertEqual([e.pk for e in first.context["events"]], expected[:PAGE_SIZE])
        self.assertEqual(first.context["newer_url"], "")
        older_url = first.context["older_url"]
        self.assertEqual(older_url, f"?action=test.page&before={expected[PAGE_SIZE - 1]}")
        second = self.client.get(f"/core/audit/{older_url}")
        self.assertEqual([e.pk for e in second.context["events"]], expected[PAGE_SIZE:])
        self.assertEqual(second.context["older_url"], "")
        newer = self.client.get(f"/core/audit/{second.context['newer_url']}")
        self.assertEqual([e.pk for e in newer.context["events"]], expected[:PAGE_SIZE])
        self.assertEqual(newer.context["newer_url"], "")
        self.assertContains(newer, "更早")

    def test_a_county_auditor_sees_only_their_county(self) -> None:
        county_auditor = make_user("county_auditor", unit=self.county, role=None, name="县审计")
        actions.do_grant_role(county_auditor, actor=None, role=Role.AUDITOR, unit=self.county)
        actions.do_update_unit(self.other_school, actor=self.bureau_admin, short_name="西山一中")
        self.login(county_auditor)
        response = self.client.get("/core/audit/?action=orgs.unit.update")
        units = {e.unit_id for e in response.context["events"]}
        self.assertEqual(units, {self.school.pk})


class AuditExportTestCase(BaseTestCase):
    def setUp(self) -> None:
        record_audit(
            actor=None,
            action="orgs.login.failure",
            object_repr='=HYPERLINK("http://evil.example","点我")',
            outcome=AuditEvent.Outcome.DENIED,
        )
        self.login(self.auditor)

    def test_csv_export_of_the_filtered_set(self) -> None:
        response = self.client.get("/core/audit/export.csv?action=orgs.unit")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "text/csv; charset=utf-8")
        self.assertRegex(
            response["Content-Disposition"], r'^attachment; filename="audit-\d{8}-\d{6}\.csv"$'
        )
        body = streamed(response)
        self.assertTrue(body.startswith(b"\xef\xbb\xbf"))  # BOM for Excel and WPS
        rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
        self.assertEqual(rows[0][:5], ["编号", "时间", "操作人", "单位", "操作"])
        expected = AuditEvent.objects.filter(action__startswith="orgs.unit").order_by("id")
        self.assertEqual([int(r[0]) for r in rows[1:]], [e.pk for e in expected])
        self.assertTrue(all(r[4].startswith("orgs.unit") for r in rows[1:]))
        self.assertIn("东城区实验小学", {r[7] for r in rows[1:]})

    def test_formulas_are_neutralised(self) -> None:
        response = self.client.get("/core/audit/export.csv?action=orgs.login")
        body = streamed(response).decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(body)))
        self.assertEqual(rows[1][7], '\'=HYPERLINK("http://evil.example","点我")')

        response = self.client.get("/core/audit/export.xlsx?action=orgs.login")
        sheet = load_workbook(io.BytesIO(response.content)).active
        assert sheet is not None
        cell = sheet.cell(row=2, column=8)
        self.assertEqual(cell.value, '=HYPERLINK("http://evil.example","点我")')
        self.assertEqual(cell.data_type, "s")

    def test_xlsx_export(self) -> None:
        response = self.client.get("/core/audit/export.xlsx?outcome=success&action=orgs.person")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            response["Content-Type"],
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        sheet = load_workbook(io.BytesIO(response.content)).active
        assert sheet is not None
        rows = list(sheet.iter_rows(values_only=True))
        self.assertEqual(rows[0][0], "编号")
        expected = AuditEvent.objects.filter(action__startswith="orgs.person").order_by("id")
        self.assertEqual([r[0] for r in rows[1:]], [e.pk for e in expected])
        self.assertIsInstance(rows[1][1], datetime)

    def test_the_export_is_audited(self) -> None:
        before = AuditEvent.objects.count()
        response = self.client.get("/core/audit/export.csv?actor=teacher&start=2020-01-01")
        rows = list(csv.reader(io.StringIO(streamed(response).decode("utf-8-sig"))))
        event = AuditEvent.objects.get(action="core.audit.export")
        self.assertEqual(AuditEvent.objects.count(), before + 1)
        self.assertEqual(event.actor, self.auditor)
        self.assertEqual(
            event.after,
            {
                "format": "csv",
                "rows": len(rows) - 1,
                "filters": {"actor": "teacher", "start": "2020-01-01"},
            },
        )
        self.assertNotIn(str(event.pk), {r[0] for r in rows[1:]})  # not part of its own file

    def test_an_invalid_filter_goes_back_to_the_page(self) -> None:
        response = self.client.get("/core/audit/export.csv?start=昨天")
        self.assertRedirects(
            response, "/core/audit/?start=%E6%98%A8%E5%A4%A9", fetch_redirect_response=False
        )
        self.assertFalse(AuditEvent.objects.filter(action="core.audit.export").exists())

    def test_the_page_offers_the_exports_with_its_filters(self) -> None:
        response = self.client.get("/core/audit/?action=orgs.unit&before=99999")
        self.assertContains(response, 'href="/core/audit/export.csv?action=orgs.unit"')
        self.assertContains(response, 'href="/core/audit/export.xlsx?action=orgs.unit"')

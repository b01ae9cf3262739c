from __future__ import annotations

import io
from datetime import timedelta

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from qingfeng.learning import actions, tokens
from qingfeng.learning.models import Attendance, Case, Makeup, Pledge, Session, Signature
from qingfeng.learning.tests.base import LearningCase, at

A = Attendance.Status


class SessionPagesTestCase(LearningCase):
    @time_machine.travel(at("2026-12-10 14:00"), tick=False)
    def test_the_organiser_plans_ticks_and_records_a_session(self) -> None:
        self.login(self.school_admin)
        page = self.client.get(reverse("learning:unit", args=[self.school.pk]))
        self.assertContains(page, "中心组专题研学")
        response = self.client.post(
            reverse("learning:session_new", args=[self.school.pk]),
            {
                "type": self.type("all_staff").pk,
                "starts_at": "2026-12-10T14:00",
                "place": "会议室",
                "chair": "韩国栋",
                "topic": "学习八项规定",
            },
        )
        session = Session.objects.get()
        self.assertRedirects(response, reverse("learning:session", args=[session.pk]))
        me = self.teacher.person
        self.client.post(reverse("learning:session", args=[session.pk]), {f"p{me.pk}": A.PRESENT})
        self.assertEqual(session.attendance.get(person=me).status, A.PRESENT)
        self.client.post(
            reverse("learning:session", args=[session.pk]), {"hold": "1", "minutes": "传达学习"}
        )
        session.refresh_from_db()
        self.assertEqual(session.status, Session.Status.HELD)
        self.assertEqual(Makeup.objects.count(), 4)
        export = self.client.get(reverse("learning:export", args=[self.school.pk]))
        sheet = load_workbook(io.BytesIO(export.content)).active
        cells = [c for row in sheet.iter_rows(values_only=True) for c in row if c]
        self.assertIn("学习八项规定", cells)
        self.assertIn("全体教职工学习", cells)

    def test_bad_input_gets_a_chinese_error_and_nothing_is_written(self) -> None:
        self.login(self.school_admin)
        response = self.client.post(
            reverse("learning:session_new", args=[self.school.pk]),
            {
                "type": self.type("all_staff").pk,
                "starts_at": "明天",
                "place": "",
                "chair": "x",
                "topic": "y",
            },
        )
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "这个字段是必填项", status_code=200)
        self.assertFalse(Session.objects.exists())

    def test_another_school_cannot_organise_or_see(self) -> None:
        session = self.plan()
        self.login(self.other_school_admin)
        self.assertEqual(
            self.client.get(reverse("learning:session", args=[session.pk])).status_code, 404
        )
        self.assertEqual(
            self.client.get(reverse("learning:session_new", args=[self.school.pk])).status_code, 404
        )

    @time_machine.travel(at("2026-12-10 14:58"), tick=False)
    def test_a_teacher_scans_on_the_phone(self) -> None:
        session = self.plan(when="2026-12-10 15:00")
        self.login(self.teacher)
        url = reverse("learning:scan", args=[tokens.make(session.pk)])
        self.assertContains(self.client.get(url), "确认签到")
        self.assertContains(self.client.post(url), "签到成功")
        self.assertContains(self.client.post(url), "签到码不能重复使用")
        other = self.login(self.party_teacher, self.client_class())
        # The same phone (its cookie) for someone else: refused.
        other.cookies["qf_learning_device"] = self.client.cookies["qf_learning_device"].value
        self.assertContains(other.post(url), "这台手机已为其他人签到")
        self.assertEqual(session.attendance.filter(status=A.PRESENT).count(), 1)

    @time_machine.travel(at("2026-12-10 14:58"), tick=False)
    def test_a_sign_in_costs_a_fixed_list_of_statements(self) -> None:
        """The sign-in (POST) on the phone: the session, the user, the person, the roles, the
        session read through the scope, the row locked, its update, the lane's head and the
        audit row, the bell's count and the menu's ticket check; no savepoint beyond the action's own (here nested in the
        test's transaction) and, on PostgreSQL, the lane's lock."""
        session = self.plan(when="2026-12-10 15:00")
        self.login(self.teacher)
        url = reverse("learning:scan", args=[tokens.make(session.pk)])
        self.assertContains(self.client.get(url), "确认签到")
        with CaptureQueriesContext(connection) as context:
            self.assertContains(self.client.post(url), "签到成功")
        statements = [q["sql"].lstrip().split()[0].upper() for q in context]
        control = {"SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT"}
        self.assertEqual(statements.count("SAVEPOINT"), 1)
        locks = [q["sql"] for q in context if "pg_advisory_xact_lock" in q["sql"]]
        self.assertEqual(len(locks), 1 if connection.vendor == "postgresql" else 0)
        work = [s for s in statements if s not in control]
        self.assertEqual(len(work) - len(locks), 11, [q["sql"][:80] for q in context])
        self.assertEqual(work.count("UPDATE") + work.count("INSERT"), 2)

    def test_the_scan_page_only_reads(self) -> None:
        """The confirmation page a phone opens writes nothing of its own: at most the idle
        clock's stamp once a minute (orgs.middleware), and nothing at all when the session row
        lives to the absolute limit; the sign-in (POST) is the scan's one write."""
        writes = ("INSERT", "UPDATE", "DELETE", "REPLACE")
        session = self.plan(when="2026-12-10 15:00")
        for age, expected in ((31 * 60, ["django_session"]), (12 * 3600, [])):
            with (
                self.subTest(session_cookie_age=age),
                self.settings(SESSION_COOKIE_AGE=age),
                time_machine.travel(at("2026-12-10 14:50"), tick=False) as traveller,
            ):
                client = self.login(self.teacher, self.client_class())
                traveller.shift(timedelta(minutes=5))  # signed in before, the clock stale
                url = reverse("learning:scan", args=[tokens.make(session.pk)])
                with CaptureQueriesContext(connection) as context:
                    self.assertContains(client.get(url), "确认签到")
                written = [
                    q["sql"] for q in context if q["sql"].lstrip().upper().startswith(writes)
                ]
                self.assertEqual(
                    ["django_session" for sql in written if "django_session" in sql], expected
                )
                self.assertEqual(len(written), len(expected))

    def test_the_calendar_costs_the_same_queries_however_many_sessions(self) -> None:
        self.login(self.school_admin)
        url = reverse("learning:unit", args=[self.school.pk])
        self.plan()
        self.client.get(url)  # the session's and the calendar's first reads
        with CaptureQueriesContext(connection) as one:
            self.client.get(url)
        for day in range(11, 20):
            self.plan(when=f"2026-11-{day} 15:00")
        with CaptureQueriesContext(connection) as many:
            self.client.get(url)
        self.assertEqual(len(one), len(many))

    def test_the_session_page_costs_the_same_queries_however_many_attend(self) -> None:
        self.login(self.school_admin)
        small = self.plan("party_day")
        large = self.plan("all_staff")
        self.client.get(reverse("learning:session", args=[small.pk]))
        with CaptureQueriesContext(connection) as few:
            self.client.get(reverse("learning:session", args=[small.pk]))
        with CaptureQueriesContext(connection) as more:
            self.client.get(reverse("learning:session", args=[large.pk]))
        self.assertEqual(len(few), len(more))


class PledgeAndCasePagesTestCase(LearningCase):
    def test_a_teacher_signs_and_the_unit_sees_who_has_not(self) -> None:
        pledge = actions.check_issue_pledge(
            actor=self.office_user,
            issuer=self.bureau,
            group=Pledge.Group.ALL,
            title="廉洁从教承诺书",
            text="不收礼",
            year=2026,
        )
        self.login(self.teacher)
        self.assertContains(self.client.get(reverse("learning:mine")), "待签署")
        self.client.post(reverse("learning:pledge_sign", args=[pledge.pk]))
        self.assertTrue(
            Signature.objects.filter(pledge=pledge, person=self.teacher.person).exists()
        )
        self.login(self.school_admin)
        page = self.client.get(reverse("learning:pledge", args=[pledge.pk]))
        self.assertContains(page, "甘丽")
        self.assertNotContains(page, "周小燕、")

    def test_the_office_issues_a_pledge_from_the_page(self) -> None:
        self.login(self.office_user)
        self.client.post(
            reverse("learning:pledges"),
            {"group": "all", "year": 2026, "title": "承诺书", "text": "承诺内容"},
        )
        self.assertTrue(Pledge.objects.filter(issuer=self.bureau).exists())

    def test_search_compile_and_redact_on_the_pages(self) -> None:
        case = actions.check_enter_case(
            actor=self.office_user,
            owner=self.bureau,
            title="食堂违规收费",
            facts="某校食堂违规收费",
            category=Case.Category.FEES,
            level=Case.Level.LOCAL,
        )
        self.login(self.office_user)
        self.client.post(reverse("learning:case_move", args=[case.pk]), {"action": "submit"})
        self.login(self.bureau_admin)
        self.client.post(reverse("learning:case_move", args=[case.pk]), {"action": "approve"})
        case.refresh_from_db()
        self.assertEqual(case.status, Case.Status.PUBLISHED)
        self.login(self.teacher)
        self.assertContains(
            self.client.get(reverse("learning:cases"), {"q": "食堂"}), "食堂违规收费"
        )
        self.assertContains(
            self.client.get(reverse("learning:cases"), {"q": "校服"}), "没有找到案例"
        )
        book = self.client.get(reverse("learning:compile"), {"q": "食堂"})
        self.assertEqual(book.status_code, 200)
        from docx import Document

        text = "\n".join(p.text for p in Document(io.BytesIO(book.content)).paragraphs)
        self.assertIn("食堂违规收费", text)
        self.assertEqual(
            self.client.get(reverse("api:learning_cases"), {"q": "食堂"}).status_code, 200
        )


class PledgeReportPageTestCase(LearningCase):
    def test_a_report_links_own_ledger_items_only(self) -> None:
        from qingfeng.learning.models import Fulfilment
        from qingfeng.ledger import actions as ledger_actions
        from qingfeng.ledger.models import Category, Problem

        def problem(person: object) -> Problem:
            return ledger_actions.check_create_problem(
                actor=self.school_admin,
                unit=self.school,
                category=Category.objects.first(),
                list_kind=Problem.ListKind.PERSONAL,
                source=Problem.Source.SELF_CHECK,
                title="作业布置量超标",
                description="作业布置量超标",
                rectification_type=Problem.RectificationType.LONG_TERM,
                responsible_person=person,
            )

        mine, theirs = problem(self.teacher.person), problem(self.principal)
        pledge = actions.check_issue_pledge(
            actor=self.office_user,
            issuer=self.bureau,
            group=Pledge.Group.ALL,
            title="廉洁从教承诺书",
            text="不收礼",
            year=2026,
        )
        self.login(self.teacher)
        self.client.post(reverse("learning:pledge_sign", args=[pledge.pk]))
        self.assertContains(
            self.client.get(reverse("learning:pledge", args=[pledge.pk])), mine.number
        )
        self.client.post(
            reverse("learning:pledge_report", args=[pledge.pk]),
            {"text": "本季度按期整改", "problems": [mine.pk, theirs.pk]},
        )
        report = Fulfilment.objects.get()
        self.assertEqual(list(report.problems.all()), [mine])

from __future__ import annotations

import hashlib

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from qingfeng.ledger import actions
from qingfeng.ledger.models import Evidence, Problem
from qingfeng.ledger.tests.base import PNG, LedgerTestCase, png
from qingfeng.orgs.models import Person

S = Problem.Status


@override_settings(
    STORAGES={
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
)
class LedgerPagesTestCase(LedgerTestCase):
    def test_register_a_problem_through_the_form(self) -> None:
        self.login(self.county_admin)
        options = self.client.get("/ledger/new/people/", {"unit": self.school.pk})
        self.assertContains(options, "周小燕")
        response = self.client.post(
            "/ledger/new/",
            {
                "list_kind": "personal",
                "source": "self_check",
                "category": self.category.pk,
                "dimension": "integrity",
                "title": "推荐教辅",
                "description": "描述",
                "measures": "退回费用\n书面检查\n",
                "unit": self.school.pk,
                "responsible_person": self.teacher_person.pk,
                "rectification_type": "time_limited",
                "deadline": "2026年12月31日",
            },
        )
        problem = Problem.objects.get(title="推荐教辅")
        self.assertRedirects(response, f"/ledger/{problem.pk}/")
        self.assertEqual(str(problem.deadline), "2026-12-31")
        self.assertEqual(
            list(problem.measures.values_list("text", flat=True)), ["退回费用", "书面检查"]
        )

    def test_a_form_error_changes_nothing(self) -> None:
        self.login(self.county_admin)
        response = self.client.post(
            "/ledger/new/", {"list_kind": "personal", "title": "", "unit": self.school.pk}
        )
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "这个字段是必填项")
        self.assertFalse(Problem.objects.exists())

    def test_a_unit_outside_scope_cannot_be_chosen(self) -> None:
        self.login(self.school_admin)
        response = self.client.post("/ledger/new/", {"unit": self.other_school.pk, "title": "x"})
        self.assertContains(response, "选择一个有效的选项")

    def test_school_admin_to_closure_request_then_county_returns_and_closes(self) -> None:
        problem = self.assigned(responsible_person=Person.objects.get(user=self.school_admin))
        self.login(self.school_admin)
        self.client.post(f"/ledger/{problem.pk}/accept/")
        self.client.post(
            f"/ledger/{problem.pk}/report/",
            {"progress": 80, "text": "已退费", "phase": "after", "files": [png()]},
        )
        response = self.client.post(
            f"/ledger/{problem.pk}/request-closure/", {"text": "完成"}, follow=True
        )
        self.assertContains(response, "尚有 2 项整改措施未完成")
        measures = list(problem.measures.values_list("pk", flat=True))
        self.client.post(
            f"/ledger/{problem.pk}/report/",
            {"progress": 90, "text": "已作检查", "phase": "after", "measures_done": measures},
        )
        response = self.client.post(
            f"/ledger/{problem.pk}/request-closure/", {"text": "完成"}, follow=True
        )
        self.assertContains(response, "已申请销号")
        self.login(self.county_admin)
        self.client.post(
            f"/ledger/{problem.pk}/verify/", {"outcome": "returned", "comment": "佐证不清晰"}
        )
        self.assertEqual(Problem.objects.get(pk=problem.pk).status, S.RECTIFYING)
        self.login(self.school_admin)
        response = self.client.post(
            f"/ledger/{problem.pk}/request-closure/", {"text": "补充"}, follow=True
        )
        self.assertContains(response, "须上传新的整改后佐证材料")  # the returned photo again: no
        self.client.post(
            f"/ledger/{problem.pk}/report/",
            {"progress": 100, "text": "补拍清晰照片", "phase": "after", "files": [png()]},
        )
        self.client.post(f"/ledger/{problem.pk}/request-closure/", {"text": "补充"})
        self.login(self.county_admin)
        response = self.client.post(
            f"/ledger/{problem.pk}/verify/", {"outcome": "approved", "comment": "同意"}, follow=True
        )
        self.assertContains(response, "审核完成：同意销号")
        self.assertEqual(Problem.objects.get(pk=problem.pk).status, S.CLOSED)

    def test_the_school_cannot_verify_its_own_closure(self) -> None:
        problem = self.awaiting_verification()
        self.login(self.school_admin)
        response = self.client.post(
            f"/ledger/{problem.pk}/verify/", {"outcome": "approved", "comment": "ok"}, follow=True
        )
        self.assertContains(response, "责任单位的人员不能审核本单位的销号申请")
        self.assertEqual(Problem.objects.get(pk=problem.pk).status, S.CLOSURE_REQUESTED)

    def test_a_file_that_lies_about_its_type_is_refused(self) -> None:
        problem = actions.do_accept(self.assigned(), actor=self.teacher)
        self.login(self.teacher)
        fake = SimpleUploadedFile("scan.pdf", PNG, content_type="application/pdf")
        response = self.client.post(
            f"/ledger/{problem.pk}/report/",
            {"progress": 50, "text": "x", "phase": "after", "files": [fake]},
            follow=True,
        )
        self.assertContains(response, "内容与扩展名不符")
        self.assertFalse(problem.reports.exists())
        self.assertEqual(Problem.objects.get(pk=problem.pk).progress, 0)
        exe = SimpleUploadedFile("run.exe", b"MZ\x90\x00", content_type="application/octet-stream")
        response = self.client.post(
            f"/ledger/{problem.pk}/report/",
            {"progress": 50, "text": "x", "phase": "after", "files": [exe]},
            follow=True,
        )
        self.assertContains(response, "不支持的文件类型")

    def test_evidence_downloads_within_scope(self) -> None:
        problem = self.rectifying()
        evidence = Evidence.objects.get(problem=problem)
        self.login(self.county_admin)
        response = self.client.get(f"/ledger/evidence/{evidence.pk}/")
        self.assertEqual(response.status_code, 200)
        content = b"".join(response.streaming_content)  # type: ignore[attr-defined]
        self.assertTrue(content.startswith(PNG))
        self.assertEqual(hashlib.sha256(content).hexdigest(), evidence.sha256)
        self.assertIn("attachment", response["Content-Disposition"])

    def test_my_items_show_the_teachers_own_problem(self) -> None:
        self.assigned()
        self.login(self.teacher)
        response = self.client.get("/ledger/mine/")
        self.assertContains(response, "违规推荐教辅材料")
        self.login(self.school_admin)
        self.assertNotContains(self.client.get("/ledger/mine/"), "违规推荐教辅材料")

    def test_the_leader_sees_their_counties(self) -> None:
        self.assigned()
        self.login(self.leader)
        response = self.client.get("/ledger/liaison/")
        self.assertContains(response, "东城区教育局")
        self.assertNotContains(response, "西山县教育局")
        # A page for leaders with counties, guarded like the menu entry that leads to it.
        self.login(self.county_admin)
        self.assertEqual(self.client.get("/ledger/liaison/").status_code, 403)

    def test_bulk_assignment(self) -> None:
        drafts = [self.make_problem(title=f"问题{i}") for i in range(3)]
        self.login(self.county_admin)
        response = self.client.post(
            "/ledger/bulk-assign/", {"ids": [p.pk for p in drafts]}, follow=True
        )
        self.assertContains(response, "已交办 3 个问题")
        self.assertEqual(Problem.objects.filter(status=S.ASSIGNED).count(), 3)


class LedgerListTestCase(LedgerTestCase):
    def test_filters_and_urgency_order(self) -> None:
        late = self.assigned(title="逾期问题", deadline_workdays=None, deadline="2026-01-05")
        soon = self.assigned(title="远期问题", deadline_workdays=None, deadline="2036-01-05")
        other = self.assigned(unit=self.other_school, title="西山问题", responsible_person=None)
        from qingfeng.ledger import deadlines
        from qingfeng.ledger.tests.base import d

        deadlines.recompute_lights(d("2026-11-23"))
        self.login(self.bureau_admin)
        response = self.client.get("/ledger/")
        numbers = [p.pk for p in response.context["rows"]]
        self.assertEqual(numbers[0], late.pk)
        self.assertIn(other.pk, numbers)
        self.assertEqual(response.context["lights"]["red"], 1)
        response = self.client.get("/ledger/", {"unit": str(self.county.pk), "light": "green"})
        self.assertEqual([p.pk for p in response.context["rows"]], [soon.pk])
        response = self.client.get("/ledger/", {"q": "西山"})
        self.assertEqual([p.pk for p in response.context["rows"]], [other.pk])
        response = self.client.get(
            "/ledger/", {"deadline_from": "2030-01-01", "deadline_to": "2026-01-01"}
        )
        self.assertContains(response, "截止日期不能早于起始日期")

    def test_keyset_pages_cover_everything_once_with_fixed_queries(self) -> None:
        for i in range(65):
            self.assigned(title=f"问题{i:02d}")
        self.login(self.county_admin)
        seen: list[int] = []
        url = "/ledger/"
        pages = 0
        while url:
            response = self.client.get(url)
            seen += [p.pk for p in response.context["rows"]]
            cursor = response.context["next_cursor"]
            url = f"/ledger/?after={cursor}" if cursor else ""
            pages += 1
        self.assertEqual(pages, 3)
        self.assertEqual(len(seen), 65)
        self.assertEqual(len(set(seen)), 65)
        first = self.client.get("/ledger/")
        cursor = first.context["next_cursor"]
        # session, user, roles, the page (problems with unit, category and person in one
        # join), notifications, the user's person, categories (count + list); no session save
        with self.assertNumQueries(8):
            self.client.get(f"/ledger/?after={cursor}")
        # the rows "加载更多" fetches: session, user, roles, the page — no menu (so no count of
        # unread notifications) and no filter form (no categories, no person)
        with self.assertNumQueries(4):
            more = self.client.get(f"/ledger/?after={cursor}", headers={"HX-Request": "true"})
        self.assertNotContains(more, "<html")

    def test_page_one_counts_its_lights_from_the_kept_counts_with_fixed_queries(self) -> None:
        """Page 1 shows red/yellow/green for the whole filtered scope: with no filter, or one
        the kept counts hold, they come from ProblemTally (O(units), never a count over the
        problems), the query count does not grow with the rows, and the read writes nothing."""
        self.login(self.county_admin)
        self.assigned(title="第一个")
        self.client.get("/ledger/")  # the session and caches warm
        with CaptureQueriesContext(connection) as few:
            self.client.get("/ledger/")
        for i in range(12):
            self.assigned(title=f"问题{i:02d}")
        with CaptureQueriesContext(connection) as many:
            response = self.client.get("/ledger/?status=assigned")
        self.assertEqual(len(response.context["rows"]), 13)
        self.assertEqual(len(few), len(many))
        sql = [q["sql"] for q in many.captured_queries]
        self.assertTrue(any("ledger_problemtally" in s for s in sql))
        grouped = [s for s in sql if 'ledger_problem"' in s and "GROUP BY" in s]
        self.assertEqual(grouped, [])  # no count grouped over the problems themselves
        writes = ("INSERT", "UPDATE", "DELETE", "REPLACE")
        self.assertEqual([s for s in sql if s.lstrip().upper().startswith(writes)], [])
        # session, user, roles, the page, whether the user has items of their own (EXISTS),
        # the kept counts, the user's person, notifications, categories (count + list); no
        # session save
        with self.assertNumQueries(len(few)):
            self.client.get("/ledger/")
        self.assertEqual(len(few), 10)

    def test_the_auditor_cannot_see_the_ledger(self) -> None:
        self.login(self.auditor)
        self.assertEqual(self.client.get("/ledger/").status_code, 403)


class PublicProgressTestCase(LedgerTestCase):
    def test_only_published_redacted_cards_appear(self) -> None:
        problem = self.rectifying(description="家长李建华（13912345678）反映推荐教辅。")
        hidden = self.rectifying(title="不公开的问题")
        self.login(self.bureau_admin)
        page = self.client.get(f"/ledger/{problem.pk}/")
        self.assertContains(page, "139****5678")  # the suggested public text is pre-redacted
        self.client.post(
            f"/ledger/{problem.pk}/disclose/",
            {"public_text": "周小燕老师推荐教辅，联系 13912345678", "publish": "1"},
        )
        self.client.logout()
        index = self.client.get("/progress/")
        self.assertContains(index, "东城区实验小学")
        unit_page = self.client.get(f"/progress/{self.school.pk}/")
        self.assertContains(unit_page, "联系 ***********")
        self.assertContains(unit_page, "某某老师推荐教辅")  # a roster name, hidden whole
        self.assertNotContains(unit_page, "周小燕")
        self.assertNotContains(unit_page, "13912345678")
        self.assertNotContains(unit_page, "周小燕")
        self.assertNotContains(unit_page, hidden.title)
        self.assertNotContains(unit_page, "李建华")

    def test_disclosure_is_for_bureau_roles_only(self) -> None:
        problem = self.rectifying()
        self.login(self.county_admin)
        self.assertEqual(
            self.client.post(
                f"/ledger/{problem.pk}/disclose/", {"public_text": "x", "publish": "1"}
            ).status_code,
            404,
        )
        self.assertEqual(Problem.objects.get(pk=problem.pk).disclosure, Problem.Disclosure.PRIVATE)


class HomeOverviewTestCase(LedgerTestCase):
    def test_the_county_home_shows_lights_per_school(self) -> None:
        from qingfeng.ledger import deadlines
        from qingfeng.ledger.tests.base import d

        self.assigned(deadline_workdays=None, deadline="2026-01-05")
        self.assigned(unit=self.school2, responsible_person=None)
        self.make_problem(title="草稿不计")
        deadlines.recompute_lights(d("2026-11-23"))
        self.login(self.county_admin)
        response = self.client.get("/")
        self.assertEqual(response.context["ledger_lights"]["red"], 1)
        rows = {row["unit"].name: row for row in response.context["ledger_units"]}
        self.assertEqual(rows["东城区实验小学"]["red"], 1)
        self.assertEqual(rows["东城区实验小学"]["total"], 1)
        self.assertEqual(rows["东城区第二中学"]["total"], 1)


class RecheckPageTestCase(LedgerTestCase):
    def test_a_supervisor_fails_a_recheck_from_the_page(self) -> None:
        import time_machine

        from qingfeng.ledger.actions import rechecks
        from qingfeng.ledger.models import Recheck, Verification
        from qingfeng.ledger.tests.base import d

        with time_machine.travel("2026-11-10 10:00 +0800"):
            problem = self.awaiting_verification()
            actions.check_verify(
                problem,
                verifier=self.county_admin,
                outcome=Verification.Outcome.APPROVED,
                comment="ok",
            )
        recheck = rechecks.draw_rechecks(d("2027-01-04"), percent=10)[0]
        self.login(self.school_admin)
        response = self.client.post(
            f"/ledger/rechecks/{recheck.pk}/decide/",
            {"outcome": "failed", "comment": "x"},
            follow=True,
        )
        self.assertContains(response, "责任单位的人员不能审核本单位的销号申请")
        self.login(self.supervisor)
        page = self.client.get("/ledger/rechecks/")
        self.assertContains(page, problem.number)
        self.client.post(
            f"/ledger/rechecks/{recheck.pk}/decide/", {"outcome": "failed", "comment": "问题反弹"}
        )
        self.assertEqual(Recheck.objects.get(pk=recheck.pk).outcome, "failed")
        self.assertEqual(Problem.objects.get(pk=problem.pk).light, "red")
        self.login(self.other_school_admin)
        self.assertEqual(
            self.client.post(
                f"/ledger/rechecks/{recheck.pk}/decide/", {"outcome": "passed", "comment": "x"}
            ).status_code,
            404,
        )


class EditAndMeasuresTestCase(LedgerTestCase):
    def test_edit_a_problem(self) -> None:
        problem = self.assigned()
        self.login(self.county_admin)
        page = self.client.get(f"/ledger/{problem.pk}/edit/")
        self.assertContains(page, "修改问题")
        data = {
            "category": self.category.pk,
            "dimension": "integrity",
            "title": "违规推荐教辅材料（已核实）",
            "description": problem.description,
            "rectification_type": "time_limited",
            "deadline": "2026-12-31",
            "responsible_person": self.teacher_person.pk,
            "rules_adopted": "建立教辅征订备案制度",
        }
        # A new deadline for an assigned problem needs its reason (kept in its history).
        refused = self.client.post(f"/ledger/{problem.pk}/edit/", data)
        self.assertContains(refused, "变更整改时限须说明理由")
        data["deadline_reason"] = "核实后调整整改时限"
        response = self.client.post(f"/ledger/{problem.pk}/edit/", data, follow=True)
        self.assertContains(response, "已保存修改")
        problem.refresh_from_db()
        self.assertEqual(problem.deadline_changes.get().reason, "核实后调整整改时限")
        self.assertEqual(problem.title, "违规推荐教辅材料（已核实）")
        self.assertEqual(problem.rules_adopted, "建立教辅征订备案制度")
        self.login(self.teacher)
        self.assertEqual(self.client.get(f"/ledger/{problem.pk}/edit/").status_code, 404)

    def test_measures_are_marked_done_with_a_report(self) -> None:
        problem = actions.do_accept(self.assigned(), actor=self.teacher)
        first, second = problem.measures.all()
        self.login(self.teacher)
        self.client.post(
            f"/ledger/{problem.pk}/report/",
            {
                "progress": 50,
                "text": "退费完成",
                "phase": "after",
                "measures_done": [first.pk],
                "files": [png()],
            },
        )
        first.refresh_from_db()
        second.refresh_from_db()
        self.assertEqual((first.status, second.status), ("done", "doing"))


class VerifyFormVisibilityTestCase(LedgerTestCase):
    def test_the_responsible_unit_is_not_offered_the_verification_form(self) -> None:
        problem = self.awaiting_verification()
        self.login(self.school_admin)
        self.assertNotContains(self.client.get(f"/ledger/{problem.pk}/"), "提交审核")
        self.login(self.county_admin)
        self.assertContains(self.client.get(f"/ledger/{problem.pk}/"), "提交审核")

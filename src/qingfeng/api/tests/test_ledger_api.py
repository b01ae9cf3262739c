from __future__ import annotations

from datetime import date
from typing import Any

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.test.client import Client

from qingfeng.ledger import actions
from qingfeng.ledger.models import Category, Evidence, Feedback, Problem, ProgressReport
from qingfeng.ledger.tests.base import LedgerTestCase, png
from qingfeng.orgs import actions as org_actions
from qingfeng.orgs.models import Person, User

S = Problem.Status
BASE = "/api/ledger"
MONDAY = "2026-11-02 09:00 +0800"


@override_settings(
    STORAGES={
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
)
class LedgerApiTestCase(LedgerTestCase):
    def as_user(self, user: User) -> Client:
        return self.login(user, Client())

    def post(self, user: User, url: str, data: dict[str, Any] | None = None) -> Any:
        return self.as_user(user).post(BASE + url, data or {}, content_type="application/json")

    def get(self, user: User, url: str) -> Any:
        return self.as_user(user).get(BASE + url)

    def ids(self, user: User, query: str = "") -> list[int]:
        response = self.get(user, f"/problems?limit=200&{query}")
        self.assertEqual(response.status_code, 200, response.content)
        return [item["id"] for item in response.json()["items"]]


class SchemaTestCase(LedgerApiTestCase):
    def test_the_schema_lists_the_endpoints(self) -> None:
        paths = self.client.get("/api/openapi.json").json()["paths"]
        for path, method in (
            ("/problems", "get"),
            ("/problems", "post"),
            ("/problems/{problem_id}", "get"),
            ("/mine", "get"),
            ("/problems/{problem_id}/assign", "post"),
            ("/problems/{problem_id}/accept", "post"),
            ("/problems/{problem_id}/report", "post"),
            ("/problems/{problem_id}/request-closure", "post"),
            ("/problems/{problem_id}/verify", "post"),
            ("/problems/{problem_id}/withdraw", "post"),
            ("/problems/{problem_id}/feedback", "post"),
        ):
            with self.subTest(path=path, method=method):
                operation = paths["/api/ledger" + path][method]
                self.assertRegex(operation["summary"], r"[\u4e00-\u9fff]")
                self.assertTrue(operation["security"])
        report = paths["/api/ledger/problems/{problem_id}/report"]["post"]["requestBody"]
        self.assertEqual(set(report["content"]), {"application/json", "multipart/form-data"})

    def test_it_needs_authentication(self) -> None:
        self.assertEqual(self.client.get(f"{BASE}/problems").status_code, 401)
        self.assertEqual(self.client.get(f"{BASE}/mine").status_code, 401)

    def test_the_auditor_cannot_read_the_ledger(self) -> None:
        self.make_problem()
        response = self.get(self.auditor, "/problems")
        self.assertEqual(response.status_code, 403)
        self.assertEqual(response.json()["detail"], "无权查看问题台账")

    def test_a_bearer_token_authenticates(self) -> None:
        problem = self.make_problem()
        token = org_actions.do_create_api_token(self.county_admin, name="对接")
        auth = {"authorization": f"Bearer {token}"}
        listed = self.client.get(f"{BASE}/problems", headers=auth)
        self.assertEqual([p["id"] for p in listed.json()["items"]], [problem.pk])
        # No body at all: the requirement notice is then written from the deadline.
        response = self.client.generic(
            "POST", f"{BASE}/problems/{problem.pk}/assign", b"", headers=auth
        )
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(response.json()["status"], S.ASSIGNED)
        self.assertEqual(response.json()["timeline"][-1]["actor_name"], "钱晓红")
        self.assertEqual(response.json()["feedback"][0]["kind"], "requirement")


class ListTestCase(LedgerApiTestCase):
    def make(self, title: str, *, assign: bool = True, **fields: Any) -> Problem:
        fields.setdefault("deadline_workdays", None)
        problem = self.make_problem(title=title, **fields)
        if assign:
            actions.check_assign(problem, actor=self.county_admin)
        return problem

    def test_it_is_in_urgency_order_across_pages(self) -> None:
        with time_machine.travel(MONDAY):
            made = [
                self.make("绿灯远", deadline=date(2026, 12, 30)),
                self.make("无灯草稿", assign=False, deadline=date(2026, 11, 3)),
                self.make("红灯近", deadline=date(2026, 10, 30)),
                self.make("黄灯", deadline=date(2026, 11, 4)),
                self.make("红灯远", deadline=date(2026, 10, 20)),
                self.make("绿灯近", deadline=date(2026, 11, 30)),
                self.make("红灯同日", deadline=date(2026, 10, 30)),
                self.make("无灯长期", assign=False, rectification_type="long_term"),
            ]
        self.assertEqual(
            [p.light for p in made], ["green", "", "red", "yellow", "red", "green", "red", ""]
        )
        titles, cursor, pages = [], "", 0
        while True:
            body = self.get(self.county_admin, f"/problems?limit=3&cursor={cursor}").json()
            titles += [item["title"] for item in body["items"]]
            pages += 1
            if body["next_cursor"] is None:
                break
            cursor = body["next_cursor"]
        self.assertEqual(pages, 3)
        self.assertEqual(
            titles,
            ["红灯远", "红灯近", "红灯同日", "黄灯", "绿灯近", "绿灯远", "无灯草稿", "无灯长期"],
        )

    def test_the_filters(self) -> None:
        other_category = Category.objects.exclude(pk=self.category.pk).first()
        assert other_category is not None
        school2_person = Person.objects.create(
            name="陈二中", unit=self.school2, post_type=Person.PostType.CIVIL
        )
        with time_machine.travel(MONDAY):
            base = self.make("违规推荐教辅", deadline=date(2026, 11, 30))
            red = self.make("超标接待", deadline=date(2026, 10, 30), source="hotline")
            draft = self.make(
                "职称评审",
                assign=False,
                deadline=date(2026, 12, 10),
                list_kind="department_risk",
                category=other_category,
            )
            other = self.make(
                "乱收费",
                unit=self.school2,
                responsible_person=school2_person,
                deadline=date(2026, 11, 20),
            )
            withdrawn = self.make("重复登记", deadline=date(2026, 11, 30))
            actions.check_withdraw(withdrawn, actor=self.bureau_admin, reason="重复")
        admin = self.county_admin
        self.assertEqual(set(self.ids(admin)), {base.pk, red.pk, draft.pk, other.pk})
        self.assertEqual(self.ids(admin, f"unit={self.school2.pk}"), [other.pk])
        self.assertEqual(self.ids(admin, "list_kind=department_risk"), [draft.pk])
        self.assertEqual(self.ids(admin, "source=hotline"), [red.pk])
        self.assertEqual(self.ids(admin, f"category={other_category.pk}"), [draft.pk])
        self.assertEqual(self.ids(admin, "status=draft"), [draft.pk])
        self.assertEqual(self.ids(admin, "status=withdrawn"), [withdrawn.pk])
        self.assertEqual(self.ids(admin, "light=red"), [red.pk])
        self.assertEqual(
            self.ids(admin, "deadline_from=2026-11-20&deadline_to=2026-11-30"),
            [other.pk, base.pk],
        )
        self.assertEqual(self.ids(admin, "responsible=陈二"), [other.pk])
        self.assertEqual(self.ids(admin, "q=接待"), [red.pk])
        self.assertEqual(self.ids(admin, f"q={base.number}"), [base.pk])
        self.assertEqual(self.ids(admin, "light=red&source=hotline&list_kind=personal"), [red.pk])

    def test_bad_filters_are_clear_errors(self) -> None:
        response = self.get(
            self.county_admin, "/problems?deadline_from=2026-12-01&deadline_to=2026-11-01"
        )
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json()["detail"], "截止日期不能早于起始日期")
        response = self.get(self.county_admin, "/problems?cursor=garbage")
        self.assertEqual(response.status_code, 400)
        self.assertIn("分页游标无效", response.json()["detail"])
        self.assertEqual(self.get(self.county_admin, "/problems?limit=201").status_code, 422)
        self.assertEqual(self.get(self.county_admin, "/problems?limit=200").status_code, 200)
        response = self.get(self.county_admin, f"/problems?unit={self.other_school.pk}")
        self.assertEqual(response.status_code, 404)

    def test_it_is_scoped(self) -> None:
        mine = self.make_problem()
        theirs = self.make_problem(unit=self.other_school, responsible_person=None)
        self.assertEqual(self.ids(self.other_school_admin), [theirs.pk])
        self.assertEqual(self.ids(self.school_admin), [mine.pk])
        self.assertEqual(set(self.ids(self.bureau_admin)), {mine.pk, theirs.pk})

    def test_the_query_count_does_not_grow_with_the_page(self) -> None:
        for i in range(40):
            self.make_problem(title=f"问题{i}")
        token = org_actions.do_create_api_token(self.county_admin, name="对接")
        auth = {"authorization": f"Bearer {token}"}
        self.client.get(f"{BASE}/problems", headers=auth)  # stamps the token as used
        page = f"{BASE}/problems?list_kind=personal&source=self_check&q=问题&light="
        for size in (20, 40):
            # the token with its user, the user's roles, the page
            with self.subTest(size=size), self.assertNumQueries(3):
                response = self.client.get(f"{page}&limit={size}", headers=auth)
            self.assertEqual(len(response.json()["items"]), size)
        cursor = self.client.get(f"{page}&limit=20", headers=auth).json()["next_cursor"]
        with self.assertNumQueries(3):  # and the same deeper in
            response = self.client.get(f"{page}&limit=20&cursor={cursor}", headers=auth)
        self.assertEqual(len(response.json()["items"]), 20)
        self.assertIsNone(response.json()["next_cursor"])


class DetailTestCase(LedgerApiTestCase):
    def test_it_has_the_whole_story(self) -> None:
        problem = self.awaiting_verification(source=Problem.Source.HOTLINE)
        problem.cooperating_units.set([self.school2])
        self.post(
            self.county_admin,
            f"/problems/{problem.pk}/feedback",
            {"kind": "reporter_answer", "text": "已电话答复"},
        )
        actions.check_verify(
            problem, verifier=self.county_admin, outcome="returned", comment="佐证不足"
        )
        body = self.get(self.county_admin, f"/problems/{problem.pk}").json()
        self.assertEqual(body["status"], S.RECTIFYING)
        self.assertEqual(body["status_label"], "整改中")
        self.assertEqual([m["text"] for m in body["measures"]], ["退回费用", "书面检查"])
        self.assertEqual(
            body["cooperating_units"], [{"id": self.school2.pk, "name": "东城区第二中学"}]
        )
        self.assertEqual(
            [(t["action_label"], t["actor_name"]) for t in body["timeline"]],
            [
                ("登记", "钱晓红"),
                ("交办", "钱晓红"),
                ("签收", "周小燕"),
                ("开始整改", "周小燕"),
                ("申请销号", "周小燕"),
                ("退回重改", "钱晓红"),
            ],
        )
        self.assertEqual(body["timeline"][-1]["reason"], "佐证不足")
        self.assertEqual(body["reports"][0]["progress"], 60)
        self.assertEqual(body["reports"][0]["reporter_name"], "周小燕")
        evidence = body["evidence"][0]
        stored = Evidence.objects.get(problem=problem)
        self.assertEqual(evidence["download_url"], f"/ledger/evidence/{stored.pk}/")
        self.assertEqual(evidence["original_name"], "after.png")
        self.assertEqual(evidence["report_id"], body["reports"][0]["id"])
        self.assertNotIn("file", evidence)
        self.assertEqual(body["verifications"][0]["outcome_label"], "退回重改")
        self.assertEqual([f["kind"] for f in body["feedback"]], ["requirement", "reporter_answer"])
        self.assertEqual(body["feedback"][0]["recipient_name"], "周小燕")
        # A problem from the public: the unit may also record its offline publication.
        self.assertEqual(
            body["allowed_actions"], ["report", "request_closure", "feedback", "publish_offline"]
        )

    def test_the_responsible_teacher_sees_their_item_outside_a_unit_admin_scope(self) -> None:
        # Registered at the county, with the teacher of a school below it as the responsible
        # person: the school's admin does not see it, the teacher (staff of the school) does.
        problem = self.assigned(unit=self.county)
        self.assertEqual(self.get(self.school_admin, f"/problems/{problem.pk}").status_code, 404)
        self.assertNotIn(problem.pk, self.ids(self.school_admin))
        body = self.get(self.teacher, f"/problems/{problem.pk}").json()
        self.assertEqual(body["unit_name"], "东城区教育局")
        self.assertEqual(body["allowed_actions"], ["accept", "feedback"])
        self.assertIn(problem.pk, self.ids(self.teacher))
        mine = self.get(self.teacher, "/mine").json()
        self.assertEqual([p["id"] for p in mine["items"]], [problem.pk])
        response = self.post(self.teacher, f"/problems/{problem.pk}/accept")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["status"], S.ACCEPTED)

    def test_my_items_leave_out_drafts_and_page_in_urgency_order(self) -> None:
        self.make_problem(title="草稿")
        with time_machine.travel(MONDAY):
            late = self.assigned(deadline_workdays=None, deadline=date(2026, 10, 30))
            later = self.assigned(deadline_workdays=None, deadline=date(2026, 12, 30))
            soon = self.assigned(deadline_workdays=None, deadline=date(2026, 11, 30))
        first = self.get(self.teacher, "/mine?limit=2").json()
        self.assertEqual([p["id"] for p in first["items"]], [late.pk, soon.pk])
        rest = self.get(self.teacher, f"/mine?limit=2&cursor={first['next_cursor']}").json()
        self.assertEqual([p["id"] for p in rest["items"]], [later.pk])
        self.assertIsNone(rest["next_cursor"])
        self.assertEqual(self.get(self.school_admin, "/mine").json()["items"], [])


class OtherSchoolTestCase(LedgerApiTestCase):
    def test_a_problem_outside_the_scope_is_not_found(self) -> None:
        # Every route with a problem's id answers another school's id as a missing one (the
        # URL-policy test); the answer says so.
        problem = self.assigned()
        outside = self.get(self.other_school_admin, f"/problems/{problem.pk}")
        self.assertEqual((outside.status_code, outside.json()), (404, {"detail": "问题不存在"}))


class TransitionsTestCase(LedgerApiTestCase):
    def test_the_whole_way_through_the_api(self) -> None:
        response = self.post(
            self.county_admin,
            "/problems",
            {
                "list_kind": "personal",
                "source": "self_check",
                "category_id": self.category.pk,
                "dimension": "integrity",
                "title": "违规推荐教辅材料",
                "description": "三年级推荐学生购买指定教辅。",
                "measures": ["退回费用", " ", "书面检查"],
                "unit_id": self.school.pk,
                "cooperating_unit_ids": [self.school2.pk],
                "responsible_person_id": self.teacher_person.pk,
                "rectification_type": "time_limited",
                "deadline_workdays": 10,
            },
        )
        self.assertEqual(response.status_code, 201, response.content)
        created = response.json()
        pk = created["id"]
        self.assertEqual(created["status"], S.DRAFT)
        self.assertEqual([m["text"] for m in created["measures"]], ["退回费用", "书面检查"])
        self.assertEqual(created["created_at"][:4], created["number"][:4])
        with time_machine.travel(MONDAY):
            assigned = self.post(
                self.county_admin, f"/problems/{pk}/assign", {"requirement": "十日内整改"}
            )
        self.assertEqual(assigned.json()["deadline"], "2026-11-16")
        self.assertEqual(assigned.json()["feedback"][0]["text"], "十日内整改")
        self.assertEqual(self.post(self.teacher, f"/problems/{pk}/accept").status_code, 200)
        report = self.as_user(self.teacher).post(
            f"{BASE}/problems/{pk}/report",
            {
                "progress": "60",
                "text": "已退回大部分费用",
                "phase": "after",
                "files": [png(), png("b.png")],
                "measures_done": [created["measures"][0]["id"]],
            },
        )
        self.assertEqual(report.status_code, 200, report.content)
        self.assertEqual(report.json()["status"], S.RECTIFYING)
        self.assertEqual([e["phase"] for e in report.json()["evidence"]], ["after", "after"])
        self.assertEqual([m["status"] for m in report.json()["measures"]], ["done", "doing"])
        refused = self.post(self.teacher, f"/problems/{pk}/request-closure", {"text": "已全部退回"})
        self.assertEqual(refused.status_code, 400)
        self.assertIn("尚有 1 项整改措施未完成", refused.json()["detail"])
        last = {"progress": 90, "text": "已作检查", "measures_done": [created["measures"][1]["id"]]}
        self.assertEqual(self.post(self.teacher, f"/problems/{pk}/report", last).status_code, 200)
        closure = self.post(self.teacher, f"/problems/{pk}/request-closure", {"text": "已全部退回"})
        self.assertEqual(closure.json()["status"], S.CLOSURE_REQUESTED)
        self.assertEqual(closure.json()["progress"], 100)
        verified = self.post(
            self.county_admin,
            f"/problems/{pk}/verify",
            {"outcome": "approved", "comment": "核实无误"},
        )
        self.assertEqual(verified.status_code, 200, verified.content)
        self.assertEqual(verified.json()["status"], S.CLOSED)
        self.assertEqual(verified.json()["allowed_actions"], ["feedback"])

    def test_a_progress_report_as_json(self) -> None:
        problem = actions.do_accept(self.assigned(), actor=self.teacher)
        response = self.post(
            self.teacher, f"/problems/{problem.pk}/report", {"progress": 30, "text": "推进中"}
        )
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(response.json()["progress"], 30)
        bad = self.post(
            self.teacher, f"/problems/{problem.pk}/report", {"progress": 130, "text": "x"}
        )
        self.assertEqual(bad.status_code, 422)
        self.assertEqual(bad.json()["errors"][0]["field"], "progress")
        self.assertIn("超出允许的最大值", bad.json()["detail"])
        self.assertEqual(ProgressReport.objects.filter(problem=problem).count(), 1)

    def test_a_file_that_is_not_what_it_claims_is_refused(self) -> None:
        problem = actions.do_accept(self.assigned(), actor=self.teacher)
        fake = SimpleUploadedFile(
            "scan.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf"
        )
        response = self.as_user(self.teacher).post(
            f"{BASE}/problems/{problem.pk}/report",
            {"progress": 50, "text": "附件", "files": [fake]},
        )
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json()["detail"], "文件 scan.pdf 的内容与扩展名不符")
        self.assertFalse(ProgressReport.objects.filter(problem=problem).exists())
        self.assertEqual(Problem.objects.get(pk=problem.pk).status, S.ACCEPTED)

    def test_an_illegal_transition_is_a_409_with_the_reason(self) -> None:
        problem = self.make_problem()
        response = self.post(self.teacher, f"/problems/{problem.pk}/accept")
        self.assertEqual(response.status_code, 409)
        self.assertEqual(response.json()["detail"], "问题当前状态为“草稿”，不能执行“签收”")
        problem = self.assigned()
        response = self.post(
            self.teacher, f"/problems/{problem.pk}/report", {"progress": 10, "text": "x"}
        )
        self.assertEqual(response.status_code, 409)
        self.assertIn("不能执行“开始整改”", response.json()["detail"])
        withdrawn = self.post(
            self.bureau_admin, f"/problems/{problem.pk}/withdraw", {"reason": "重复"}
        )
        self.assertEqual(withdrawn.json()["status"], S.WITHDRAWN)
        again = self.post(self.bureau_admin, f"/problems/{problem.pk}/withdraw", {"reason": "重复"})
        self.assertEqual(again.status_code, 409)
        self.assertEqual(again.json()["detail"], "问题当前状态为“已撤回”，不能执行“撤回”")

    def test_closure_out_of_turn_is_an_illegal_transition(self) -> None:
        # Not "upload the evidence first": the item has not even been accepted.
        problem = self.assigned()
        response = self.post(self.teacher, f"/problems/{problem.pk}/request-closure", {"text": "x"})
        self.assertEqual(response.status_code, 409)
        self.assertEqual(response.json()["detail"], "问题当前状态为“已交办”，不能执行“申请销号”")
        public = self.rectifying(source=Problem.Source.HOTLINE)
        response = self.post(
            self.county_admin,
            f"/problems/{public.pk}/verify",
            {"outcome": "approved", "comment": "x"},
        )
        self.assertEqual(response.status_code, 409)
        self.assertEqual(response.json()["detail"], "问题当前状态为“整改中”，不能执行“销号”")

    def test_the_policy_is_a_403_with_the_action(self) -> None:
        problem = self.assigned()
        response = self.post(self.school_admin, f"/problems/{problem.pk}/withdraw", {"reason": "x"})
        self.assertEqual(response.status_code, 403)
        self.assertEqual(response.json()["detail"], "无权执行“撤回”")
        response = self.post(self.teacher, f"/problems/{problem.pk}/assign")
        self.assertEqual(response.status_code, 403)
        self.assertEqual(response.json()["detail"], "无权执行“交办”")
        response = self.post(self.bureau_admin, f"/problems/{problem.pk}/withdraw", {"reason": " "})
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json()["detail"], "撤回须填写原因")

    def test_separation_of_duties(self) -> None:
        problem = self.awaiting_verification()
        approve = {"outcome": "approved", "comment": "同意"}
        response = self.post(self.teacher, f"/problems/{problem.pk}/verify", approve)
        self.assertEqual(response.status_code, 403)
        self.assertEqual(response.json()["detail"], "无权执行“销号审核”")
        response = self.post(self.school_admin, f"/problems/{problem.pk}/verify", approve)
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json()["detail"], "责任单位的人员不能审核本单位的销号申请")
        self.assertEqual(Problem.objects.get(pk=problem.pk).status, S.CLOSURE_REQUESTED)
        response = self.post(self.county_admin, f"/problems/{problem.pk}/verify", approve)
        self.assertEqual(response.json()["status"], S.CLOSED)

    def test_the_feedback_gate(self) -> None:
        problem = self.awaiting_verification(source=Problem.Source.CHANNEL, source_ref="T1")
        approve = {"outcome": "approved", "comment": "同意"}
        response = self.post(self.county_admin, f"/problems/{problem.pk}/verify", approve)
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json()["detail"], "来自群众反映的问题，须先答复反映人才能销号")
        for kind, text in (
            ("reporter_answer", "已答复"),
            ("public_progress", "已整改，电话 13812345678"),
        ):
            response = self.post(
                self.county_admin, f"/problems/{problem.pk}/feedback", {"kind": kind, "text": text}
            )
            self.assertEqual(response.status_code, 200)
        self.assertIn("***********", response.json()["feedback"][-1]["text"])
        self.assertNotIn("5678", response.json()["feedback"][-1]["text"])
        # A typed note is no publication: the bureau publishes on /progress/.
        response = self.post(self.county_admin, f"/problems/{problem.pk}/verify", approve)
        self.assertEqual(response.status_code, 400)
        self.assertEqual(
            response.json()["detail"],
            "来自群众反映的问题，须先在“整改进度公开”页面公开整改进度"
            "（或登记线下公开并经局审核认可）才能销号",
        )
        actions.check_set_disclosure(
            problem, actor=self.bureau_admin, public_text="已整改", publish=True
        )
        response = self.post(self.county_admin, f"/problems/{problem.pk}/verify", approve)
        self.assertEqual(response.json()["status"], S.CLOSED)
        self.assertEqual(
            Feedback.objects.filter(problem=problem, kind="public_progress").count(), 2
        )

    def test_an_offline_publication_recorded_and_approved_opens_the_gate(self) -> None:
        problem = self.awaiting_verification(source=Problem.Source.HOTLINE, source_ref="R7")
        actions.check_add_feedback(
            problem, actor=self.teacher, kind=Feedback.Kind.REPORTER_ANSWER, text="已答复欧阳女士"
        )
        url = f"{BASE}/problems/{problem.pk}/offline-publications"
        fields = {"channel": "school_affairs", "published_on": "2026-12-01", "summary": "已公开"}
        # JSON carries no file: refused with the reason, nothing recorded.
        refused = self.post(self.school_admin, url.removeprefix(BASE), fields)
        self.assertEqual(refused.status_code, 400)
        self.assertEqual(refused.json()["detail"], "请上传一个佐证文件（公示照片、会议记录等）")
        with time_machine.travel("2026-12-03 10:00 +0800"):
            recorded = self.as_user(self.school_admin).post(
                url, {**fields, "files": [png("校务公开栏.png")]}
            )
        self.assertEqual(recorded.status_code, 200, recorded.content)
        (publication,) = recorded.json()["offline_publications"]
        self.assertEqual(
            (publication["status"], publication["channel_label"], publication["original_name"]),
            ("pending", "校务公开", "校务公开栏.png"),
        )
        self.assertEqual(publication["download_url"], f"/ledger/publications/{publication['id']}/")
        decision = f"/problems/{problem.pk}/offline-publications/{publication['id']}/decision"
        # The school does not approve its own; the bureau does.
        response = self.post(self.school_admin, decision, {"approve": True})
        self.assertEqual(response.status_code, 403)
        self.assertEqual(response.json()["detail"], "无权执行“审核线下公开”")
        response = self.post(self.bureau_admin, decision, {"approve": True, "comment": "可以"})
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(response.json()["offline_publications"][0]["decided_by_name"], "赵建国")
        response = self.post(self.bureau_admin, decision, {"approve": False, "comment": "再看"})
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json()["detail"], "该线下公开已审核过")
        approve = {"outcome": "approved", "comment": "同意"}
        response = self.post(self.county_admin, f"/problems/{problem.pk}/verify", approve)
        self.assertEqual(response.json()["status"], S.CLOSED)
        missing = self.post(
            self.bureau_admin,
            f"/problems/{problem.pk}/offline-publications/{publication['id'] + 99}/decision",
            {"approve": True},
        )
        self.assertEqual(missing.status_code, 404)

    def test_an_unknown_outcome_is_refused_by_the_schema(self) -> None:
        problem = self.awaiting_verification()
        response = self.post(
            self.county_admin, f"/problems/{problem.pk}/verify", {"outcome": "ok", "comment": "x"}
        )
        self.assertEqual(response.status_code, 422)


class RegisterTestCase(LedgerApiTestCase):
    def payload(self, **overrides: Any) -> dict[str, Any]:
        data: dict[str, Any] = {
            "list_kind": "personal",
            "source": "inspection",
            "category_id": self.category.pk,
            "title": "公车私用",
            "description": "周末驾驶公车外出。",
            "measures": ["书面检查"],
            "unit_id": self.school.pk,
            "responsible_person_id": self.teacher_person.pk,
            "rectification_type": "time_limited",
            "deadline": "2026-12-31",
        }
        data.update(overrides)
        return data

    def test_only_registrars_register_and_only_in_their_scope(self) -> None:
        response = self.post(self.teacher, "/problems", self.payload())
        self.assertEqual(response.status_code, 403)
        self.assertEqual(response.json()["detail"], "无权执行“登记问题”")
        response = self.post(
            self.school_admin, "/problems", self.payload(unit_id=self.other_school.pk)
        )
        self.assertEqual(response.status_code, 404)
        self.assertEqual(response.json()["detail"], "单位不存在")
        response = self.post(self.school_admin, "/problems", self.payload())
        self.assertEqual(response.status_code, 201, response.content)
        self.assertEqual(response.json()["unit_name"], "东城区实验小学")
        self.assertEqual(response.json()["deadline"], "2026-12-31")

    def test_bad_references_and_fields_are_400s(self) -> None:
        other_person = Person.objects.get(user=self.other_school_admin)
        cases = [
            (
                self.payload(responsible_person_id=other_person.pk),
                "责任人须是责任单位或其上级单位的在岗人员",
            ),
            (
                self.payload(responsible_leader_id=999999),
                "责任领导须是责任单位或其上级单位的在岗人员",
            ),
            (self.payload(category_id=999999), "问题类别不存在或已停用"),
            (self.payload(deadline_workdays=5), "整改时限请填日期或工作日数，二选一"),
            (self.payload(deadline=None), "请填写整改时限（日期或工作日天数）"),
            (self.payload(measures=[" "]), "请填写整改措施"),
            (
                self.payload(cooperating_unit_ids=[self.other_school.pk]),
                "配合单位不存在或不在本人管辖范围内",
            ),
            (self.payload(parent_id=999999), "上级问题不存在或不能挂接问题"),
            (self.payload(title="长" * 201), "问题概述："),
        ]
        for payload, message in cases:
            with self.subTest(message=message):
                response = self.post(self.county_admin, "/problems", payload)
                self.assertEqual(response.status_code, 400, response.content)
                self.assertIn(message, response.json()["detail"])
        self.assertFalse(Problem.objects.exists())

    def test_a_county_leader_can_be_named_for_a_school_problem(self) -> None:
        leader = Person.objects.get(user=self.county_admin)
        parent = self.make_problem(
            list_kind="leadership", unit=self.county, responsible_person=None
        )
        response = self.post(
            self.county_admin,
            "/problems",
            self.payload(responsible_leader_id=leader.pk, parent_id=parent.pk),
        )
        self.assertEqual(response.status_code, 201, response.content)
        self.assertEqual(response.json()["responsible_leader"], {"id": leader.pk, "name": "钱晓红"})
        self.assertEqual(response.json()["parent_id"], parent.pk)

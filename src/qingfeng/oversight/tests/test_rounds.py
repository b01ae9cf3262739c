from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from qingfeng.core.tests.machine import FILES_IN_MEMORY
from qingfeng.ledger import actions as ledger_actions
from qingfeng.ledger.models import Evidence, Problem, Recheck, Verification
from qingfeng.ledger.tests.base import PNG
from qingfeng.orgs import actions as org_actions
from qingfeng.orgs.models import Person
from qingfeng.oversight import actions, drawing
from qingfeng.oversight.actions.rounds import add_months, round_units
from qingfeng.oversight.models import Conflict, Draw, Round, RoundFinding
from qingfeng.oversight.tests.base import OversightCase
from qingfeng.oversight.tests.test_sealed import text_of


@override_settings(STORAGES=FILES_IN_MEMORY)
class RoundTestCase(OversightCase):
    def close_through_the_ledger(self, problem: Problem) -> None:
        """The school rectifies with evidence, the bureau verifies: 销号."""
        ledger_actions.do_accept(problem, actor=self.school_admin)
        evidence = SimpleUploadedFile("after.png", PNG, content_type="image/png")
        ledger_actions.check_report_progress(
            problem,
            actor=self.school_admin,
            progress=100,
            text="已整改",
            files=[(evidence, Evidence.Phase.AFTER)],
        )
        ledger_actions.check_request_closure(problem, actor=self.school_admin, text="已完成")
        ledger_actions.check_verify(
            problem,
            verifier=self.bureau_admin,
            outcome=Verification.Outcome.APPROVED,
            comment="核实",
        )

    def test_a_round_needs_a_real_period_targets_and_notice(self) -> None:
        today = timezone.localdate()
        cases: dict[str, dict[str, Any]] = {
            "结束日期不能早于": {"ends_on": today - timedelta(days=1)},
            "不超过 180 天": {"ends_on": today + timedelta(days=200)},
            "定点巡察单位": {"targets": []},
            "值班电话": {"duty_phone": " "},
        }
        for message, fields in cases.items():
            with self.subTest(message), self.assertRaisesMessage(ValidationError, message):
                self.make_round(**fields)
        self.assertFalse(Round.objects.exists())

    def test_the_team_is_five_to_eight_and_recused_people_are_refused(self) -> None:
        round_ = self.make_round()
        with self.assertRaisesMessage(ValidationError, "5 至 8 人"):
            actions.check_set_team(
                round_,
                actor=self.office_user,
                leader=self.supervisor,
                deputies=[self.member],
                members=[self.member2],
            )
        with self.assertRaisesMessage(ValidationError, "须回避定点巡察单位：东方明"):
            actions.check_set_team(
                round_,
                actor=self.office_user,
                leader=self.supervisor,
                deputies=[self.member],
                members=[self.county_supervisor, *self.inspectors],
            )
        with self.assertRaisesMessage(ValidationError, "巡察或督导角色"):
            actions.check_set_team(
                round_,
                actor=self.office_user,
                leader=self.supervisor,
                deputies=[self.member],
                members=[self.teacher, *self.inspectors],
            )
        self.assertFalse(round_.members.exists())

    def test_stationing_needs_every_declaration(self) -> None:
        round_ = self.make_round()
        actions.check_set_team(
            round_,
            actor=self.office_user,
            leader=self.supervisor,
            deputies=[self.member],
            members=[self.member2, *self.inspectors],
        )
        actions.check_sign_declaration(
            round_, user=self.supervisor, text="无", conflicts=[self.school2]
        )
        with self.assertRaisesMessage(ValidationError, "尚未签署回避声明"):
            actions.check_advance_round(round_, actor=self.office_user)
        round_.refresh_from_db()
        self.assertEqual(round_.status, Round.Status.PREPARING)
        self.assertTrue(Conflict.objects.filter(person=self.supervisor, unit=self.school2).exists())

    def test_a_unit_sees_only_its_own_requests_and_never_the_interviews(self) -> None:
        round_ = self.staffed_round()
        due = timezone.localdate() + timedelta(days=3)
        mine = actions.check_request_documents(
            round_, actor=self.member, unit=self.school, what="2025年以来公务接待台账", due_on=due
        )
        actions.check_request_documents(
            round_, actor=self.member, unit=self.school2, what="教辅征订合同", due_on=due
        )
        actions.check_schedule_interview(
            round_,
            actor=self.member,
            person="总务主任",
            scheduled_at=timezone.now(),
            notes="反映食堂采购由校长亲属供货",
        )
        with self.assertRaisesMessage(ValidationError, "巡察组成员"):
            actions.check_request_documents(
                round_, actor=self.school_admin, unit=self.school, what="x", due_on=due
            )
        client = self.login(self.school_admin, Client())
        page = client.get(reverse("oversight:round", args=[round_.pk]))
        self.assertContains(page, "公务接待台账")
        self.assertNotContains(page, "教辅征订合同")
        self.assertNotContains(page, "校长亲属")
        client.post(
            reverse("oversight:request_answer", args=[round_.pk, mine.pk]),
            {"response": "已提供台账复印件 12 页"},
        )
        mine.refresh_from_db()
        self.assertEqual(mine.status, "answered")
        other = round_.requests.get(unit=self.school2)
        response = client.post(
            reverse("oversight:request_answer", args=[round_.pk, other.pk]), {"response": "x"}
        )
        self.assertEqual(response.status_code, 404)
        self.assertContains(
            self.login(self.member, Client()).get(reverse("oversight:round", args=[round_.pk])),
            "校长亲属",
        )

    def test_self_checks_are_immediate_fixes_in_the_ledger(self) -> None:
        round_ = self.staffed_round()
        actions.check_add_reception_member(
            round_,
            actor=self.school_admin,
            unit=self.school,
            name="孙立平",
            position="校长",
            role="leader",
        )
        with self.assertRaisesMessage(ValidationError, "已有组长"):
            actions.check_add_reception_member(
                round_,
                actor=self.school_admin,
                unit=self.school,
                name="周小燕",
                position="",
                role="leader",
            )
        finding = actions.check_self_check(
            round_,
            actor=self.school_admin,
            unit=self.school,
            text="教师上课带手机",
            fix_note="当天收回，纳入考勤",
        )
        assert finding.problem is not None
        self.assertEqual(finding.problem.rectification_type, Problem.RectificationType.IMMEDIATE)
        self.assertEqual(finding.problem.source, Problem.Source.SELF_CHECK)
        with self.assertRaisesMessage(ValidationError, "本单位"):
            actions.check_self_check(
                round_, actor=self.other_school_admin, unit=self.school, text="x", fix_note="y"
            )

    def test_a_drawn_check_list_adds_its_units_to_the_round(self) -> None:
        round_ = self.make_round(targets=[self.county, self.school])
        purpose = {"inspectors_per_target": 0, "counties": [self.other_county.pk]}
        draw = self.commit_draw(purpose=Draw.Purpose.ROUND, count=1, **purpose)
        with self.assertRaisesMessage(ValidationError, "只有本轮巡察的单位"):
            actions.check_self_check(
                round_,
                actor=self.other_school_admin,
                unit=self.other_school,
                text="x",
                fix_note="y",
            )
        for wrong in (draw, self.run_draw(self.commit_draw(count=1, **purpose))):
            with (
                self.subTest(wrong.purpose),
                self.assertRaisesMessage(ValidationError, "巡察随机抽查"),
            ):
                actions.check_link_draw(
                    round_, actor=self.office_user, draw=wrong
                )  # not drawn; not a round's
        self.run_draw(draw)
        draw.refresh_from_db()
        with self.assertRaises(ValidationError):
            actions.check_link_draw(round_, actor=self.school_admin, draw=draw)
        round_.refresh_from_db()
        self.assertIsNone(round_.draw_id)
        actions.check_link_draw(round_, actor=self.office_user, draw=draw)
        round_.refresh_from_db()
        self.assertEqual(round_.draw, draw)
        self.assertIn(self.other_school, round_units(round_))
        finding = actions.check_self_check(
            round_,
            actor=self.other_school_admin,
            unit=self.other_school,
            text="食堂账目未公示",
            fix_note="当天公示",
        )
        assert finding.problem is not None
        self.assertEqual(finding.problem.unit, self.other_school)

    def test_findings_reach_the_unit_at_feedback_and_the_ledger_at_handover(self) -> None:
        principal = org_actions.do_create_person(
            actor=None, unit=self.school, name="钱校长", post_type=Person.PostType.LEADER
        )
        round_ = self.staffed_round()
        actions.check_advance_round(round_, actor=self.supervisor)  # 了解情况
        actions.check_add_round_finding(
            round_,
            actor=self.member,
            unit=self.school,
            text="违规收取资料费",
            audience=RoundFinding.Audience.PRINCIPAL,
        )
        client = self.login(self.school_admin, Client())
        url = reverse("oversight:round", args=[round_.pk])
        self.assertNotContains(client.get(url), "违规收取资料费")
        actions.check_advance_round(round_, actor=self.supervisor)  # 报告
        actions.check_advance_round(round_, actor=self.supervisor)  # 反馈
        self.assertContains(client.get(url), "违规收取资料费")
        with self.assertRaisesMessage(ValidationError, "组长"):
            actions.check_advance_round(round_, actor=self.member)
        actions.check_advance_round(round_, actor=self.supervisor)  # 移交
        problem = Problem.objects.get(source=Problem.Source.INSPECTION)
        self.assertEqual(problem.unit, self.school)
        self.assertEqual(problem.source_ref, round_.number)
        self.assertEqual(problem.deadline, add_months(timezone.localdate(), 2))
        self.assertEqual(problem.responsible_leader, principal)
        self.assertEqual(problem.status, Problem.Status.ASSIGNED)
        notice = self.client.get(reverse("notice:round", args=[round_.number]))
        self.assertContains(notice, "0421-1234567")

    def test_months_are_added_by_the_calendar(self) -> None:
        from datetime import date

        self.assertEqual(add_months(date(2026, 12, 31), 2), date(2027, 2, 28))
        self.assertEqual(add_months(date(2026, 4, 20), 2), date(2026, 6, 20))

    def test_the_workspace_opens_for_the_office_the_team_and_the_unit(self) -> None:
        round_ = self.make_round()
        url = reverse("oversight:round", args=[round_.pk])
        office = self.login(self.office_user, Client())
        page = office.get(url)
        self.assertContains(page, "确定人员")
        office.post(
            reverse("oversight:round_team", args=[round_.pk]),
            {
                "leader": self.supervisor.pk,
                "deputies": [self.member.pk],
                "members": [self.member2.pk, *[u.pk for u in self.inspectors]],
            },
        )
        self.assertEqual(round_.members.count(), 6)
        leader = self.login(self.supervisor, Client())
        self.assertContains(leader.get(url), "签署回避声明")
        leader.post(reverse("oversight:round_declare", args=[round_.pk]), {"text": "无"})
        self.assertContains(
            leader.post(reverse("oversight:round_advance", args=[round_.pk]), follow=True),
            "尚未签署回避声明",
        )
        for name, client in (("office", office), ("unit", self.login(self.school_admin, Client()))):
            with self.subTest(name):
                self.assertContains(client.get(reverse("oversight:rounds")), round_.number)
                self.assertContains(client.get(url), "第 1 天")
        outsider = self.login(self.other_school_admin, Client())
        self.assertEqual(outsider.get(url).status_code, 404)

    def test_the_review_sample_is_verifiable_and_a_failed_recheck_reopens(self) -> None:
        round_ = self.staffed_round()
        actions.check_advance_round(round_, actor=self.office_user)  # 了解情况
        for i in range(5):
            actions.check_add_round_finding(
                round_,
                actor=self.member,
                unit=self.school,
                text=f"问题{i}",
                audience=RoundFinding.Audience.LEADERSHIP,
            )
        for _ in range(4):  # 报告 → 反馈 → 移交 → 整改
            actions.check_advance_round(round_, actor=self.office_user)
        with self.assertRaisesMessage(ValidationError, "回头看"):
            actions.check_commit_review_draw(
                round_, actor=self.office_user, percent=40, value_note="福彩3D"
            )
        actions.check_advance_round(round_, actor=self.office_user)  # 回头看
        with self.assertRaisesMessage(ValidationError, "还没有已销号的问题"):
            actions.check_commit_review_draw(
                round_, actor=self.office_user, percent=40, value_note="福彩3D"
            )
        for problem in Problem.objects.filter(source_ref=round_.number):
            self.close_through_the_ledger(problem)
        draw = actions.check_commit_review_draw(
            round_, actor=self.office_user, percent=40, value_note="福彩3D"
        )
        self.assertEqual(len(draw.pool["units"]), 5)
        with self.assertRaisesMessage(ValidationError, "请先完成"):
            actions.check_start_review(round_, actor=self.office_user)
        self.run_draw(draw)
        draw.refresh_from_db()
        self.assertEqual(drawing.verify(actions.certificate(draw)), [])
        assert draw.result is not None
        self.assertEqual(len(draw.result["targets"]), 2)
        round_.refresh_from_db()
        self.assertEqual(actions.check_start_review(round_, actor=self.office_user), 2)
        self.assertEqual(actions.check_start_review(round_, actor=self.office_user), 0)  # once
        recheck = Recheck.objects.filter(quarter=f"巡察{round_.pk}").first()
        assert recheck is not None
        self.assertIn(recheck.problem_id, [t["unit"] for t in draw.result["targets"]])
        ledger_actions.check_decide_recheck(
            recheck, actor=self.bureau_admin, passed=False, comment="整改不到位"
        )
        recheck.problem.refresh_from_db()
        self.assertNotEqual(recheck.problem.status, Problem.Status.CLOSED)
        page = self.login(self.office_user, Client()).get(reverse("oversight:draw", args=[draw.pk]))
        self.assertContains(page, recheck.problem.number)

    def test_the_findings_export_holds_what_the_viewer_may_see(self) -> None:
        round_ = self.staffed_round()
        actions.check_self_check(
            round_,
            actor=self.school_admin,
            unit=self.school,
            text="办公电脑浏览购物网站",
            fix_note="已约谈",
        )
        actions.check_advance_round(round_, actor=self.office_user)  # 了解情况
        actions.check_add_round_finding(
            round_,
            actor=self.member,
            unit=self.school,
            text="公务接待超标",
            audience=RoundFinding.Audience.LEADERSHIP,
        )
        url = reverse("oversight:round_findings_export", args=[round_.pk])
        office = text_of(self.login(self.office_user, Client()).get(url))
        self.assertIn("公务接待超标", office)
        self.assertIn("办公电脑浏览购物网站", office)
        school = text_of(self.login(self.school_admin, Client()).get(url))
        self.assertIn("办公电脑浏览购物网站", school)
        self.assertNotIn("公务接待超标", school)  # not before the feedback


class RoundPageIdsTestCase(OversightCase):
    """The workspace holds several forms with fields of the same name (unit, text): each has
    its own element ids, so every label points at its own field."""

    def test_no_element_id_is_used_twice(self) -> None:
        round_ = self.staffed_round()
        for user, forms in (
            (self.supervisor, {"request_unit", "finding_unit", "interview_person"}),
            (self.school_admin, {"reception_unit", "selfcheck_unit"}),
            (self.office_user, {"draw_draw"}),
        ):
            with self.subTest(user=user.username):
                page = self.login(user, Client()).get(reverse("oversight:round", args=[round_.pk]))
                ids = Counter(re.findall(r'\sid="([^"]+)"', page.content.decode()))
                self.assertEqual([i for i, n in ids.items() if n > 1], [])
                self.assertLessEqual(forms, set(ids))

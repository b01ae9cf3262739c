from __future__ import annotations

import time_machine
from django.core.exceptions import ValidationError

from qingfeng.learning import actions, search, selectors
from qingfeng.learning.models import Case, Session
from qingfeng.learning.tests.base import LearningCase, at
from qingfeng.ledger import actions as ledger_actions
from qingfeng.ledger.models import Category, Problem

C = Case.Category
TEXTS = [
    ("学校食堂违规收费", "某校食堂向学生违规收取餐费以外的管理费，家长反映强烈。", C.FEES),
    ("教师违规有偿补课", "某教师在校外培训机构有偿补课，隐形变异。", C.TUTORING),
    ("收受家长购物卡", "某班主任教师节收受家长购物卡三张，价值一千五百元。", C.GIFTS),
    ("违规征订教辅材料", "某校统一征订教辅资料并收取费用，加重学生负担。", C.MATERIALS),
    ("公款吃喝", "某单位以开会为名在酒店公款吃喝，超标准接待。", C.DINING),
    ("食堂承包问题", "某校将食堂违规承包给亲属经营，收物卡……", C.OTHER),
    ("补贴发放", "违规发放津补贴，补发课时费。", C.ALLOWANCES),
    ("作风漂浮", "形式主义，材料层层报送，以会议落实会议。", C.FORMALISM),
    ("Mixed ABC 食", "含有英文 ABC 和单字食的案例", C.OTHER),
]
QUERIES = [
    "食堂",
    "补课",
    "收费",
    "购物卡",
    "教辅",
    "物卡",
    "食",
    "公款吃喝",
    "违规 收取",
    "abc",
    "补发",
    "不存在的词",
]


class CaseSearchTestCase(LearningCase):
    def setUp(self) -> None:
        for title, facts, category in TEXTS:
            case = actions.check_enter_case(
                actor=self.office_user,
                owner=self.bureau,
                title=title,
                facts=facts,
                category=category,
                level=Case.Level.OTHER,
            )
            actions.check_submit_case(case, actor=self.office_user)
            actions.check_decide_case(case, actor=self.bureau_admin, action="approve")

    def like(self, query: str) -> set[int]:
        cases = Case.objects.all()
        for term in query.split():
            cases = cases.filter(body__contains=term)
        return set(cases.values_list("pk", flat=True))

    def test_search_recall_equals_like_for_the_query_set(self) -> None:
        for query in QUERIES:
            with self.subTest(query=query):
                found = set(
                    selectors.search_cases(self.teacher, query).values_list("pk", flat=True)
                )
                self.assertEqual(found, self.like(query))
        self.assertEqual(selectors.search_cases(self.teacher, "购物卡").count(), 1)
        # "物卡" occurs in two cases, one without "购": the index narrows, the text decides.
        self.assertEqual(selectors.search_cases(self.teacher, "物卡").count(), 2)

    def test_the_index_narrows_by_bigrams(self) -> None:
        narrowed = search._narrow(Case.objects.all(), search.indexed("食堂"))
        self.assertEqual(set(narrowed.values_list("pk", flat=True)), self.like("食堂"))

    def test_it_follows_edits(self) -> None:
        case = actions.check_enter_case(
            actor=self.office_user,
            owner=self.bureau,
            title="草稿",
            facts="关于校服的案例",
            category=C.OTHER,
            level=Case.Level.LOCAL,
        )
        self.assertEqual(
            set(search.search(Case.objects.all(), "校服").values_list("pk", flat=True)), {case.pk}
        )
        actions.check_edit_case(case, actor=self.office_user, facts="关于研学旅行的案例")
        self.assertFalse(search.search(Case.objects.all(), "校服").exists())
        self.assertTrue(search.search(Case.objects.all(), "研学").exists())

    def test_readers_see_published_cases_only(self) -> None:
        draft = actions.check_enter_case(
            actor=self.office_user,
            owner=self.bureau,
            title="食堂草稿",
            facts="食堂",
            category=C.OTHER,
            level=Case.Level.LOCAL,
        )
        self.assertNotIn(draft, selectors.search_cases(self.teacher, "食堂"))
        self.assertIn(draft, selectors.search_cases(self.office_user, "食堂"))


class CaseFromProblemTestCase(LearningCase):
    def closed_problem(self) -> Problem:
        problem = ledger_actions.check_create_problem(
            actor=self.school_admin,
            unit=self.school,
            category=Category.objects.first(),
            list_kind=Problem.ListKind.PERSONAL,
            source=Problem.Source.SELF_CHECK,
            title="周小燕老师收受家长购物卡",
            description=(
                "2026年9月10日，东城区实验小学教师周小燕收受家长购物卡，"
                "经钱晓红核实，家长电话13912345678。东城实小已责令退还。"
            ),
            rectification_type=Problem.RectificationType.LONG_TERM,
            responsible_person=self.teacher.person,
        )
        Problem.objects.filter(pk=problem.pk).update(status=Problem.Status.CLOSED)
        problem.refresh_from_db()
        return problem

    @time_machine.travel(at("2026-12-01 10:00"), tick=False)
    def test_no_source_name_survives_into_the_case(self) -> None:
        problem = self.closed_problem()
        case = actions.check_propose_case(problem, actor=self.office_user, owner=self.bureau)
        text = case.title + case.facts
        for word in ("周小燕", "钱晓红", "东城区实验小学", "东城实小", "13912345678", "10日"):
            self.assertNotIn(word, text)
        self.assertIn("某校", text)
        self.assertIn("2026年9月", text)
        self.assertEqual(case.source_problem, problem)
        self.assertEqual(actions.surviving_names(case), [])
        # A person's edit that brings a roster name back is refused at submission and approval.
        actions.check_edit_case(case, actor=self.office_user, lessons="孙立平校长负有管理责任")
        with self.assertRaisesMessage(ValidationError, "孙立平"):
            actions.check_submit_case(case, actor=self.office_user)
        case.refresh_from_db()
        self.assertEqual(case.status, Case.Status.DRAFT)
        actions.check_edit_case(case, actor=self.office_user, lessons="学校负有管理责任")
        actions.check_submit_case(case, actor=self.office_user)
        actions.check_decide_case(case, actor=self.bureau_admin, action="approve")
        case.refresh_from_db()
        self.assertEqual(case.status, Case.Status.PUBLISHED)

    def test_it_proposes_closed_problems_only_and_once(self) -> None:
        problem = self.closed_problem()
        Problem.objects.filter(pk=problem.pk).update(status=Problem.Status.RECTIFYING)
        problem.refresh_from_db()
        with self.assertRaisesMessage(ValidationError, "已销号"):
            actions.check_propose_case(problem, actor=self.office_user, owner=self.bureau)
        Problem.objects.filter(pk=problem.pk).update(status=Problem.Status.CLOSED)
        problem.refresh_from_db()
        actions.check_propose_case(problem, actor=self.office_user, owner=self.bureau)
        with self.assertRaisesMessage(ValidationError, "已推荐"):
            actions.check_propose_case(problem, actor=self.office_user, owner=self.bureau)

    def test_the_source_link_is_for_staff_who_may_open_the_problem(self) -> None:
        case = actions.check_propose_case(
            self.closed_problem(), actor=self.office_user, owner=self.bureau
        )
        self.assertTrue(selectors.source_visible(self.school_admin, case))
        self.assertFalse(selectors.source_visible(self.other_school_admin, case))


class WarningSessionTestCase(LearningCase):
    def test_a_warning_session_studies_cases_of_the_library(self) -> None:
        case = actions.check_enter_case(
            actor=self.office_user,
            owner=self.bureau,
            title="收受购物卡",
            facts="某教师收受购物卡",
            category=C.GIFTS,
            level=Case.Level.OTHER,
        )
        with self.assertRaisesMessage(ValidationError, case.number):
            self.plan("warning", case_numbers=case.number)  # not published yet
        actions.check_submit_case(case, actor=self.office_user)
        actions.check_decide_case(case, actor=self.bureau_admin, action="approve")
        with self.assertRaisesMessage(ValidationError, "AL-NONE"):
            self.plan("warning", case_numbers=f"{case.number}，AL-NONE")
        self.assertFalse(Session.objects.exists())
        session = self.plan("warning", case_numbers=case.number)
        self.assertEqual(list(session.cases.all()), [case])
        self.assertEqual(list(Session.objects.filter(cases=case)), [session])

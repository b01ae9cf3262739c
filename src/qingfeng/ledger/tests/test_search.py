"""The list's free-text filter through the index (core/search.py) answers exactly what the
substring scan answers, on either database, whether the index is filled, stale or empty."""

from __future__ import annotations

from django.db import connection
from django.db.models import Q

from qingfeng.core import search
from qingfeng.ledger.models import PROBLEM_SEARCH, Problem
from qingfeng.ledger.selectors import LedgerFilter, filter_problems
from qingfeng.ledger.tests.base import LedgerTestCase

TEXTS = [
    ("学校食堂违规收费", "食堂向学生收取额外伙食费。"),
    ("违规组织补课", "暑期组织学生有偿补课，收费每人800元。"),
    ("收受购物卡", "班主任收受家长购物卡两张。"),
    ("违规推荐教辅材料", "三年级推荐学生购买指定教辅。"),
    ("食品安全检查", "堂食区域卫生不达标。"),  # 食 and 堂 apart: not 食堂
    ("ABC培训机构", "校外培训机构ABC违规招生。"),
]
QUERIES = [
    "食堂",
    "补课",
    "收费",
    "购物卡",
    "教辅",
    "教辅材料",
    "食",
    "违规",
    "堂食",
    "ABC",
    "abc",
    "机构ABC",
    "学生购买指定",
    "不存在的词",
    "LZ",
    "卡",
]


class LedgerSearchTestCase(LedgerTestCase):
    def scan(self, text: str) -> set[int]:
        rows = filter_problems(self.bureau_admin, LedgerFilter())
        match = Q(title__contains=text) | Q(description__contains=text)
        return set(rows.filter(match | Q(number__icontains=text)).values_list("pk", flat=True))

    def found(self, text: str) -> set[int]:
        rows = filter_problems(self.bureau_admin, LedgerFilter(text=text))
        return set(rows.values_list("pk", flat=True))

    def assert_same(self) -> None:
        for text in QUERIES:
            with self.subTest(text=text):
                self.assertEqual(self.found(text), self.scan(text))

    def test_the_filter_equals_the_substring_scan(self) -> None:
        made = [self.make_problem(title=t, description=d) for t, d in TEXTS]
        self.assertEqual(Problem.objects.filter(search_tokens__isnull=True).count(), len(made))
        self.assert_same()  # nothing indexed yet: every row a candidate
        self.assertEqual(search.refresh_all(), len(made))
        self.assertFalse(Problem.objects.filter(search_tokens__isnull=True).exists())
        self.assert_same()
        # The index narrows: the candidates of 食堂 are the rows holding both... bigram 食堂.
        narrowed = PROBLEM_SEARCH.narrow(Problem.objects.all(), "食堂")
        self.assertEqual(set(narrowed.values_list("pk", flat=True)), {made[0].pk})
        # A change of text (here behind the actions' back) makes the row a candidate again
        # until the refresh: never missed.
        Problem.objects.filter(pk=made[4].pk).update(description="学校食堂卫生不达标。")
        self.assertIsNone(Problem.objects.get(pk=made[4].pk).search_tokens)
        self.assertIn(made[4].pk, self.found("食堂"))
        self.assert_same()
        search.refresh_all()
        self.assertIn(made[4].pk, self.found("食堂"))
        self.assert_same()
        # A save that does not change the text keeps the tokens.
        problem = Problem.objects.get(pk=made[1].pk)
        problem.save()
        self.assertIsNotNone(Problem.objects.get(pk=made[1].pk).search_tokens)

    def test_triggers_lost_to_a_table_rebuild_come_back(self) -> None:
        if connection.vendor != "sqlite":
            self.skipTest("SQLite rebuilds a table to alter it; PostgreSQL keeps its triggers")
        made = self.make_problem(title="学校食堂违规收费", description="食堂多收伙食费。")
        search.refresh_all()
        with connection.cursor() as cursor:  # what a migration's table rebuild leaves
            cursor.execute("DROP TRIGGER ledger_problem_search_text")
        self.assertTrue(PROBLEM_SEARCH.ensure())
        self.assertFalse(PROBLEM_SEARCH.ensure())
        self.assertIsNone(Problem.objects.get(pk=made.pk).search_tokens)
        search.refresh_all()
        Problem.objects.filter(pk=made.pk).update(title="补课收费")
        self.assertIsNone(Problem.objects.get(pk=made.pk).search_tokens)
        self.assert_same()

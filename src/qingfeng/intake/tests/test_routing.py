"""Routing suggestions: the unit a ticket is about from its names, short names and aliases,
and the category from its keywords, on texts as reporters write them."""

from __future__ import annotations

from django.test import SimpleTestCase

from qingfeng.intake import routing
from qingfeng.intake.models import TicketCategory
from qingfeng.orgs import actions as org_actions
from qingfeng.orgs.models import Unit
from qingfeng.test import BaseTestCase, make_unit


class UnitSuggestionTestCase(BaseTestCase):
    def names(self, text: str) -> list[str]:
        return [s.name for s in routing.suggest_units(text)]

    def test_it_finds_a_school_by_its_full_name_and_explains_why(self) -> None:
        [first, *_rest] = routing.suggest_units(
            "东城区实验小学三年级班主任要求每个学生交200元资料费，没有收据。"
        )
        self.assertEqual(first.unit_id, self.school.pk)
        self.assertEqual(first.reason, "正文提到“东城区实验小学”")

    def test_it_finds_a_school_by_its_short_name(self) -> None:
        [first, *_rest] = routing.suggest_units("东城实小的食堂饭菜里有虫子，孩子不敢吃。")
        self.assertEqual((first.unit_id, first.reason), (self.school.pk, "正文提到简称“东城实小”"))

    def test_it_finds_a_school_by_an_alias(self) -> None:
        [first, *_rest] = routing.suggest_units("东实小五年级数学老师周末在家有偿补课。")
        self.assertEqual((first.unit_id, first.reason), (self.school.pk, "正文提到别名“东实小”"))

    def test_full_width_text_and_punctuation_do_not_hide_a_name(self) -> None:
        self.assertEqual(self.names("西山县第一中学（高三）收取补课费")[0], "西山县第一中学")
        self.assertEqual(self.names("ＳＳ东 城 实 小，食堂")[0], "东城区实验小学")

    def test_the_longest_name_wins_and_the_school_comes_before_its_county(self) -> None:
        # "西山县第一中学" contains the county's short name "西山县": one school, not the county.
        self.assertEqual(self.names("西山县第一中学食堂卫生差"), ["西山县第一中学"])
        # Both mentioned: the school first, then its county.
        suggestions = routing.suggest_units("向东城区教育局反映：实验小学乱收资料费，东城区不管。")
        self.assertEqual([s.unit_id for s in suggestions[:2]], [self.school.pk, self.county.pk])
        self.assertIn("并提到上级单位“东城区教育局”", suggestions[0].reason)

    def test_a_shared_alias_is_settled_by_the_county_mentioned(self) -> None:
        other = make_unit(
            "西山县实验小学",
            Unit.Kind.SCHOOL,
            self.other_county,
            "S0009",
            aliases="实验小学",
        )
        suggestions = routing.suggest_units("西山县的实验小学三年级收资料费")
        self.assertEqual(suggestions[0].unit_id, other.pk)
        self.assertIn("2 个单位有此名称", suggestions[0].reason)
        suggestions = routing.suggest_units("东城区的实验小学三年级收资料费")
        self.assertEqual(suggestions[0].unit_id, self.school.pk)

    def test_nothing_is_suggested_without_a_name(self) -> None:
        self.assertEqual(routing.suggest_units("老师要求买教辅，每人一百二十元。"), [])
        self.assertEqual(routing.suggest_units(""), [])

    def test_the_limit_is_kept(self) -> None:
        text = "东城区实验小学、东城区第二中学、西山县第一中学都收了资料费"
        self.assertEqual(len(routing.suggest_units(text, limit=2)), 2)
        self.assertEqual(len(routing.suggest_units(text)), 3)

    def test_a_new_renamed_or_closed_unit_is_seen_at_once(self) -> None:
        self.assertEqual(self.names("清河第九中学收费"), [])
        ninth = make_unit("清河第九中学", Unit.Kind.SCHOOL, self.county, "S0010")
        self.assertEqual(self.names("清河第九中学收费"), ["清河第九中学"])
        org_actions.do_update_unit(ninth, actor=self.system_admin, aliases="九中,清河九中")
        self.assertEqual(self.names("九中收费")[0], "清河第九中学")
        org_actions.do_set_unit_active(ninth, actor=self.system_admin, active=False, reason="撤并")
        self.assertEqual(self.names("清河第九中学收费"), [])

    def test_the_matcher_is_built_once_per_change(self) -> None:
        first = routing.get_matcher()
        with self.assertNumQueries(1):  # the stamp only
            self.assertIs(routing.get_matcher(), first)


class DepartmentNameTestCase(BaseTestCase):
    """Departments are named with common words: a parent writing "学校办公室" or "财务科" means
    the school's, not the bureau's. The bureau has 办公室 and 财务科, the county 人事科."""

    finance: Unit
    personnel: Unit

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.finance = make_unit("财务科", Unit.Kind.DEPARTMENT, cls.bureau, "D0002")
        cls.personnel = make_unit("人事科", Unit.Kind.DEPARTMENT, cls.county, "D0003")

    def ids(self, text: str) -> list[int]:
        return [s.unit_id for s in routing.suggest_units(text)]

    def test_a_school_and_its_office_in_one_text_give_the_school_only(self) -> None:
        texts = [
            "东城区实验小学办公室的老师让每个学生交200元资料费，不开收据。",
            "我去东城实小办公室问，办公室说是上面要求的，财务科也不管退钱。",
            "孩子在西山县第一中学，班主任让去办公室交补课费，每月三百元。",
        ]
        for text in texts:
            found = self.ids(text)
            self.assertIn(found[0], {self.school.pk, self.other_school.pk}, text)
            self.assertNotIn(self.office.pk, found, text)
            self.assertNotIn(self.finance.pk, found, text)

    def test_a_county_named_keeps_a_bare_office_out(self) -> None:
        found = self.ids("打东城区教育局办公室的电话，一直没人接，人事科也说不归他们管。")
        self.assertEqual(found, [self.county.pk])

    def test_the_bureau_office_in_qualified_form_is_suggested_first(self) -> None:
        for text in (
            "市教育局办公室的工作人员接电话态度恶劣，推诿不办。",
            "清河市教育局办公室：我上月反映的事至今没有答复。",
            "清河市教育局 办 公 室 接待人员不给登记。",
        ):
            [first, *_rest] = routing.suggest_units(text)
            self.assertEqual(first.unit_id, self.office.pk, text)
            self.assertIn("办公室", first.reason)
        [first, *_rest] = routing.suggest_units("东城区教育局人事科招聘临时工不公示。")
        self.assertEqual(
            (first.unit_id, first.reason), (self.personnel.pk, "正文提到“东城区教育局人事科”")
        )

    def test_a_school_named_comes_before_the_bureau_office(self) -> None:
        found = self.ids("我向市教育局办公室反映过东城实小乱收费，市教育局办公室让找学校。")
        self.assertEqual(found[:2], [self.school.pk, self.office.pk])

    def test_a_bare_department_name_counts_when_nothing_else_is_named(self) -> None:
        self.assertEqual(self.ids("财务科报销拖了三个月，一直说领导没签字。"), [self.finance.pk])

    def test_full_width_digits_and_spaces_in_names(self) -> None:
        third = make_unit("东城区第３中学", Unit.Kind.SCHOOL, self.county, "S0011")
        fourth = make_unit("东城区 第4中学", Unit.Kind.SCHOOL, self.county, "S0012")
        self.assertEqual(self.ids("东城区第3中学办公室要求订校服")[0], third.pk)
        self.assertEqual(self.ids("东 城 区 第 ３ 中 学 财务科收费")[0], third.pk)
        self.assertEqual(self.ids("东城区第４中学办公室收资料费"), [fourth.pk])


class CategorySuggestionTestCase(BaseTestCase):
    def test_it_suggests_the_category_from_its_keywords(self) -> None:
        [first, *_rest] = routing.suggest_categories(
            "班主任要求每个学生交200元资料费，说是统一订购复习资料，没有收据。"
        )
        self.assertEqual(first.category.name, "乱收费乱办班乱订资料")
        self.assertEqual(first.reason, "关键词：资料费、订购")

    def test_a_longer_keyword_weighs_more(self) -> None:
        names = [s.category.name for s in routing.suggest_categories("数学老师周末在家有偿补课")]
        self.assertEqual(names[:2], ["师德师风", "乱收费乱办班乱订资料"])

    def test_a_meal_complaint_goes_to_the_canteen_category(self) -> None:
        [first] = routing.suggest_categories("学校食堂饭菜里有虫子")
        self.assertEqual(first.category.name, "校园安全与食堂")
        self.assertEqual(first.keywords, ("食堂", "饭菜"))

    def test_inactive_categories_and_words_nobody_listed_give_nothing(self) -> None:
        TicketCategory.objects.filter(name="校园安全与食堂").update(is_active=False)
        self.assertEqual(routing.suggest_categories("学校食堂饭菜里有虫子"), [])
        self.assertEqual(routing.suggest_categories("今天天气很好"), [])


class CityMatcherTestCase(SimpleTestCase):
    """A city tree of 3,000 units, without a database (its speed is measured in bench/)."""

    def test_a_city_tree_is_matched_exactly(self) -> None:
        rows: list[tuple[int, str, str, str, str, int, str]] = [
            (1, "清河市教育局", "市教育局", "", "1/", 0, "bureau")
        ]
        counties = ["东城区", "西山县", "南湖区", "北岭县", "青石县", "河口区", "白沙县", "云台区"]
        pk = 1
        for c, county in enumerate(counties):
            pk += 1
            county_pk, county_path = pk, f"1/{pk}/"
            rows.append((county_pk, f"{county}教育局", county, "", county_path, 1, "county"))
            for n in range(370):
                pk += 1
                name = f"{county}第{n + 1}小学"
                short = f"{county[:2]}{n + 1}小"
                rows.append((pk, name, short, "", f"{county_path}{pk}/", 2, "school"))
            del c
        matcher = routing.UnitMatcher(rows)
        text = "我要反映南湖区第233小学的问题：" + "老师要求家长交资料费，没有收据。" * 150
        suggestions = matcher.suggest(text, 3)
        self.assertGreater(len(rows), 2900)
        self.assertEqual(suggestions[0].name, "南湖区第233小学")
        self.assertEqual(len(suggestions), 1)  # "南湖区" inside the school's name is not the county

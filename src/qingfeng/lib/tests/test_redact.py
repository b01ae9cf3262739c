from __future__ import annotations

import json
import re
from pathlib import Path
from unittest import TestCase

from hypothesis import given, settings
from hypothesis import strategies as st

from qingfeng.lib.redact import Audience, normalise, person_names, redact

CORPUS = json.loads(
    (Path(__file__).resolve().parents[4] / "bench" / "data" / "masking_corpus.json").read_text(
        encoding="utf-8"
    )
)
FULL = str.maketrans("0123456789", "０１２３４５６７８９")
mobiles = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)
separators = st.sampled_from(["", " ", "-", ".", "　", "－"])
fillers = st.sampled_from(["请联系", "电话", "我的手机是", "家长", "回电：", "号码 ", ""])


def digits(text: str) -> str:
    return re.sub(r"\D", "", normalise(text))


class RedactExamplesTestCase(TestCase):
    def test_the_reporter_is_replaced_whole_for_the_reported_unit(self) -> None:
        text = "我是孩子妈妈李秀芳，我家孩子张子涵在高一三班，家长赵女士也知道。电话１３９ １２３４ ５６７８"
        out = redact(text, names=["李秀芳"], audience=Audience.REPORTED_UNIT)
        self.assertEqual(
            out, "我是孩子妈妈某某，我家孩子某某在某班，家长某女士也知道。电话*** **** ****"
        )

    def test_the_unit_keeps_its_own_staff_and_the_public_does_not(self) -> None:
        text = "副校长司马光明和王老师知情，欧阳娜娜家长反映"
        unit = redact(text, audience=Audience.REPORTED_UNIT, roster=["司马光明"])
        public = redact(text, audience=Audience.PUBLIC, roster=["司马光明"])
        self.assertEqual(unit, "副校长司马光明和王老师知情，某某家长反映")
        self.assertEqual(public, "副校长某某和某老师知情，某某家长反映")

    def test_a_publisher_may_keep_a_confirmed_name(self) -> None:
        text = "经黄明德主任核实，诸葛亮亮同学家长反映属实"
        out = redact(text, audience=Audience.PUBLIC, roster=["黄明德"], keep=["黄明德"])
        self.assertEqual(out, "经黄明德主任核实，某某同学家长反映属实")
        self.assertEqual(person_names(text, roster=["黄明德"]), ["黄明德", "诸葛亮亮同学"])

    def test_staff_see_numbers_masked_as_in_lists(self) -> None:
        out = redact(
            "本人陈静，电话139-1234-5678，身份证１１０１０５１９９００１０１１２３４",
            names=["陈静"],
        )
        self.assertEqual(out, "本人陈*，电话139****5678，身份证110***********1234")

    def test_ordinary_words_are_left_alone(self) -> None:
        for text in (
            "学校老师周末组织有偿补课，每人收费两千元，希望教育局尽快处理，谢谢。",
            "王府井附近的培训机构晚上十点还在上课，关于家长反映的问题已开会研究。",
            "高一三班的班主任说许多家长和全体老师都同意，历史老师和任课老师也在。",
        ):
            for audience in Audience:
                self.assertEqual(redact(text, audience=audience), text)

    def test_the_corpus_loses_every_planted_identifier_on_the_public_page(self) -> None:
        self.assertGreaterEqual(len(CORPUS), 80)
        words = masked_words = 0
        for entry in CORPUS:
            out = redact(entry["text"], audience=Audience.PUBLIC)
            for number in entry["numbers"]:
                self.assertNotIn(digits(number), digits(out), entry["text"])
            for name in entry["names"]:
                self.assertNotIn(name, out, entry["text"])
            words += len(entry["words"])
            masked_words += sum(w not in out for w in entry["words"])
        self.assertLessEqual(masked_words / words, 0.02)


class RedactPropertiesTestCase(TestCase):
    @settings(max_examples=150, deadline=None)
    @given(mobiles, separators, fillers, st.booleans(), st.sampled_from(list(Audience)))
    def test_no_mobile_survives_in_any_width_or_spacing(
        self, phone: str, sep: str, filler: str, wide: bool, audience: Audience
    ) -> None:
        written = f"{phone[:3]}{sep}{phone[3:7]}{sep}{phone[7:]}"
        if wide:
            written = written.translate(FULL)
        out = redact(f"{filler}{written}，谢谢", audience=audience)
        self.assertNotIn(phone, digits(out))
        if audience == Audience.STAFF:
            self.assertIn("****", out)  # the middle four never show
        else:
            self.assertEqual(digits(out), "")  # nothing of it is left

    @settings(max_examples=100, deadline=None)
    @given(
        st.sampled_from(["欧阳", "司马", "诸葛", "上官", "王", "李", "张", "赵", "陈"]),
        st.text(alphabet="伟芳娜敏静丽强磊军洋杰娟涛超霞", min_size=1, max_size=2),
        st.sampled_from(["女士", "先生", "老师", "家长", "同学", "校长", "主任"]),
    )
    def test_a_surname_with_a_title_never_reaches_the_public(
        self, surname: str, given_name: str, title: str
    ) -> None:
        name = surname + given_name
        out = redact(f"据反映，{name}{title}收了红包。", audience=Audience.PUBLIC)
        self.assertNotIn(name, out)
        self.assertIn(title, out)

    @settings(max_examples=100, deadline=None)
    @given(st.text(alphabet="学校老师家长食堂教育局补课收费作业，。的了在和周末班级", max_size=40))
    def test_text_without_people_or_numbers_is_unchanged_for_staff(self, text: str) -> None:
        self.assertEqual(redact(text), text)

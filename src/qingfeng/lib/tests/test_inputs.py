from __future__ import annotations

import json
import unicodedata

from django.test import SimpleTestCase
from hypothesis import given
from hypothesis import strategies as st

from qingfeng.lib.inputs import (
    MAX_DEPTH,
    MAX_INT,
    InputRefused,
    clean_data,
    clean_text,
    load_json,
    strip_controls,
)

# What may never survive cleaning: C0/C1 controls but tab and line feed, DEL, bidi controls.
FORBIDDEN = {chr(c) for c in [*range(1, 9), 11, 12, 13, *range(14, 32), *range(127, 160)]} | {
    *"\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
}


class CleanTextTestCase(SimpleTestCase):
    def test_it_keeps_ordinary_chinese_text_as_typed(self) -> None:
        text = (
            "东城区实验小学三年级老师要求每人购买１２０元教辅。\n\t欧阳老师说“不买就不发作业本”。"
        )
        self.assertEqual(clean_text(text), text)

    def test_it_removes_control_characters_and_folds_line_ends(self) -> None:
        self.assertEqual(clean_text("王老师\x01收\x0b费\x1b[31m"), "王老师收费[31m")
        self.assertEqual(clean_text("第一行\r\n第二行\r第三行"), "第一行\n第二行\n第三行")

    def test_it_neutralises_bidi_overrides(self) -> None:
        # "gpj.exe" shown right to left reads as "exe.jpg".
        self.assertEqual(clean_text("照片\u202egpj.exe"), "照片gpj.exe")
        self.assertEqual(clean_text("司马\u2067老师\u2069"), "司马老师")

    def test_it_removes_lone_surrogates_a_json_body_can_carry(self) -> None:
        # json.loads turns the escape "\\ud800" into a lone surrogate, which no database
        # can encode: it goes, the words around it stay.
        loaded = json.loads('{"title": "\\u6536\\u8d39\\ud800\\u95ee\\u9898"}')
        self.assertEqual(clean_data(loaded), {"title": "收费问题"})
        self.assertEqual(clean_text("家长\udfff反映"), "家长反映")
        self.assertEqual(
            clean_text("家长\U0001f600反映"), "家长\U0001f600反映"
        )  # a real emoji stays

    def test_it_composes_to_nfc(self) -> None:
        decomposed = "Cafe\u0301 诸葛"
        self.assertEqual(clean_text(decomposed), "Café 诸葛")

    def test_it_refuses_a_nul(self) -> None:
        with self.assertRaisesMessage(InputRefused, "空字符"):
            clean_text("赵女士\x00")
        self.assertEqual(strip_controls("赵女士\x00反映"), "赵女士反映")

    @given(st.text())
    def test_nothing_forbidden_survives_and_cleaning_is_stable(self, text: str) -> None:
        try:
            cleaned = clean_text(text)
        except InputRefused:
            self.assertIn("\x00", text)
            return
        self.assertFalse(FORBIDDEN & set(cleaned), repr(cleaned))
        self.assertEqual(clean_text(cleaned), cleaned)
        self.assertTrue(unicodedata.is_normalized("NFC", cleaned))


class NumbersAndJsonTestCase(SimpleTestCase):
    def test_it_takes_integers_a_database_holds_and_no_larger(self) -> None:
        self.assertEqual(
            load_json(f'{{"n": {MAX_INT}, "m": -{MAX_INT}}}'), {"n": MAX_INT, "m": -MAX_INT}
        )
        for huge in (f"{MAX_INT + 1}", "-9223372036854775809", "1" + "0" * 4000):
            with self.subTest(huge=huge[:30]), self.assertRaisesMessage(InputRefused, "范围"):
                load_json(f'{{"weight": {huge}}}')

    def test_it_loads_and_cleans_a_report(self) -> None:
        body = json.dumps({"title": "食堂\x01收费", "unit_id": 3, "tags": ["王\u202e老师"]})
        self.assertEqual(
            load_json(body.encode()), {"title": "食堂收费", "unit_id": 3, "tags": ["王老师"]}
        )

    def test_it_refuses_what_it_cannot_take_with_a_reason(self) -> None:
        cases: dict[str | bytes, str] = {
            "[" * 100_000 + "]" * 100_000: "嵌套",
            "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1): "嵌套",
            '{"offset": 162863852070734712063936954368}': "范围",
            '{"title": "\\u0000"}': "空字符",
            '{"title": ': "JSON",
            b"\xff\xfe{": "JSON",
        }
        for raw, reason in cases.items():
            with self.subTest(raw=raw[:20]), self.assertRaisesMessage(InputRefused, reason):
                load_json(raw)

    def test_it_cleans_keys_and_nested_values(self) -> None:
        data = {"a\x07": [{"b": "欧阳\x1f"}]}
        self.assertEqual(clean_data(data), {"a": [{"b": "欧阳"}]})

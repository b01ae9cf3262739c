from __future__ import annotations

from django.test import SimpleTestCase

from qingfeng.lib.keywords import KeywordMatch, match_keywords, normalise


class KeywordsTestCase(SimpleTestCase):
    def test_normalise_keeps_letters_and_digits_half_width(self) -> None:
        self.assertEqual(normalise("收费２００元！ ＡＢＣ，\n每人。"), "收费200元abc每人")

    def test_longer_and_repeated_keywords_weigh_more_ties_keep_the_order(self) -> None:
        candidates = [
            ("乱收费", ["补课", "收费"]),
            ("师德", ["有偿补课"]),
            ("其他", []),
            ("纪律", ["补课"]),
        ]
        self.assertEqual(
            match_keywords("数学老师周末在家有偿补课", candidates),
            [
                KeywordMatch("师德", 4.0, ("有偿补课",)),
                KeywordMatch("乱收费", 2.0, ("补课",)),
                KeywordMatch("纪律", 2.0, ("补课",)),
            ],
        )
        [match, *_rest] = match_keywords("收费、收 费、收费", [("乱收费", [" 收费 "])])
        self.assertEqual((match.score, match.keywords), (4.0, ("收费",)))
        self.assertEqual(match_keywords("今天天气很好", candidates), [])

from __future__ import annotations

from decimal import Decimal

from django.test import SimpleTestCase
from hypothesis import given
from hypothesis import strategies as st

from qingfeng.evaluation import stats
from qingfeng.evaluation.stats import Verdict


class WilsonTestCase(SimpleTestCase):
    def test_it_matches_the_known_values(self) -> None:
        # The 0.63–0.91 and 0.77–0.91 are these, read to three places and then two.
        cases = (((24, 30), (0.627, 0.905)), ((85, 100), (0.767, 0.907)))
        for (satisfied, base), expected in cases:
            interval = stats.wilson(satisfied, base)
            assert interval is not None
            self.assertEqual((round(interval.low, 3), round(interval.high, 3)), expected)
        self.assertEqual(stats.percent(0.9049), "90.5%")

    def test_it_has_no_interval_without_a_base(self) -> None:
        self.assertIsNone(stats.wilson(0, 0))

    @given(st.integers(min_value=1, max_value=5000), st.data())
    def test_the_interval_holds_the_rate(self, base: int, data: st.DataObject) -> None:
        satisfied = data.draw(st.integers(min_value=0, max_value=base))
        interval = stats.wilson(satisfied, base)
        assert interval is not None
        self.assertLessEqual(interval.low, satisfied / base + 1e-12)
        self.assertGreaterEqual(interval.high, satisfied / base - 1e-12)
        self.assertTrue(0 <= interval.low <= interval.high <= 1)


class VerdictTestCase(SimpleTestCase):
    def verdict(self, satisfied: int, base: int, minimum: int = 30) -> str:
        return stats.verdict(satisfied, base, min_sample=minimum, threshold=85)

    def test_it_says_too_few_below_the_minimum(self) -> None:
        self.assertEqual(self.verdict(29, 29), Verdict.TOO_FEW)
        self.assertEqual(self.verdict(0, 0), Verdict.TOO_FEW)

    def test_it_confirms_low_only_when_the_upper_bound_is_under(self) -> None:
        # 24/30: 0.63–0.91, the upper bound is above 85 %: not confirmed, undecided.
        self.assertEqual(self.verdict(24, 30), Verdict.UNDECIDED)
        # 20/30: 0.49–0.81.
        self.assertEqual(self.verdict(20, 30), Verdict.CONFIRMED_LOW)

    def test_it_passes_when_the_lower_bound_reaches_the_line(self) -> None:
        # 85/100 is the point rate on the line, but 0.77–0.91 straddles it.
        self.assertEqual(self.verdict(85, 100), Verdict.UNDECIDED)
        self.assertEqual(self.verdict(30, 30), Verdict.PASSED)  # 0.89–1.00
        self.assertEqual(self.verdict(29, 30), Verdict.UNDECIDED)  # 0.83–0.99
        self.assertEqual(self.verdict(190, 200), Verdict.PASSED)  # 0.91–0.97

    def test_the_default_trigger_is_the_point_rate_with_the_minimum(self) -> None:
        kw = {"min_sample": 30, "threshold": 85}
        self.assertTrue(stats.triggers(24, 30, **kw, confirmed_only=False))
        self.assertFalse(stats.triggers(24, 30, **kw, confirmed_only=True))
        self.assertFalse(stats.triggers(85, 100, **kw, confirmed_only=False))
        self.assertFalse(stats.triggers(10, 20, **kw, confirmed_only=False))  # too few
        self.assertTrue(stats.triggers(20, 30, **kw, confirmed_only=True))


class CompositeTestCase(SimpleTestCase):
    def test_it_weighs_the_three_parts(self) -> None:
        score = stats.composite(
            satisfaction=90, third_party=80, discipline=85, weights=(50, 30, 20), veto=False, cap=60
        )
        self.assertEqual(score, Decimal("86.00"))

    def test_a_missing_part_is_left_out_of_the_weights(self) -> None:
        score = stats.composite(
            satisfaction=90,
            third_party=None,
            discipline=70,
            weights=(50, 30, 20),
            veto=False,
            cap=60,
        )
        self.assertEqual(score, Decimal("84.29"))  # (45 + 14) / 0.7

    def test_a_veto_caps_it(self) -> None:
        score = stats.composite(
            satisfaction=95, third_party=95, discipline=50, weights=(50, 30, 20), veto=True, cap=60
        )
        self.assertEqual(score, Decimal("60.00"))

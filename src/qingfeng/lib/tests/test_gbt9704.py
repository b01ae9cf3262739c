"""The GB/T 9704 writer and checker: a written document conforms; a deliberately broken one
has each of its deviations named."""

from __future__ import annotations

import dataclasses
import io
from datetime import date

from django.test import SimpleTestCase
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from qingfeng.lib import gbt9704
from qingfeng.lib.gbt9704 import Heading, OfficialDocument, Paragraph, Table
from qingfeng.lib.gbt9704.writer import chinese_date

DOC = OfficialDocument(
    mark="清河市教育局文件",
    number="清教作〔2026〕12号",
    title="关于2026年11月全市教育系统作风建设工作情况的通报",
    addressees="各县区教育局，局属各单位",
    body=[
        Paragraph("现将有关情况通报如下。"),
        Heading(1, "一、总体情况"),
        Paragraph("全市新增问题 12 个。" * 8),
        Heading(2, "（一）问题整改"),
        Heading(3, "1.按期销号"),
        Table(["单位", "新增"], [["东城区", "3"]], caption="表1"),
    ],
    signature="清河市教育局",
    dated=date(2026, 12, 6),
    printer="清河市教育局办公室",
    printed_on=date(2026, 12, 6),
    copies_to=["市纪委监委驻市教育局纪检监察组"],
)


def styled(doc: object, name: str) -> list[object]:
    return [p for p in doc.paragraphs if p.style.name == name]  # type: ignore[attr-defined]


class GBT9704TestCase(SimpleTestCase):
    def test_it_writes_a_document_that_conforms(self) -> None:
        self.assertEqual(gbt9704.check(gbt9704.write(DOC)), [])

    def test_headings_and_table_captions_go_over_a_page_break_with_what_follows(self) -> None:
        doc = Document(io.BytesIO(gbt9704.write(DOC)))
        kept = {
            p.text
            for p in doc.paragraphs
            if p.paragraph_format.keep_with_next
            or (p.style is not None and p.style.paragraph_format.keep_with_next)
        }
        self.assertEqual(kept, {"一、总体情况", "（一）问题整改", "1.按期销号", "表1"})

    def test_it_writes_the_date_in_numerals_without_leading_zeros(self) -> None:
        self.assertEqual(chinese_date(date(2026, 3, 5)), "2026年3月5日")

    def test_it_names_each_deviation_of_a_broken_document(self) -> None:
        doc = Document(io.BytesIO(gbt9704.write(DOC)))
        section = doc.sections[0]
        section.top_margin = Mm(25)  # 天头
        section.left_margin = Mm(31.7)  # 订口 and 版心
        doc.settings.odd_and_even_pages_header_footer = False  # 页码
        mark = styled(doc, "公文-发文机关标志")[0]
        for run in mark.runs:  # type: ignore[attr-defined]
            run.font.color.rgb = RGBColor(0, 0, 0)
        title = styled(doc, "公文-标题")[0]
        for run in title.runs:  # type: ignore[attr-defined]
            run.font.size = Pt(16)
            run._r.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "宋体")
        dated = styled(doc, "公文-成文日期")[0]
        dated.runs[0].text = "二〇二六年十二月六日"  # type: ignore[attr-defined]
        number = styled(doc, "公文-发文字号")[-1]
        number._p.pPr.remove(number._p.pPr.find(qn("w:pBdr")))  # type: ignore[attr-defined]
        for p in styled(doc, "公文-版记"):
            p._p.getparent().remove(p._p)  # type: ignore[attr-defined]
        out = io.BytesIO()
        doc.save(out)
        found = [str(d) for d in gbt9704.check(out.getvalue())]
        expected = (
            "页面：天头应为 37 mm，实为 25.0 mm",
            "页面：订口应为 28 mm，实为 31.7 mm",
            "页面：版心应为 156×225 mm，实为 152.3×237.0 mm",
            "页面：每页应为 22 行，实为 23.2 行",  # the same grid over a taller 版心
            "页面：每行应为 28 个字，实为 27.3 个字",
            "发文机关标志：“清河市教育局文件”应为红色",
            "标题：“关于2026年11月全市”字体应为方正小标宋简体，实为宋体",
            "标题：“关于2026年11月全市”字号应为 22 磅，实为 16.0 磅",
            "红色分隔线：发文字号之下应有与版心等宽的红色分隔线",
            "成文日期：应用阿拉伯数字写全年月日且不编虚位",
            "版记：缺少此要素",
            "页码：未设置奇偶页不同",
        )
        for text in expected:
            self.assertTrue(any(line.startswith(text) for line in found), (text, found))
        self.assertEqual(len(found), len(expected), found)

    def test_it_refuses_what_is_not_a_docx(self) -> None:
        found = gbt9704.check(b"%PDF-1.7 not a word file")
        self.assertEqual([d.element for d in found], ["文件"])

    def test_a_page_grid_of_other_lines_and_characters_is_named(self) -> None:
        doc = Document(io.BytesIO(gbt9704.write(DOC)))
        grid = doc.sections[0]._sectPr.find(qn("w:docGrid"))
        grid.set(qn("w:linePitch"), "312")
        grid.set(qn("w:charSpace"), "0")
        out = io.BytesIO()
        doc.save(out)
        found = [str(d) for d in gbt9704.check(out.getvalue())]
        self.assertEqual(len(found), 2, found)
        self.assertTrue(found[0].startswith("页面：每页应为 22 行，实为 40.9 行"), found)
        self.assertTrue(found[1].startswith("页面：每行应为 28 个字，实为 27.6 个字"), found)


class SignerTestCase(SimpleTestCase):
    """7.2.4: with a 签发人, the 发文字号 left one character in and "签发人：name" right one
    character in on the same line, the name in 楷体; each departure named."""

    def signed(self) -> bytes:
        return gbt9704.write(dataclasses.replace(DOC, signer="张明远"))

    def test_a_signed_document_conforms_and_prints_the_signer_beside_the_number(self) -> None:
        data = self.signed()
        self.assertEqual(gbt9704.check(data), [])
        number = styled(Document(io.BytesIO(data)), "公文-发文字号")[-1]
        self.assertEqual(number.text, "清教作〔2026〕12号\t签发人：张明远")  # type: ignore[attr-defined]
        name = number.runs[-1]  # type: ignore[attr-defined]
        self.assertEqual(name._r.rPr.rFonts.get(qn("w:eastAsia")), "楷体_GB2312")

    def test_a_misplaced_signer_is_named(self) -> None:
        doc = Document(io.BytesIO(self.signed()))
        number = styled(doc, "公文-发文字号")[-1]
        ppr = number._p.pPr  # type: ignore[attr-defined]
        ppr.remove(ppr.find(qn("w:tabs")))
        ppr.remove(ppr.find(qn("w:ind")))
        number.runs[-1]._r.rPr.rFonts.set(qn("w:eastAsia"), "仿宋_GB2312")  # type: ignore[attr-defined]
        out = io.BytesIO()
        doc.save(out)
        found = [str(d) for d in gbt9704.check(out.getvalue())]
        self.assertTrue(any("居左空一字" in d for d in found), found)
        self.assertTrue(any("居右空一字" in d for d in found), found)
        self.assertTrue(any("楷体_GB2312" in d for d in found), found)

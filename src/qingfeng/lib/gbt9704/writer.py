"""Writing an official document (.docx) in the GB/T 9704-2012 layout with python-docx.

Every element is a paragraph style named after it (公文-标题, 公文-正文 …) with its fonts set
explicitly for both scripts (`w:eastAsia` for the Chinese, Times New Roman for digits and
Latin), so an office that opens the file in WPS or Word sees the official fonts, and the
checker finds each element by its style.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from qingfeng.lib.gbt9704 import layout as L

ALIGN = {"left": 0, "center": 1, "right": 2, "both": 3}


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Heading:
    level: int  # 1 一、 (黑体) · 2 （一） (楷体) · 3 1. (仿宋加粗)
    text: str


@dataclass(frozen=True)
class Table:
    header: Sequence[str]
    rows: Sequence[Sequence[str]]
    caption: str = ""


@dataclass(frozen=True)
class Image:
    png: bytes
    width_mm: float = 140.0
    caption: str = ""


Block = Paragraph | Heading | Table | Image


@dataclass(frozen=True)
class OfficialDocument:
    mark: str  # 发文机关标志, e.g. 清河市教育局文件
    number: str  # 发文字号, e.g. 清教作〔2026〕12号
    title: str
    addressees: str  # 主送机关, without the colon
    body: Sequence[Block]
    signature: str  # 发文机关署名
    dated: date  # 成文日期
    printer: str  # 印发机关
    printed_on: date
    copies_to: Sequence[str] = field(default_factory=tuple)  # 抄送机关
    signer: str = ""  # 签发人 (上行文 only)


def chinese_date(day: date) -> str:
    """成文日期 in Arabic numerals without leading zeros: 2026年12月6日."""
    return f"{day.year}年{day.month}月{day.day}日"


# What may follow w:pBdr in a w:pPr (ECMA-376 order): borders go before these.
_AFTER_PBDR = (
    "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap",
    "w:overflowPunct", "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi",
    "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing",
    "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment",
    "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr",
    "w:pPrChange",
)  # fmt: skip


def _fonts(rpr: Any, east_asia: str) -> None:
    fonts = rpr.get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attr), L.LATIN_FONT)
    fonts.set(qn("w:eastAsia"), east_asia)


def _style(doc: Any, element: L.Element, *, first_line_chars: int = 0) -> Any:
    style = doc.styles.add_style(element.style, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = doc.styles["Normal"]
    font = style.font
    font.size = Pt(element.size)
    font.bold = element.bold
    font.color.rgb = RGBColor.from_string(L.RED if element.red else "000000")
    _fonts(style.element.get_or_add_rPr(), element.font)
    fmt = style.paragraph_format
    fmt.alignment = ALIGN[element.align]
    fmt.space_before = fmt.space_after = Pt(0)
    if first_line_chars:
        ind = style.element.get_or_add_pPr().get_or_add_ind()
        ind.set(qn("w:firstLineChars"), str(first_line_chars * 100))
        ind.set(qn("w:firstLine"), str(round(first_line_chars * element.size * L.TWIPS_PER_PT)))
    return style


def _border(paragraph: Any, edges: dict[str, tuple[int, str]], space: int = 1) -> None:
    """Lines as paragraph borders: {edge: (eighths of a point, colour)}."""
    ppr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    for edge, (size, color) in edges.items():
        line = OxmlElement(f"w:{edge}")
        line.set(qn("w:val"), "single")
        line.set(qn("w:sz"), str(size))
        line.set(qn("w:space"), str(space))
        line.set(qn("w:color"), color)
        borders.append(line)
    ppr.insert_element_before(borders, *_AFTER_PBDR)


def _indent(paragraph: Any, *, left_chars: int = 0, right_chars: int = 0, size: float) -> None:
    ind = paragraph._p.get_or_add_pPr().get_or_add_ind()
    if left_chars:
        ind.set(qn("w:leftChars"), str(left_chars * 100))
        ind.set(qn("w:left"), str(round(left_chars * size * L.TWIPS_PER_PT)))
    if right_chars:
        ind.set(qn("w:rightChars"), str(right_chars * 100))
        ind.set(qn("w:right"), str(round(right_chars * size * L.TWIPS_PER_PT)))


def _signer(number: Any, signer: str) -> None:
    """GB/T 9704 7.2.4: with a 签发人 the 发文字号 stands left, one character in, and on the same
    line, one character from the right edge, "签发人" and a full-width colon in 3号仿宋 and the
    name in 3号楷体 (a right tab stop one character inside the 版心)."""
    number.alignment = ALIGN["left"]
    # A first-line indent, not a left one: the red divider (the paragraph's bottom border)
    # follows a left indent and would no longer span the 版心.
    ind = number._p.get_or_add_pPr().get_or_add_ind()
    ind.set(qn("w:firstLineChars"), "100")
    ind.set(qn("w:firstLine"), str(round(L.SIZE_3 * L.TWIPS_PER_PT)))
    tabs = number._p.get_or_add_pPr().get_or_add_tabs()
    tab = OxmlElement("w:tab")
    tab.set(qn("w:val"), "right")
    tab.set(qn("w:pos"), str(L.twips(L.TEXT_WIDTH_MM) - round(L.SIZE_3 * L.TWIPS_PER_PT)))
    tabs.append(tab)
    number.add_run("\t签发人：")
    name = number.add_run(signer)
    _fonts(name._r.get_or_add_rPr(), L.SIGNER_FONT)


def _section(doc: Any) -> Any:
    section = doc.sections[0]
    section.start_type = WD_SECTION.NEW_PAGE
    section.page_width, section.page_height = Mm(L.PAGE_WIDTH_MM), Mm(L.PAGE_HEIGHT_MM)
    section.top_margin, section.bottom_margin = Mm(L.TOP_MM), Mm(L.BOTTOM_MM)
    section.left_margin, section.right_margin = Mm(L.BINDING_MM), Mm(L.OUTER_MM)
    section.header_distance = Mm(15)
    # The page number's line sits 7 mm below the 版心 (its text about 5 mm high).
    section.footer_distance = Mm(L.BOTTOM_MM - 7 - 5)
    grid = section._sectPr.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        section._sectPr.append(grid)
    grid.set(qn("w:type"), "linesAndChars")
    grid.set(qn("w:linePitch"), str(L.LINE_PITCH_TWIPS))
    grid.set(qn("w:charSpace"), str(L.CHAR_SPACE))
    return section


def _page_number(footer: Any, style: Any, *, odd: bool) -> None:
    """— 1 —: odd pages on the right, even pages on the left, one character in."""
    footer.is_linked_to_previous = False
    paragraph = footer.paragraphs[0]
    paragraph.style = style
    paragraph.alignment = ALIGN["right" if odd else "left"]
    if odd:
        _indent(paragraph, right_chars=1, size=L.SIZE_4)
    else:
        _indent(paragraph, left_chars=1, size=L.SIZE_4)
    paragraph.add_run("— ")
    field_ = OxmlElement("w:fldSimple")
    field_.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field_.append(run)
    paragraph._p.append(field_)
    paragraph.add_run(" —")


def _defaults(doc: Any) -> None:
    """The document defaults: 3号仿宋, Chinese text, no spacing of their own — the grid's
    character pitch is counted from this size (Word and LibreOffice alike)."""
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    fonts = rpr.find(qn("w:rFonts"))
    for attr in list(fonts.attrib):
        del fonts.attrib[attr]
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attr), L.LATIN_FONT)
    fonts.set(qn("w:eastAsia"), L.BODY_FONT)
    for tag in ("w:sz", "w:szCs"):
        rpr.find(qn(tag)).set(qn("w:val"), str(round(L.SIZE_3 * 2)))
    rpr.find(qn("w:lang")).set(qn("w:eastAsia"), "zh-CN")
    spacing = defaults.find(qn("w:pPrDefault")).find(qn("w:pPr")).find(qn("w:spacing"))
    spacing.set(qn("w:after"), "0")
    spacing.set(qn("w:line"), "240")


def write(document: OfficialDocument) -> bytes:
    doc = Document()
    _defaults(doc)
    normal = doc.styles["Normal"]
    normal.font.size = Pt(L.SIZE_3)
    _fonts(normal.element.get_or_add_rPr(), L.BODY_FONT)
    section = _section(doc)
    styles = {
        e.style: _style(doc, e) for e in L.ELEMENTS if e not in (L.BODY, *L.HEADINGS.values())
    }
    styles[L.BODY.style] = _style(doc, L.BODY, first_line_chars=2)
    for element in L.HEADINGS.values():
        styles[element.style] = _style(doc, element, first_line_chars=2)
        # A heading never stands alone at the foot of a page: it goes over with what it heads.
        styles[element.style].paragraph_format.keep_with_next = True
    table_style = _style(doc, L.TABLE_TEXT)
    number_style = _style(doc, L.PAGE_NUMBER)
    doc.settings.odd_and_even_pages_header_footer = True
    _page_number(section.footer, number_style, odd=True)
    _page_number(section.even_page_footer, number_style, odd=False)

    def add(text: str, element: L.Element) -> Any:
        return doc.add_paragraph(text, style=styles[element.style])

    first = doc.paragraphs[0] if doc.paragraphs else None
    mark = add(document.mark, L.MARK)
    mark.paragraph_format.space_before = Mm(35 - 10)  # 上边缘至版心上边缘 35 mm
    if first is not None:
        first._p.getparent().remove(first._p)
    add("", L.NUMBER)
    number = add(document.number, L.NUMBER)
    if document.signer:
        _signer(number, document.signer)
    _border(number, {"bottom": (12, L.RED)}, space=11)  # 红色分隔线：发文字号下 4 mm
    add("", L.BODY)
    add("", L.BODY)
    add(document.title, L.TITLE)
    add("", L.BODY)
    add(f"{document.addressees}：", L.ADDRESSEES)
    for block in document.body:
        if isinstance(block, Heading):
            add(block.text, L.HEADINGS[block.level])
        elif isinstance(block, Paragraph):
            add(block.text, L.BODY)
        elif isinstance(block, Table):
            _table(doc, block, table_style, styles[L.BODY.style])
        else:
            picture = doc.add_paragraph(style=table_style)
            picture.add_run().add_picture(io.BytesIO(block.png), width=Mm(block.width_mm))
            if block.caption:
                doc.add_paragraph(block.caption, style=table_style)
    add("", L.BODY)
    dated = chinese_date(document.dated)
    signature = add(document.signature, L.SIGNATURE)
    # 署名 centred over the date, which stands four characters in from the right.
    offset = max(0, round(4 + (_width(dated) - _width(document.signature)) / 2))
    _indent(signature, right_chars=offset, size=L.SIZE_3)
    _indent(add(dated, L.DATE), right_chars=4, size=L.SIZE_3)
    add("", L.BODY)
    _record(doc, document, styles[L.RECORD.style])
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _width(text: str) -> float:
    return sum(1 if ord(c) > 0x2E80 else 0.5 for c in text)


def _table(doc: Any, block: Table, style: Any, caption_style: Any) -> None:
    if block.caption:
        caption = doc.add_paragraph(block.caption, style=style)
        caption.runs[0].bold = True
        caption.paragraph_format.keep_with_next = True  # the caption stays over its table
    table = doc.add_table(rows=1 + len(block.rows), cols=len(block.header))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for row_index, values in enumerate([block.header, *block.rows]):
        for cell, value in zip(table.rows[row_index].cells, values, strict=True):
            cell.text = ""
            paragraph = cell.paragraphs[0]
            paragraph.style = style
            run = paragraph.add_run(str(value))
            run.bold = row_index == 0


def _record(doc: Any, document: OfficialDocument, style: Any) -> None:
    """版记: 抄送 and 印发 between a thick first line, thin middle lines and a thick last line."""
    thick, thin = (8, "000000"), (6, "000000")  # 0.35 mm and about 0.25 mm
    if document.copies_to:
        copies = doc.add_paragraph(f"抄送：{'，'.join(document.copies_to)}。", style=style)
        _indent(copies, left_chars=1, right_chars=1, size=L.SIZE_4)
        _border(copies, {"top": thick, "bottom": thin})
    printed = doc.add_paragraph(style=style)
    printed.add_run(f"{document.printer}\t{chinese_date(document.printed_on)}印发")
    _indent(printed, left_chars=1, right_chars=1, size=L.SIZE_4)
    tabs = printed._p.get_or_add_pPr().get_or_add_tabs()
    tab = OxmlElement("w:tab")
    tab.set(qn("w:val"), "right")
    tab.set(qn("w:pos"), str(L.twips(L.TEXT_WIDTH_MM) - round(L.SIZE_4 * L.TWIPS_PER_PT)))
    tabs.append(tab)
    edges = {"bottom": thick} if document.copies_to else {"top": thick, "bottom": thick}
    _border(printed, edges)

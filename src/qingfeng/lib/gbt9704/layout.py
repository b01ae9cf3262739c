"""The numbers of GB/T 9704-2012 that the writer applies and the checker verifies.

Page A4; 天头 (top margin) 37 mm, 订口 (binding-side margin) 28 mm, 版心 156 × 225 mm, so the
bottom margin is 35 mm and the outer one 26 mm; 22 lines of 28 characters of 3号 (16 pt).
Fonts by element (字号 in points: 2号 22, 3号 16, 4号 14). The official fonts are named as
they are on an office machine (方正小标宋简体, 仿宋_GB2312, 楷体_GB2312, 黑体, 宋体); a machine
without them substitutes (LibreOffice through fontconfig: the Noto CJK or WenQuanYi fonts),
which changes the look of the PDF rendering, not the document.
"""

from __future__ import annotations

from dataclasses import dataclass

MM_PER_INCH = 25.4
TWIPS_PER_PT = 20
PT_PER_MM = 72 / MM_PER_INCH

PAGE_WIDTH_MM, PAGE_HEIGHT_MM = 210.0, 297.0
TOP_MM, BINDING_MM = 37.0, 28.0
TEXT_WIDTH_MM, TEXT_HEIGHT_MM = 156.0, 225.0
BOTTOM_MM = PAGE_HEIGHT_MM - TOP_MM - TEXT_HEIGHT_MM  # 35
OUTER_MM = PAGE_WIDTH_MM - BINDING_MM - TEXT_WIDTH_MM  # 26
LINES, CHARS = 22, 28
MARGIN_TOLERANCE_MM = 1.0
GRID_TOLERANCE = 0.3  # of a line or a character: 27.6 characters are 27 on the page

SIZE_2, SIZE_3, SIZE_4 = 22.0, 16.0, 14.0

TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
HEADING_FONTS = {1: "黑体", 2: "楷体_GB2312", 3: BODY_FONT}
SIGNER_FONT = "楷体_GB2312"  # 签发人姓名
PAGE_NUMBER_FONT = "宋体"
LATIN_FONT = "Times New Roman"
RED = "FF0000"


def twips(mm: float) -> int:
    return round(mm * PT_PER_MM * TWIPS_PER_PT)


def mm(twips_: int) -> float:
    return twips_ / TWIPS_PER_PT / PT_PER_MM


LINE_PITCH_TWIPS = round(TEXT_HEIGHT_MM * PT_PER_MM / LINES * TWIPS_PER_PT)
# Word's character grid: the pitch is the default font size plus charSpace/4096 pt.
CHAR_SPACE = round((TEXT_WIDTH_MM * PT_PER_MM / CHARS - SIZE_3) * 4096)


@dataclass(frozen=True)
class Element:
    """A paragraph style of the document: its name and what the layout requires of it."""

    style: str
    font: str
    size: float
    bold: bool = False
    red: bool = False
    align: str = "both"  # left | center | right | both


MARK = Element("公文-发文机关标志", TITLE_FONT, 36.0, red=True, align="center")
NUMBER = Element("公文-发文字号", BODY_FONT, SIZE_3, align="center")
TITLE = Element("公文-标题", TITLE_FONT, SIZE_2, align="center")
ADDRESSEES = Element("公文-主送机关", BODY_FONT, SIZE_3, align="left")
BODY = Element("公文-正文", BODY_FONT, SIZE_3)
HEADINGS = {
    1: Element("公文-一级标题", HEADING_FONTS[1], SIZE_3),
    2: Element("公文-二级标题", HEADING_FONTS[2], SIZE_3),
    3: Element("公文-三级标题", HEADING_FONTS[3], SIZE_3, bold=True),
}
SIGNATURE = Element("公文-发文机关署名", BODY_FONT, SIZE_3, align="right")
DATE = Element("公文-成文日期", BODY_FONT, SIZE_3, align="right")
RECORD = Element("公文-版记", BODY_FONT, SIZE_4, align="left")
TABLE_TEXT = Element("公文-表格", BODY_FONT, 12.0, align="center")
PAGE_NUMBER = Element("公文-页码", PAGE_NUMBER_FONT, SIZE_4)

ELEMENTS = (MARK, NUMBER, TITLE, ADDRESSEES, BODY, *HEADINGS.values(), SIGNATURE, DATE, RECORD)
REQUIRED = (MARK, NUMBER, TITLE, ADDRESSEES, BODY, SIGNATURE, DATE, RECORD)

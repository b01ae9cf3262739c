"""Checking a .docx against the GB/T 9704-2012 layout: page set-up, the line and character
grid, the fonts, sizes, colours and alignment of every element, the red header and divider,
the date's numerals, the 版记 and its lines, and the page numbers. Each deviation is named.

Elements are found by their paragraph style (公文-标题 …, as the writer names them); an
element's font is the run's own when it sets one, else its style's, else the document's.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from typing import Any

from docx import Document
from docx.oxml.ns import qn

from qingfeng.lib.gbt9704 import layout as L


@dataclass(frozen=True)
class Deviation:
    element: str
    message: str

    def __str__(self) -> str:
        return f"{self.element}：{self.message}"


DATE = re.compile(r"^[1-9]\d{3}年[1-9]\d?月[1-9]\d?日$")
PRINTED = re.compile(r"[1-9]\d{3}年[1-9]\d?月[1-9]\d?日印发$")
ALIGN_NAMES = {"left": "左对齐", "center": "居中", "right": "右对齐", "both": "两端对齐"}


def check(data: bytes) -> list[Deviation]:
    """Every deviation of the document from the layout (an empty list when it conforms)."""
    try:
        doc = Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        return [Deviation("文件", f"不是可读取的 .docx 文件（{exc.__class__.__name__}）")]
    found: list[Deviation] = []
    found += _page(doc)
    found += _elements(doc)
    found += _record(doc)
    found += _page_numbers(doc)
    return found


def _near(value: float, wanted: float, tolerance: float) -> bool:
    return abs(value - wanted) <= tolerance


def _page(doc: Any) -> list[Deviation]:
    out: list[Deviation] = []
    section = doc.sections[0]
    width, height = section.page_width.mm, section.page_height.mm
    if not (_near(width, L.PAGE_WIDTH_MM, 0.5) and _near(height, L.PAGE_HEIGHT_MM, 0.5)):
        out.append(
            Deviation("页面", f"纸张应为 A4（210×297 mm），实为 {width:.1f}×{height:.1f} mm")
        )
    tol = L.MARGIN_TOLERANCE_MM
    top, left = section.top_margin.mm, section.left_margin.mm
    if not _near(top, L.TOP_MM, tol):
        out.append(Deviation("页面", f"天头应为 37 mm，实为 {top:.1f} mm"))
    if not _near(left, L.BINDING_MM, tol):
        out.append(Deviation("页面", f"订口应为 28 mm，实为 {left:.1f} mm"))
    text_w = width - left - section.right_margin.mm
    text_h = height - top - section.bottom_margin.mm
    if not (_near(text_w, L.TEXT_WIDTH_MM, tol) and _near(text_h, L.TEXT_HEIGHT_MM, tol)):
        out.append(Deviation("页面", f"版心应为 156×225 mm，实为 {text_w:.1f}×{text_h:.1f} mm"))
    grid = section._sectPr.find(qn("w:docGrid"))
    pitch = int(grid.get(qn("w:linePitch"), "0")) if grid is not None else 0
    if grid is None or grid.get(qn("w:type")) not in {"lines", "linesAndChars"} or not pitch:
        out.append(Deviation("页面", "未设置文档网格：每页应为 22 行"))
    else:
        lines = text_h * L.PT_PER_MM * L.TWIPS_PER_PT / pitch
        if abs(lines - L.LINES) > L.GRID_TOLERANCE:
            out.append(Deviation("页面", f"每页应为 22 行，实为 {lines:.1f} 行"))
        if grid.get(qn("w:type")) != "linesAndChars":
            out.append(Deviation("页面", "未设置字符网格：每行应为 28 个字"))
        else:
            size = _size(doc.styles["Normal"].element) or L.SIZE_3
            char_pitch = size + int(grid.get(qn("w:charSpace"), "0")) / 4096
            chars = text_w * L.PT_PER_MM / char_pitch
            if abs(chars - L.CHARS) > L.GRID_TOLERANCE:
                out.append(Deviation("页面", f"每行应为 28 个字，实为 {chars:.1f} 个字"))
    return out


def _size(element: Any) -> float | None:
    rpr = element.find(qn("w:rPr"))
    node = rpr.find(qn("w:sz")) if rpr is not None else None
    return int(node.get(qn("w:val"))) / 2 if node is not None else None


def _rpr_value(element: Any, tag: str, attr: str = "w:val") -> str | None:
    rpr = element.find(qn("w:rPr"))
    node = rpr.find(qn(tag)) if rpr is not None else None
    if node is None:
        return None
    return node.get(qn(attr), "true") if attr else "true"


def _effective(paragraph: Any, run: Any, doc: Any) -> dict[str, Any]:
    """The run's font, size, bold and colour: its own, else its style chain's, else Normal's."""
    chain: list[Any] = [run._r] if run is not None else []
    style = paragraph.style
    while style is not None:
        chain.append(style.element)
        style = style.base_style
    chain.append(doc.styles["Normal"].element)
    result: dict[str, Any] = {}
    for node in chain:
        if "font" not in result:
            value = _rpr_value(node, "w:rFonts", "w:eastAsia")
            if value:
                result["font"] = value
        if "size" not in result:
            size = _size(node)
            if size is not None:
                result["size"] = size
        if "bold" not in result:
            bold = _rpr_value(node, "w:b")
            if bold is not None:
                result["bold"] = bold not in {"0", "false"}
        if "color" not in result:
            color = _rpr_value(node, "w:color")
            if color:
                result["color"] = color.upper()
    return result


def _is_red(color: str | None) -> bool:
    if not color or len(color) != 6 or color == "AUTO":
        return False
    r, g, b = (int(color[i : i + 2], 16) for i in (0, 2, 4))
    return r >= 0xC0 and g <= 0x40 and b <= 0x40


def _alignment(paragraph: Any) -> str:
    value = paragraph.alignment
    if value is None:
        style = paragraph.style
        while style is not None and value is None:
            value = style.paragraph_format.alignment
            style = style.base_style
    names = {0: "left", 1: "center", 2: "right", 3: "both"}
    return names.get(int(value), "left") if value is not None else "left"


def _paragraphs(doc: Any, element: L.Element) -> list[Any]:
    return [p for p in doc.paragraphs if p.style is not None and p.style.name == element.style]


def _font_ok(font: str | None, wanted: str) -> bool:
    if not font:
        return False
    key = {"方正小标宋简体": "小标宋", "仿宋_GB2312": "仿宋", "楷体_GB2312": "楷体"}.get(
        wanted, wanted
    )
    return key in font


def _elements(doc: Any) -> list[Deviation]:
    out: list[Deviation] = []
    name = {e.style: e.style.removeprefix("公文-") for e in L.ELEMENTS}
    for element in L.ELEMENTS:
        paragraphs = [p for p in _paragraphs(doc, element) if p.text.strip()]
        label = name[element.style]
        if not paragraphs:
            if element in L.REQUIRED:
                out.append(Deviation(label, "缺少此要素"))
            continue
        for paragraph in paragraphs:
            out += _element(doc, paragraph, element, label)
    marks = [p for p in _paragraphs(doc, L.NUMBER) if p.text.strip()]
    if marks and not _red_line_below(marks[0]):
        out.append(Deviation("红色分隔线", "发文字号之下应有与版心等宽的红色分隔线"))
    for paragraph in _paragraphs(doc, L.DATE):
        if paragraph.text.strip() and not DATE.match(paragraph.text.strip()):
            out.append(
                Deviation("成文日期", f"应用阿拉伯数字写全年月日且不编虚位，实为“{paragraph.text}”")
            )
    for paragraph in _paragraphs(doc, L.ADDRESSEES):
        if paragraph.text.strip() and not paragraph.text.strip().endswith("："):
            out.append(Deviation("主送机关", "应以全角冒号结尾"))
    return out


def _element(doc: Any, paragraph: Any, element: L.Element, label: str) -> list[Deviation]:
    out: list[Deviation] = []
    excerpt = paragraph.text.strip()[:12]
    runs = [r for r in paragraph.runs if r.text.strip()] or [None]
    seen: set[str] = set()
    signed = element is L.NUMBER and "签发人：" in paragraph.text
    if signed:
        out += _signer(paragraph)
    after_colon = False
    for run in runs:
        eff = _effective(paragraph, run, doc)
        problems = []
        # With a 签发人, the name after "签发人：" is in 楷体; the rest of the line in 仿宋.
        font = L.SIGNER_FONT if signed and after_colon else element.font
        if run is not None and run.text.rstrip().endswith("签发人："):
            after_colon = True
        if not _font_ok(eff.get("font"), font):
            problems.append(f"字体应为{font}，实为{eff.get('font') or '未设置'}")
        if eff.get("size") != element.size:
            problems.append(f"字号应为 {element.size:g} 磅，实为 {eff.get('size', '未设置')} 磅")
        if bool(eff.get("bold")) != element.bold:
            problems.append("应加粗" if element.bold else "不应加粗")
        if element.red != _is_red(eff.get("color")):
            problems.append("应为红色" if element.red else "不应为红色")
        for problem in problems:
            if problem not in seen:
                seen.add(problem)
                out.append(Deviation(label, f"“{excerpt}”{problem}"))
    align = _alignment(paragraph)
    if signed:
        align = element.align  # a signed 发文字号 stands left: _signer checks its place
    if element.align in {"center", "right"} and align != element.align:
        out.append(
            Deviation(label, f"“{excerpt}”应{ALIGN_NAMES[element.align]}，实为{ALIGN_NAMES[align]}")
        )
    return out


def _signer(paragraph: Any) -> list[Deviation]:
    """7.2.4: the 发文字号 left, one character in; 签发人 right, one character in (a right tab
    stop one 3号 character inside the 版心); the name in its own run, after the colon."""
    out: list[Deviation] = []
    ppr = paragraph._p.pPr
    ind = ppr.find(qn("w:ind")) if ppr is not None else None
    if ind is None or ind.get(qn("w:firstLineChars")) != "100":
        out.append(Deviation("签发人", "有签发人时发文字号应居左空一字"))
    right = L.twips(L.TEXT_WIDTH_MM) - round(L.SIZE_3 * L.TWIPS_PER_PT)
    tabs = ppr.find(qn("w:tabs")) if ppr is not None else None
    stops = [] if tabs is None else tabs.findall(qn("w:tab"))
    if not any(t.get(qn("w:val")) == "right" and abs(int(t.get(qn("w:pos"), "0")) - right) <= 20
               for t in stops):  # fmt: skip
        out.append(Deviation("签发人", "签发人应居右空一字（版心右侧一字处的右对齐制表位）"))
    if not paragraph.text.split("签发人：", 1)[1].strip():
        out.append(Deviation("签发人", "签发人后应有姓名"))
    return out


def _borders(paragraph: Any) -> dict[str, tuple[int, str]]:
    ppr = paragraph._p.pPr
    node = ppr.find(qn("w:pBdr")) if ppr is not None else None
    result: dict[str, tuple[int, str]] = {}
    if node is None:
        return result
    for edge in ("top", "bottom"):
        line = node.find(qn(f"w:{edge}"))
        if line is not None and line.get(qn("w:val")) not in {None, "nil", "none"}:
            result[edge] = (int(line.get(qn("w:sz"), "0")), line.get(qn("w:color"), "").upper())
    return result


def _red_line_below(paragraph: Any) -> bool:
    line = _borders(paragraph).get("bottom")
    return line is not None and _is_red(line[1])


def _record(doc: Any) -> list[Deviation]:
    out: list[Deviation] = []
    lines = [p for p in _paragraphs(doc, L.RECORD) if p.text.strip()]
    if not lines:
        return out  # already named as missing
    printed = lines[-1]
    if not PRINTED.search(printed.text.strip()):
        out.append(Deviation("版记", "最后一行应为印发机关和印发日期（如“2026年12月6日印发”）"))
    for line in lines[:-1]:
        if not line.text.strip().startswith("抄送："):
            out.append(Deviation("版记", f"“{line.text.strip()[:12]}”应以“抄送：”开头"))
    first, last = _borders(lines[0]).get("top"), _borders(printed).get("bottom")
    if first is None or last is None:
        out.append(Deviation("版记", "首条和末条分隔线缺失"))
    elif min(first[0], last[0]) < 8 or _is_red(first[1]) or _is_red(last[1]):
        out.append(Deviation("版记", "首条和末条分隔线应为黑色粗线（0.35 mm）"))
    return out


def _page_numbers(doc: Any) -> list[Deviation]:
    out: list[Deviation] = []
    section = doc.sections[0]
    if not doc.settings.odd_and_even_pages_header_footer:
        out.append(Deviation("页码", "未设置奇偶页不同：单页码居右、双页码居左"))
    for footer, wanted, which in (
        (section.footer, "right", "单页"),
        (section.even_page_footer, "left", "双页"),
    ):
        if footer.is_linked_to_previous and which == "双页" and out:
            continue
        paragraphs = [p for p in footer.paragraphs if "PAGE" in p._p.xml]
        if not paragraphs:
            out.append(Deviation("页码", f"{which}页脚没有页码"))
            continue
        paragraph = paragraphs[0]
        if not (paragraph.text.startswith("— ") and paragraph.text.endswith(" —")):
            out.append(Deviation("页码", f"{which}页码应为“— 1 —”样式（一字线）"))
        if _alignment(paragraph) != wanted:
            out.append(Deviation("页码", f"{which}页码应{ALIGN_NAMES[wanted]}"))
        eff = _effective(paragraph, paragraph.runs[0] if paragraph.runs else None, doc)
        if eff.get("size") != L.SIZE_4 or not _font_ok(eff.get("font"), L.PAGE_NUMBER_FONT):
            out.append(Deviation("页码", f"{which}页码应为 4 号（14 磅）半角宋体"))
    return out

"""The printable A4 poster of a unit's QR code (PDF, reportlab).

PDF embeds TrueType outlines only, so the Chinese text needs a TrueType font with CJK glyphs
(Debian: fonts-wqy-microhei; `make system-deps` installs it). Without one — or when the font
lacks a character of the text — the poster is refused with `PosterFontError`: a poster with
empty boxes where the unit's name should be is worse than none. The font is embedded as a
subset (only the glyphs used), so a page stays small.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import segno
from django.conf import settings
from django.db.models import Max, Min
from django.utils.translation import gettext as _
from reportlab.lib.colors import HexColor, white
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.pdfgen.canvas import Canvas

from qingfeng.intake.models import TicketCategory

# Where Debian's TrueType CJK fonts live, best first (package in the comment).
DEBIAN_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",  # fonts-wqy-microhei
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",  # fonts-wqy-zenhei
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",  # fonts-droid-fallback
)
FONT_PACKAGE = "fonts-wqy-microhei"
BLUE = HexColor("#1d5fa8")
INK = HexColor("#1f2937")
GREY = HexColor("#4b5563")
WIDTH, HEIGHT = A4
MARGIN = 48.0
QR_SIDE = 300.0

_fonts: dict[tuple[str, float], TTFont] = {}
_fonts_lock = threading.Lock()


class PosterFontError(Exception):
    """No usable CJK font: the message says what to install or set (Chinese)."""


@dataclass(frozen=True)
class Poster:
    unit_name: str
    url: str
    code: segno.QRCode
    issuer: str = ""  # the bureau that runs the channel, in the footer


def find_font_file() -> Path:
    """QF_POSTER_FONT when set (and then only that file), else the first Debian font found."""
    if settings.QF_POSTER_FONT:
        path = Path(settings.QF_POSTER_FONT)
        if not path.is_file():
            raise PosterFontError(
                _(
                    "海报字体文件不存在：%(path)s。请检查 QF_POSTER_FONT 设置，"
                    "或安装系统软件包 %(package)s 并清空该设置。"
                )
                % {"path": path, "package": FONT_PACKAGE}
            )
        return path
    for candidate in DEBIAN_FONTS:
        if Path(candidate).is_file():
            return Path(candidate)
    raise PosterFontError(
        _(
            "服务器上没有可用于海报的中文字体。请安装系统软件包 %(package)s"
            "（sudo apt-get install %(package)s，或运行 make system-deps），"
            "或用 QF_POSTER_FONT 指定一个 TrueType 中文字体文件。"
        )
        % {"package": FONT_PACKAGE}
    )


def load_font() -> TTFont:
    """The poster font, registered with reportlab once per file version and process."""
    path = find_font_file()
    key = (str(path), path.stat().st_mtime)
    with _fonts_lock:
        font = _fonts.get(key)
        if font is None:
            try:
                # A TrueType collection (.ttc) holds several faces: the first is the regular one.
                font = TTFont(f"QFPoster{len(_fonts)}", str(path), subfontIndex=0)
            except (TTFError, OSError) as exc:
                raise PosterFontError(
                    _(
                        "海报字体 %(path)s 无法使用（PDF 只能嵌入 TrueType 字体）：%(error)s。"
                        "请安装系统软件包 %(package)s。"
                    )
                    % {"path": path, "error": exc, "package": FONT_PACKAGE}
                ) from exc
            pdfmetrics.registerFont(font)
            _fonts[key] = font
    return font


def check_glyphs(font: TTFont, texts: Sequence[str]) -> None:
    """Refuse text the font cannot show, rather than print empty boxes."""
    known = font.face.charToGlyph
    missing = sorted(
        {ch for text in texts for ch in text if not ch.isspace() and ord(ch) not in known}
    )
    if missing:
        raise PosterFontError(
            _("海报字体缺少这些字符：%(chars)s。请用 QF_POSTER_FONT 指定字符更全的中文字体。")
            % {"chars": "".join(missing)}
        )


def deadline_text() -> str:
    """受理/办结 deadlines as the landing page states them (the active categories' range)."""
    limits = TicketCategory.objects.filter(is_active=True).aggregate(
        accept_min=Min("accept_days"),
        accept_max=Max("accept_days"),
        reply_min=Min("reply_days"),
        reply_max=Max("reply_days"),
    )
    if limits["accept_min"] is None:
        return ""

    def span(low: int, high: int) -> str:
        return str(low) if low == high else f"{low}–{high}"

    return _("受理 %(a)s 个工作日 · 办结 %(r)s 个工作日") % {
        "a": span(limits["accept_min"], limits["accept_max"]),
        "r": span(limits["reply_min"], limits["reply_max"]),
    }


def _fit(text: str, font: str, size: float, *, smallest: float, width: float) -> float:
    while size > smallest and pdfmetrics.stringWidth(text, font, size) > width:
        size -= 1
    return size


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Break by character (Chinese has no spaces to break at)."""
    lines, line = [], ""
    for ch in text:
        if line and pdfmetrics.stringWidth(line + ch, font, size) > width:
            lines.append(line)
            line = ""
        line += ch
    return [*lines, line] if line else lines


def _draw_code(canvas: Canvas, code: segno.QRCode, *, x: float, y: float, side: float) -> None:
    """The code as vector squares (sharp at any print size), one rectangle per dark run."""
    rows = [list(row) for row in code.matrix_iter(scale=1, border=4)]
    module = side / len(rows)
    canvas.setFillColor(INK)
    for r, row in enumerate(rows):
        top = y + side - (r + 1) * module
        c = 0
        while c < len(row):
            if row[c]:
                start = c
                while c < len(row) and row[c]:
                    c += 1
                canvas.rect(x + start * module, top, (c - start) * module, module, 0, 1)
            else:
                c += 1


def _centre(canvas: Canvas, text: str, font: str, size: float, y: float) -> None:
    canvas.setFont(font, size)
    canvas.drawCentredString(WIDTH / 2, y, text)


def _page(canvas: Canvas, poster: Poster, font: str, *, deadlines: str, hotline: str) -> None:
    canvas.setFillColor(BLUE)
    canvas.rect(0, HEIGHT - 170, WIDTH, 170, 0, 1)
    canvas.setFillColor(white)
    _centre(canvas, _("作风建设直通车"), font, 44, HEIGHT - 88)
    _centre(canvas, _("扫码反映问题"), font, 24, HEIGHT - 136)

    canvas.setFillColor(INK)
    size = _fit(poster.unit_name, font, 28, smallest=18, width=WIDTH - 2 * MARGIN)
    lines = _wrap(poster.unit_name, font, size, WIDTH - 2 * MARGIN)[:3]
    for i, line in enumerate(lines):
        _centre(canvas, line, font, size, HEIGHT - 218 - i * (size + 6))
    qr_top = HEIGHT - 232 - len(lines) * (size + 6)
    _draw_code(canvas, poster.code, x=(WIDTH - QR_SIDE) / 2, y=qr_top - QR_SIDE, side=QR_SIDE)

    y = qr_top - QR_SIDE - 14
    canvas.setFillColor(GREY)
    _centre(canvas, poster.url, font, _fit(poster.url, font, 14, smallest=9, width=WIDTH - 96), y)
    canvas.setFillColor(INK)
    if hotline:
        y -= 34
        _centre(canvas, _("监督热线：%(n)s") % {"n": hotline}, font, 20, y)
    y -= 40
    _centre(canvas, _("可以投诉、举报，也可以提意见建议"), font, 16, y)
    y -= 32
    _centre(canvas, _("匿名可选 · 回执码查询进度 · 信息加密保护"), font, 16, y)
    if deadlines:
        y -= 30
        _centre(canvas, deadlines, font, 16, y)
    if poster.issuer:
        canvas.setFillColor(GREY)
        _centre(canvas, poster.issuer, font, 12, MARGIN)


def render(posters: Sequence[Poster]) -> bytes:
    """One A4 page per poster. Raises PosterFontError when the text cannot be set properly."""
    font = load_font()
    deadlines = deadline_text()
    hotline = settings.QF_HOTLINE_NUMBER
    fixed = [
        _("作风建设直通车"),
        _("扫码反映问题"),
        _("监督热线：%(n)s") % {"n": hotline} if hotline else "",
        _("可以投诉、举报，也可以提意见建议"),
        _("匿名可选 · 回执码查询进度 · 信息加密保护"),
        deadlines,
    ]
    check_glyphs(font, fixed + [p.unit_name + p.url + p.issuer for p in posters])
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1, initialFontName=font.fontName)
    if len(posters) == 1:
        canvas.setTitle(f"{_('作风建设直通车')} · {posters[0].unit_name}")
    else:
        canvas.setTitle(_("作风建设直通车"))
    canvas.setCreator("Qingfeng")
    for poster in posters:
        _page(canvas, poster, font.fontName, deadlines=deadlines, hotline=hotline)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()

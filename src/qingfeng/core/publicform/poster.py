"""Printable A4 posters of QR codes (PDF, reportlab): a coloured banner with the form's
title, the name of the place the code belongs to, the code, its address, the form's own
lines of text, and the issuer in the footer. The form gives the words (`Wording`); one page
per `Poster`.

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

from django.conf import settings
from django.utils.translation import gettext as _
from reportlab.lib.colors import HexColor, white
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.pdfgen.canvas import Canvas

from qingfeng.lib import qr

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
QR_SIDE_SMALLEST = 200.0  # still scans from a metre or two

_fonts: dict[tuple[str, float], TTFont] = {}
_fonts_lock = threading.Lock()


class PosterFontError(Exception):
    """No usable CJK font: the message says what to install or set (Chinese)."""


@dataclass(frozen=True)
class Poster:
    name: str  # of the place the code belongs to (a unit), large above the code
    url: str  # what the code opens, also printed under it
    issuer: str = ""  # who runs the form, in the footer
    # This page's own lines after the form's (a unit's coming reception days, say): each
    # shrunk to the page's width, the code made smaller where they need the room.
    lines: tuple[Line, ...] = ()


@dataclass(frozen=True)
class Line:
    """A line of the form's text under the code: `gap` points below the line before it."""

    text: str
    size: float = 16
    gap: float = 32


@dataclass(frozen=True)
class Wording:
    """The form's words on every poster: the banner's title and subtitle (the title is also
    the document's), and the lines under the code."""

    title: str
    subtitle: str
    lines: tuple[Line, ...] = ()


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


def _centre(canvas: Canvas, text: str, font: str, size: float, y: float) -> None:
    canvas.setFont(font, size)
    canvas.drawCentredString(WIDTH / 2, y, text)


def _page(canvas: Canvas, poster: Poster, font: str, wording: Wording) -> None:
    canvas.setFillColor(BLUE)
    canvas.rect(0, HEIGHT - 170, WIDTH, 170, 0, 1)
    canvas.setFillColor(white)
    _centre(canvas, wording.title, font, 44, HEIGHT - 88)
    _centre(canvas, wording.subtitle, font, 24, HEIGHT - 136)

    canvas.setFillColor(INK)
    size = _fit(poster.name, font, 28, smallest=18, width=WIDTH - 2 * MARGIN)
    names = _wrap(poster.name, font, size, WIDTH - 2 * MARGIN)[:3]
    for i, part in enumerate(names):
        _centre(canvas, part, font, size, HEIGHT - 218 - i * (size + 6))
    qr_top = HEIGHT - 232 - len(names) * (size + 6)
    code = qr.make_code(poster.url)
    # The code as large as the lines under it leave room for, above the issuer's line.
    under = 14 + sum(line.gap for line in (*wording.lines, *poster.lines))
    side = min(QR_SIDE, max(QR_SIDE_SMALLEST, qr_top - under - (MARGIN + 24)))
    qr.draw(canvas, code, x=(WIDTH - side) / 2, y=qr_top - side, side=side)

    y = qr_top - side - 14
    canvas.setFillColor(GREY)
    _centre(canvas, poster.url, font, _fit(poster.url, font, 14, smallest=9, width=WIDTH - 96), y)
    canvas.setFillColor(INK)
    for line in wording.lines:
        y -= line.gap
        _centre(canvas, line.text, font, line.size, y)
    for line in poster.lines:
        y -= line.gap
        fitted = _fit(line.text, font, line.size, smallest=8, width=WIDTH - 2 * MARGIN)
        _centre(canvas, line.text, font, fitted, y)
    if poster.issuer:
        canvas.setFillColor(GREY)
        _centre(canvas, poster.issuer, font, 12, MARGIN)


def render(posters: Sequence[Poster], *, wording: Wording) -> bytes:
    """One A4 page per poster. Raises PosterFontError when the text cannot be set properly."""
    font = load_font()
    fixed = [wording.title, wording.subtitle, *(line.text for line in wording.lines)]
    own = [p.name + p.url + p.issuer + "".join(line.text for line in p.lines) for p in posters]
    check_glyphs(font, fixed + own)
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1, initialFontName=font.fontName)
    if len(posters) == 1:
        canvas.setTitle(f"{wording.title} · {posters[0].name}")
    else:
        canvas.setTitle(wording.title)
    canvas.setCreator("Qingfeng")
    for poster in posters:
        _page(canvas, poster, font.fontName, wording)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()

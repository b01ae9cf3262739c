"""QR codes of addresses: PNG and SVG images, and vector squares drawn into a PDF page."""

from __future__ import annotations

import io

import segno
from reportlab.pdfgen.canvas import Canvas

# "M" survives a little dirt or a fold on a printed poster and keeps the code small.
ERROR_LEVEL = "m"
BORDER = 4  # the quiet zone, in modules, that scanners need around the code


def make_code(url: str) -> segno.QRCode:
    return segno.make(url, error=ERROR_LEVEL, micro=False, boost_error=False)


def png_bytes(code: segno.QRCode, *, scale: int = 10) -> bytes:
    buffer = io.BytesIO()
    code.save(buffer, kind="png", scale=scale, border=BORDER)
    return buffer.getvalue()


def svg_bytes(code: segno.QRCode) -> bytes:
    buffer = io.BytesIO()
    # unit="mm" with scale 1: one module is 1 mm, a sensible size when placed in a document.
    code.save(buffer, kind="svg", scale=1, border=BORDER, unit="mm", xmldecl=True, svgns=True)
    return buffer.getvalue()


def draw(canvas: Canvas, code: segno.QRCode, *, x: float, y: float, side: float) -> None:
    """The code as vector squares (sharp at any print size), one rectangle per dark run, in
    the canvas's fill colour; (x, y) is the lower left corner of a `side`-wide square."""
    rows = [list(row) for row in code.matrix_iter(scale=1, border=BORDER)]
    module = side / len(rows)
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

from __future__ import annotations

from typing import Any, cast
from unittest import TestCase
from xml.etree import ElementTree

from qingfeng.lib import qr

URL = "https://example.org/report/u/42/"


class _Canvas:
    """Records the rectangles a drawing asks for."""

    def __init__(self) -> None:
        self.rects: list[tuple[float, float, float, float]] = []

    def rect(self, x: float, y: float, w: float, h: float, stroke: int, fill: int) -> None:
        self.rects.append((x, y, w, h))


class QrTestCase(TestCase):
    def test_the_drawing_covers_exactly_the_dark_modules(self) -> None:
        code = qr.make_code(URL)
        rows = [list(row) for row in code.matrix_iter(scale=1, border=qr.BORDER)]
        canvas = _Canvas()
        qr.draw(cast(Any, canvas), code, x=10, y=20, side=len(rows))  # one point a module
        covered = {
            (round(20 + len(rows) - y - 1), round(x - 10) + i)
            for x, y, w, _h in canvas.rects
            for i in range(round(w))
        }
        dark = {(r, c) for r, row in enumerate(rows) for c, v in enumerate(row) if v}
        self.assertEqual(covered, dark)
        self.assertLess(len(canvas.rects), len(dark))  # runs, not one square a module

    def test_the_images_are_png_and_svg_in_millimetres(self) -> None:
        code = qr.make_code(URL)
        self.assertTrue(qr.png_bytes(code).startswith(b"\x89PNG\r\n\x1a\n"))
        root = ElementTree.fromstring(qr.svg_bytes(code))  # noqa: S314 - our own output
        side = code.symbol_size(scale=1, border=qr.BORDER)[0]
        self.assertEqual(root.get("width"), f"{side}mm")

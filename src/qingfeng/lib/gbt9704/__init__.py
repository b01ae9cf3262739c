"""Official documents in the GB/T 9704-2012 layout (党政机关公文格式): writing a .docx and
checking one. Knows no domain: the caller gives the elements (版头, 发文字号, 标题, 主送,
正文, 落款, 成文日期, 版记) and the body's blocks.

    layout.py   the standard's numbers (page, 版心, grid, fonts by element) in one place
    writer.py   `write(document) -> bytes` (python-docx)
    checker.py  `check(data) -> list[Deviation]`: each deviation from the layout, named
"""

from __future__ import annotations

from qingfeng.lib.gbt9704.checker import Deviation, check
from qingfeng.lib.gbt9704.writer import Heading, Image, OfficialDocument, Paragraph, Table, write

__all__ = [
    "Deviation",
    "Heading",
    "Image",
    "OfficialDocument",
    "Paragraph",
    "Table",
    "check",
    "write",
]

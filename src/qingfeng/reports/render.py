"""The bulletin's PDF for reading, rendered by LibreOffice (headless) when it is installed.

LibreOffice lays a CJK character on two cells of Word's character grid when the glyph is a
hair wider than the cell (GB/T 9704's 28 characters of 16 pt in 156 mm make the cell 15.8
pt), which halves the characters per line. The copy it renders therefore keeps the line grid
and narrows the characters by the same 0.2 pt instead — the look Word and WPS give the
original. Fonts it lacks are substituted through `fonts.conf` beside this file: serif CJK for
仿宋, 宋体, 楷体 and 小标宋, sans for 黑体.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

from qingfeng.lib.gbt9704 import layout

FONTS_CONF = Path(__file__).with_name("fonts.conf")
TIMEOUT_SECONDS = 120


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def for_libreoffice(data: bytes) -> bytes:
    """The copy LibreOffice renders: the line grid only, characters narrowed to the cell."""
    spacing = round((layout.CHAR_SPACE / 4096) * layout.TWIPS_PER_PT)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w") as zout:
        for item in zin.infolist():
            content = zin.read(item.filename)
            if item.filename == "word/document.xml":
                content = content.replace(b'w:type="linesAndChars"', b'w:type="lines"')
            elif item.filename == "word/styles.xml":
                content = content.replace(
                    b"<w:rPrDefault><w:rPr>",
                    b'<w:rPrDefault><w:rPr><w:spacing w:val="%d"/>' % spacing,
                    1,
                )
            zout.writestr(item, content, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def to_pdf(data: bytes) -> bytes | None:
    """The PDF of a .docx, or None when LibreOffice is not installed."""
    command = soffice()
    if command is None:
        return None
    with tempfile.TemporaryDirectory(prefix="qf-bulletin-") as folder:
        source = Path(folder) / "bulletin.docx"
        source.write_bytes(for_libreoffice(data))
        env = {
            **os.environ,
            "HOME": folder,  # a profile of its own: no clash with another conversion
            "FONTCONFIG_FILE": str(FONTS_CONF),
        }
        subprocess.run(  # noqa: S603
            [command, "--headless", "--convert-to", "pdf", "--outdir", folder, str(source)],
            check=True,
            capture_output=True,
            timeout=TIMEOUT_SECONDS,
            env=env,
        )
        return (Path(folder) / "bulletin.pdf").read_bytes()

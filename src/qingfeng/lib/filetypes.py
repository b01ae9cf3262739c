"""File types told by their content: the first bytes of a file say what it is, whatever its name
claims. Each type knows its extensions and how its first `HEAD` bytes look; an upload check
finds the type by the name's extension and then asks the bytes to agree.

DOCX and XLSX are both ZIP archives: their first bytes cannot tell them apart, only that the
file is an archive and not, say, a program renamed (what is inside is the reader's to check).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

HEAD = 16  # bytes read from the start of a file; enough for every signature below


@dataclass(frozen=True)
class FileType:
    content_type: str
    extensions: tuple[str, ...]  # lower case, with the dot
    matches: Callable[[bytes], bool]  # whether the first HEAD bytes are of this type


def _starts(*signatures: bytes) -> Callable[[bytes], bool]:
    return lambda head: head.startswith(signatures)


def _mpeg_audio(head: bytes) -> bool:
    # An ID3 tag, or straight into an MPEG audio frame (eleven set sync bits).
    return head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] >= 0xE0)


JPEG = FileType("image/jpeg", (".jpg", ".jpeg"), _starts(b"\xff\xd8\xff"))
PNG = FileType("image/png", (".png",), _starts(b"\x89PNG\r\n\x1a\n"))
PDF = FileType("application/pdf", (".pdf",), _starts(b"%PDF-"))
MP3 = FileType("audio/mpeg", (".mp3",), _mpeg_audio)
# ISO base media: a box size, then "ftyp".
M4A = FileType("audio/mp4", (".m4a",), lambda head: head[4:8] == b"ftyp")
AMR = FileType("audio/amr", (".amr",), _starts(b"#!AMR"))
WAV = FileType("audio/wav", (".wav",), lambda head: head[:4] == b"RIFF" and head[8:12] == b"WAVE")
DOCX = FileType(
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    (".docx",),
    _starts(b"PK\x03\x04"),
)
XLSX = FileType(
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    (".xlsx",),
    _starts(b"PK\x03\x04"),
)
# The Excel 97–2003 workbook: an OLE2 compound document.
XLS = FileType("application/vnd.ms-excel", (".xls",), _starts(b"\xd0\xcf\x11\xe0"))


def extension(name: str) -> str:
    """The lower-case extension of a file name, with its dot ('' when there is none)."""
    name = name.lower()
    return name[name.rfind(".") :] if "." in name else ""


def by_extension(types: Iterable[FileType], name: str) -> FileType | None:
    """The type among `types` that the name claims by its extension, or None."""
    ext = extension(name)
    return next((t for t in types if ext in t.extensions), None)

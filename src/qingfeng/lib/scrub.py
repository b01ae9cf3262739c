"""Removing what an uploaded file says about the person who made it: EXIF (GPS position,
phone model, time, owner name), XMP, IPTC and comments from JPEG; text, time and EXIF chunks
from PNG; ID3 tags from MP3 and the LIST/INFO and ID3 chunks from WAV (artist, recording
device); the iTunes-style tags, location (©xyz) and recording times from M4A; the document
information (author, creator program, dates) and XMP metadata from PDF, with earlier
revisions dropped; the document properties (author, last editor, company, dates) from Word
and Excel files (.docx, .xlsx, as Office, WPS and LibreOffice write them).

Only the JPEG orientation survives (re-written as a one-tag EXIF block), so a phone photo
still shows upright. The pixels are never decoded or changed. Anything that does not parse
as expected is returned unchanged: the check of the file's type happened before, and an
upload is never lost to a cleaning step. Pure bytes in, bytes out: no storage, no settings.
"""

from __future__ import annotations

import io
import logging
import re
import struct
import zipfile
from collections.abc import Callable

from pypdf import PdfReader, PdfWriter
from pypdf.errors import DeprecationError, PyPdfError

log = logging.getLogger(__name__)

# JPEG markers dropped: APP1 (EXIF, XMP), APP13 (Photoshop IRB / IPTC), APP3–APP12 and
# APP15 (vendor data), COM (comments). APP0 (JFIF), APP2 (ICC colour) and APP14 (Adobe
# colour transform) are kept because decoding depends on them.
_DROP_MARKERS = {0xE1, 0xED, 0xFE, *range(0xE3, 0xED), 0xEF}
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_DROP = {b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"tIME"}


def scrub(content_type: str, data: bytes) -> bytes:
    """The file without what it says about its author; unchanged for a type not in `CLEANED`
    and for anything that does not parse as its type should."""
    cleaner = _CLEANERS.get(content_type)
    if cleaner is None:
        return data
    try:
        return cleaner(data)
    except (ValueError, IndexError, struct.error):
        return data


def _orientation(exif: bytes) -> int:
    """The orientation tag (0x0112) of an APP1 EXIF payload, or 0."""
    if not exif.startswith(b"Exif\x00\x00"):
        return 0
    tiff = exif[6:]
    order = {b"II": "<", b"MM": ">"}.get(tiff[:2])
    if order is None:
        return 0
    (ifd,) = struct.unpack(order + "I", tiff[4:8])
    (count,) = struct.unpack(order + "H", tiff[ifd : ifd + 2])
    for i in range(count):
        entry = tiff[ifd + 2 + 12 * i : ifd + 14 + 12 * i]
        tag, kind, _n = struct.unpack(order + "HHI", entry[:8])
        if tag == 0x0112 and kind == 3:
            value = struct.unpack(order + "H", entry[8:10])[0]
            return value if 1 <= value <= 8 else 0
    return 0


def _orientation_segment(value: int) -> bytes:
    tiff = b"MM\x00\x2a" + struct.pack(">I", 8) + struct.pack(">H", 1)
    tiff += struct.pack(">HHIHH", 0x0112, 3, 1, value, 0) + struct.pack(">I", 0)
    payload = b"Exif\x00\x00" + tiff
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


def scrub_jpeg(data: bytes) -> bytes:
    if not data.startswith(b"\xff\xd8"):
        return data
    out = [b"\xff\xd8"]
    orientation = 0
    pos = 2
    while pos < len(data):
        if data[pos] != 0xFF:
            raise ValueError("not at a marker")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0xDA or marker == 0xD9:  # start of scan / end: the rest is image data
            if orientation:  # after JFIF's APP0, which must come first
                at = 2 if len(out) > 1 and out[1].startswith(b"\xff\xe0") else 1
                out.insert(at, _orientation_segment(orientation))
            out.append(data[pos:])
            return b"".join(out)
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # markers without a length
            out.append(data[pos : pos + 2])
            pos += 2
            continue
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        segment = data[pos : pos + 2 + length]
        if len(segment) != 2 + length:
            raise ValueError("truncated segment")
        if marker == 0xE1 and not orientation:
            orientation = _orientation(segment[4:])
        if marker not in _DROP_MARKERS:
            out.append(segment)
        pos += 2 + length
    raise ValueError("no image data")


def scrub_png(data: bytes) -> bytes:
    if not data.startswith(_PNG_SIGNATURE):
        return data
    out = [_PNG_SIGNATURE]
    pos = len(_PNG_SIGNATURE)
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        chunk = data[pos : pos + 12 + length]
        if len(chunk) != 12 + length:
            raise ValueError("truncated chunk")
        if kind not in _PNG_DROP:
            out.append(chunk)
        pos += 12 + length
        if kind == b"IEND":
            break
    return b"".join(out)


def scrub_mp3(data: bytes) -> bytes:
    """Without the ID3v2 tag in front and the ID3v1 tag at the end; unchanged unless what is
    left starts with an MPEG audio frame."""
    body = data
    if body.startswith(b"ID3") and len(body) >= 10:
        size = 0
        for byte in body[6:10]:  # "syncsafe": seven bits per byte
            size = (size << 7) | (byte & 0x7F)
        footer = 10 if body[5] & 0x10 else 0
        body = body[10 + size + footer :]
    if len(body) >= 128 and body[-128:-125] == b"TAG":
        body = body[:-128]
    if len(body) > 1 and body[0] == 0xFF and body[1] >= 0xE0:
        return body
    return data


def scrub_wav(data: bytes) -> bytes:
    """Without LIST (INFO: artist, software, date) and id3 chunks; the RIFF size fixed."""
    if not (data.startswith(b"RIFF") and data[8:12] == b"WAVE"):
        return data
    out = [b"WAVE"]
    pos = 12
    while pos + 8 <= len(data):
        kind = data[pos : pos + 4]
        (length,) = struct.unpack("<I", data[pos + 4 : pos + 8])
        end = pos + 8 + length + (length & 1)  # chunks are padded to an even length
        if kind not in {b"LIST", b"id3 ", b"ID3 "}:
            out.append(data[pos:end])
        pos = end
    body = b"".join(out)
    return b"RIFF" + struct.pack("<I", len(body)) + body


# MP4 boxes whose children are boxes (walked to find metadata and the time stamps).
_MP4_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts", b"dinf"}
# Boxes that carry tags: user data (©nam, ©ART, ©day, ©too, ©xyz location) and metadata.
_MP4_TAGS = {b"udta", b"meta"}
# Full boxes whose version-dependent header starts with creation and modification times.
_MP4_TIMED = {b"mvhd", b"tkhd", b"mdhd"}


def scrub_mp4(data: bytes) -> bytes:
    """An M4A (ISO base media) recording without its tags, location and recording times.

    Tag boxes become `free` boxes of the same size filled with zeros, and the time stamps are
    zeroed in place: nothing moves, so the sample offsets (stco/co64) stay right whether the
    movie box comes before or after the media data."""
    if data[4:8] != b"ftyp":
        return data
    out = bytearray(data)
    _scrub_mp4_boxes(out, 0, len(out))
    return bytes(out)


_MP4_DEPTH = 8  # moov/trak/mdia/minf/stbl is five deep; a file nested deeper is not audio


def _scrub_mp4_boxes(buf: bytearray, start: int, end: int, depth: int = 0) -> None:
    if depth > _MP4_DEPTH:
        raise ValueError("boxes nested too deep")
    pos = start
    while pos + 8 <= end:
        (size,) = struct.unpack(">I", buf[pos : pos + 4])
        kind = bytes(buf[pos + 4 : pos + 8])
        header = 8
        if size == 1:  # 64-bit size follows the type
            (size,) = struct.unpack(">Q", buf[pos + 8 : pos + 16])
            header = 16
        elif size == 0:  # to the end of the enclosing box
            size = end - pos
        if size < header or pos + size > end:
            raise ValueError("bad box size")
        body = pos + header
        if kind in _MP4_TAGS:
            buf[pos + 4 : pos + 8] = b"free"
            buf[body : pos + size] = bytes(pos + size - body)
        elif kind in _MP4_CONTAINERS:
            _scrub_mp4_boxes(buf, body, pos + size, depth + 1)
        elif kind in _MP4_TIMED:
            version = buf[body]
            width = 8 if version == 1 else 4
            times = body + 4  # after version and flags
            if times + 2 * width > pos + size:
                raise ValueError("short full box")
            buf[times : times + 2 * width] = bytes(2 * width)
        pos += size


def scrub_pdf(data: bytes) -> bytes:
    """A PDF re-written without its document information and XMP metadata.

    Re-writing keeps only the objects the pages reach, so metadata left in earlier
    incremental revisions goes too. An encrypted or unreadable PDF is kept as it came."""
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            return data
        writer = PdfWriter(clone_from=reader)
        writer.metadata = None  # no /Info dictionary in the trailer
        if "/Metadata" in writer.root_object:
            del writer.root_object["/Metadata"]
        for page in writer.pages:
            if "/Metadata" in page:
                del page["/Metadata"]
        # The clone holds every object of the file; write only those still reached.
        writer.compress_identical_objects(remove_unreferenced=True)
        out = io.BytesIO()
        writer.write(out)
    except DeprecationError:  # the library changed under us: a bug to see, not a file to keep
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        log.info("PDF attachment kept as uploaded: it could not be re-written")
        return data
    return out.getvalue()


_OFFICE_CORE = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
    b'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"/>'
)
OFFICE_MAX_UNPACKED = 200 * 1024 * 1024  # as lib/xlsx reads a workbook
_OFFICE_APP_DROP = re.compile(rb"<(Company|Manager|HyperlinkBase)>[^<]*</\1>|<(Company|Manager)/>")


def scrub_office(data: bytes) -> bytes:
    """A .docx or .xlsx without its document properties: the core properties (author, last
    editor, dates, title) emptied, the company and manager taken out of the app properties,
    custom properties emptied (WPS keeps its build number there). Every other part is copied
    as it was, in the same order. A file that would unpack past `OFFICE_MAX_UNPACKED` is kept
    as it came rather than unpacked into memory (the upload's own size limit is far below)."""
    try:
        out = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w") as zout:
            if sum(item.file_size for item in zin.infolist()) > OFFICE_MAX_UNPACKED:
                log.info("Office attachment kept as uploaded: it unpacks too large")
                return data
            for item in zin.infolist():
                content = zin.read(item.filename)
                if item.filename == "docProps/core.xml":
                    content = _OFFICE_CORE
                elif item.filename == "docProps/app.xml":
                    content = _OFFICE_APP_DROP.sub(b"", content)
                elif item.filename == "docProps/custom.xml":
                    content = re.sub(rb"<property\b.*?</property>", b"", content, flags=re.S)
                zout.writestr(item, content, compress_type=zipfile.ZIP_DEFLATED)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        log.info("Office attachment kept as uploaded: it could not be re-written")
        return data
    return out.getvalue()


_CLEANERS: dict[str, Callable[[bytes], bytes]] = {
    "image/jpeg": scrub_jpeg,
    "image/png": scrub_png,
    "audio/mpeg": scrub_mp3,
    "audio/wav": scrub_wav,
    "audio/mp4": scrub_mp4,
    "application/pdf": scrub_pdf,
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": scrub_office,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": scrub_office,
}
# The content types `scrub` cleans (a file of another type is stored as it came).
CLEANED = frozenset(_CLEANERS)

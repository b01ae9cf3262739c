"""Uploaded files lose what identifies their author (tags, positions, authors, devices); the
picture, recording or document itself is kept."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from datetime import datetime
from unittest import TestCase

from docx import Document
from openpyxl import Workbook, load_workbook
from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject, StreamObject

from qingfeng.lib import scrub


def segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def exif(orientation: int) -> bytes:
    tiff = b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 1)
    tiff += struct.pack("<HHIHH", 0x0112, 3, 1, orientation, 0) + struct.pack("<I", 0)
    return b"Exif\x00\x00" + tiff + b"GPSLatitude 31.2304N Owner:OWNERTAG"


SCAN = segment(0xDA, b"\x01\x01\x00\x00\x3f\x00") + b"\x12\x34\x56\x78" + b"\xff\xd9"
JPEG = (
    b"\xff\xd8"
    + segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
    + segment(0xE1, exif(6))
    + segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta>iPhone 15</x:xmpmeta>")
    + segment(0xFE, b"taken by OWNERTAG")
    + segment(0xDB, b"\x00" + bytes(64))
    + SCAN
)


def _with_parts(data: bytes, parts: dict[str, bytes]) -> bytes:
    """The package with parts replaced or added, as WPS and Office write them."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w") as zout:
        for item in zin.infolist():
            if item.filename not in parts:
                zout.writestr(item, zin.read(item.filename))
        for name, content in parts.items():
            zout.writestr(name, content, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


_APP = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Properties xmlns="http://schemas.'
    'openxmlformats.org/officeDocument/2006/extended-properties"><Application>WPS Office'
    "</Application><Company>东城区实验小学</Company><Manager>李校长</Manager></Properties>"
).encode()
_CUSTOM = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Properties xmlns="http://schemas.'
    b'openxmlformats.org/officeDocument/2006/custom-properties" xmlns:vt="http://schemas.'
    b'openxmlformats.org/officeDocument/2006/docPropsVTypes"><property fmtid="{D5CDD505-2E9C-'
    b'101B-9397-08002B2CF9AE}" pid="2" name="KSOProductBuildVer"><vt:lpwstr>2052-12.1.0.15374'
    b"</vt:lpwstr></property></Properties>"
)


def docx_by(author: str, text: str = "关于违规推荐教辅问题的整改报告") -> bytes:
    """A Word document written by a named author (core, app and custom properties filled)."""
    doc = Document()
    doc.add_paragraph(text)
    doc.core_properties.author = author
    doc.core_properties.last_modified_by = author
    doc.core_properties.title = "整改报告（内部）"
    doc.core_properties.created = datetime(2026, 11, 2, 8, 30)
    out = io.BytesIO()
    doc.save(out)
    return _with_parts(out.getvalue(), {"docProps/app.xml": _APP, "docProps/custom.xml": _CUSTOM})


def xlsx_by(author: str) -> bytes:
    """An Excel workbook written by a named author, with a cell of data."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["问题", "整改措施"])
    sheet.append(["违规推荐教辅", "全部退回费用"])
    book.properties.creator = author
    book.properties.lastModifiedBy = author
    out = io.BytesIO()
    book.save(out)
    return _with_parts(out.getvalue(), {"docProps/app.xml": _APP})


def unpacked(data: bytes) -> bytes:
    """Every part of an Office package, unpacked (what a reader of the file could see)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return b"".join(archive.read(name) for name in archive.namelist())


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


PNG = (
    b"\x89PNG\r\n\x1a\n"
    + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
    + chunk(b"tEXt", b"Author\x00OWNERTAG")
    + chunk(b"eXIf", b"MM\x00*GPS")
    + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
    + chunk(b"IEND", b"")
)


class ScrubTestCase(TestCase):
    def test_a_jpeg_keeps_its_picture_and_orientation_only(self) -> None:
        clean = scrub.scrub_jpeg(JPEG)
        for secret in (b"GPSLatitude", b"OWNERTAG", b"iPhone"):
            self.assertNotIn(secret, clean)
        self.assertTrue(clean.startswith(b"\xff\xd8\xff\xe0"))  # JFIF still first
        self.assertTrue(clean.endswith(SCAN))
        self.assertIn(segment(0xDB, b"\x00" + bytes(64)), clean)
        app1 = clean.index(b"\xff\xe1")
        (length,) = struct.unpack(">H", clean[app1 + 2 : app1 + 4])
        self.assertEqual(scrub._orientation(clean[app1 + 4 : app1 + 2 + length]), 6)

    def test_a_png_loses_its_text_chunks(self) -> None:
        clean = scrub.scrub_png(PNG)
        self.assertNotIn(b"OWNERTAG", clean)
        self.assertNotIn(b"eXIf", clean)
        self.assertIn(b"IDAT", clean)
        self.assertTrue(clean.endswith(chunk(b"IEND", b"")))

    def test_something_unparsable_is_kept_as_it_is(self) -> None:
        broken = JPEG[:40]
        self.assertEqual(scrub.scrub("image/jpeg", broken), broken)
        self.assertEqual(scrub.scrub("application/pdf", b"%PDF-1.4"), b"%PDF-1.4")

    def test_a_type_it_does_not_know_is_kept_as_it_is(self) -> None:
        self.assertEqual(scrub.scrub("audio/amr", b"#!AMR\nOWNERTAG"), b"#!AMR\nOWNERTAG")
        self.assertNotIn("audio/amr", scrub.CLEANED)


class AudioScrubTestCase(TestCase):
    def test_an_mp3_loses_its_id3_tags(self) -> None:
        frames = b"\xff\xfb\x90\x00" + bytes(200)
        tag = b"ID3\x03\x00\x00\x00\x00\x00\x14" + b"TPE1\x00\x00\x00\x0a\x00\x00\x00OWNERTAG\x00"
        v1 = b"TAG" + b"OWNERTAG".ljust(125, b"\x00")
        self.assertEqual(scrub.scrub("audio/mpeg", tag + frames + v1), frames)
        self.assertEqual(scrub.scrub("audio/mpeg", b"ID3garbage"), b"ID3garbage")

    def test_a_wav_loses_its_info_chunk(self) -> None:
        fmt = b"fmt " + struct.pack("<I", 16) + bytes(16)
        info = b"LIST" + struct.pack("<I", 17) + b"INFOIART" + b"OWNERTAG\x00" + b"\x00"
        samples = b"data" + struct.pack("<I", 4) + b"\x01\x02\x03\x04"
        body = b"WAVE" + fmt + info + samples
        clean = scrub.scrub("audio/wav", b"RIFF" + struct.pack("<I", len(body)) + body)
        self.assertNotIn(b"OWNERTAG", clean)
        self.assertEqual(
            clean,
            b"RIFF" + struct.pack("<I", 4 + len(fmt) + len(samples)) + b"WAVE" + fmt + samples,
        )


def box(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", 8 + len(body)) + kind + body


def full_box(kind: bytes, version: int, body: bytes) -> bytes:
    return box(kind, bytes([version, 0, 0, 0]) + body)


RECORDED = struct.pack(">II", 3_900_000_000, 3_900_000_100)  # creation, modification (1904 epoch)
TAGS = box(
    b"udta",
    box(b"\xa9xyz", b"+31.2304+121.4737/")
    + full_box(b"meta", 0, box(b"ilst", box(b"\xa9ART", b"OWNERTAG iPhone"))),
)
SAMPLES = b"\x21\x10\x05\x45" * 8


def m4a(*, movie_first: bool) -> bytes:
    mvhd = full_box(b"mvhd", 0, RECORDED + struct.pack(">II", 44100, 8) + bytes(80))
    tkhd = full_box(b"tkhd", 1, struct.pack(">QQ", 3_900_000_000, 3_900_000_100) + bytes(68))
    mdhd = full_box(b"mdhd", 0, RECORDED + struct.pack(">II", 44100, 8) + bytes(4))
    stco = full_box(b"stco", 0, struct.pack(">II", 1, 0))  # offset patched below
    trak = box(b"trak", tkhd + box(b"mdia", mdhd + box(b"minf", box(b"stbl", stco))) + TAGS)
    ftyp = box(b"ftyp", b"M4A \x00\x00\x00\x00M4A isom")
    mdat = box(b"mdat", SAMPLES)
    moov = box(b"moov", mvhd + trak + TAGS)
    data = ftyp + moov + mdat if movie_first else ftyp + mdat + moov
    offset = data.index(SAMPLES)
    at = data.index(b"stco") + 8 + 4
    return data[:at] + struct.pack(">I", offset) + data[at + 4 :]


def pdf_with_history() -> bytes:
    """A PDF with an author, producer and XMP packet, then an incremental revision: the
    first revision's metadata is still in the file's bytes after it."""
    first = PdfWriter()
    first.add_blank_page(200, 200)
    first.add_metadata({"/Author": "OWNERTAG", "/Producer": "PhoneScanner"})
    xmp = StreamObject()
    xmp.set_data(b"<x:xmpmeta><dc:creator>OWNERTAG</dc:creator></x:xmpmeta>")
    xmp.update({NameObject("/Type"): NameObject("/Metadata")})
    first.root_object[NameObject("/Metadata")] = first._add_object(xmp)
    buffer = io.BytesIO()
    first.write(buffer)
    second = PdfWriter(io.BytesIO(buffer.getvalue()), incremental=True)
    second.add_metadata({"/Author": "REVISION2"})
    out = io.BytesIO()
    second.write(out)
    return out.getvalue()


class RecordingAndDocumentScrubTestCase(TestCase):
    def test_an_m4a_loses_tags_location_and_times_and_keeps_its_samples(self) -> None:
        for movie_first in (True, False):
            original = m4a(movie_first=movie_first)
            clean = scrub.scrub("audio/mp4", original)
            for secret in (b"OWNERTAG", b"+31.2304", b"\xa9xyz", RECORDED):
                self.assertNotIn(secret, clean)
            self.assertEqual(len(clean), len(original))  # nothing moved...
            self.assertEqual(clean.index(SAMPLES), original.index(SAMPLES))  # ...stco still right
            self.assertIn(b"free", clean)
            self.assertIn(b"mdhd", clean)

    def test_a_broken_m4a_is_kept(self) -> None:
        broken = m4a(movie_first=True)[:60]
        self.assertEqual(scrub.scrub("audio/mp4", broken), broken)

    def test_an_m4a_of_boxes_nested_thousands_deep_is_kept_not_a_crash(self) -> None:
        # 9.6 KB of moov boxes, each inside the last: the walk once recursed until it failed.
        nested = b""
        for _level in range(1200):
            nested = box(b"moov", nested)
        hostile = box(b"ftyp", b"M4A \x00\x00\x00\x00M4A isom") + nested
        self.assertEqual(scrub.scrub("audio/mp4", hostile), hostile)

    def test_a_pdf_loses_its_metadata_in_every_revision(self) -> None:
        original = pdf_with_history()
        self.assertIn(b"OWNERTAG", original)
        self.assertIn(b"REVISION2", original)
        clean = scrub.scrub("application/pdf", original)
        for secret in (b"OWNERTAG", b"REVISION2", b"PhoneScanner", b"xmpmeta"):
            self.assertNotIn(secret, clean)
        reader = PdfReader(io.BytesIO(clean))
        self.assertEqual(len(reader.pages), 1)
        self.assertIsNone(reader.metadata)


class OfficeTestCase(TestCase):
    DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    def test_a_word_document_loses_its_author_company_and_dates_and_keeps_its_text(self) -> None:
        original = docx_by("张伟")
        for told in ("张伟", "东城区实验小学", "李校长", "KSOProductBuildVer", "2026-11-02"):
            self.assertIn(told.encode(), unpacked(original))
        clean = scrub.scrub(self.DOCX, original)
        for told in ("张伟", "东城区实验小学", "李校长", "KSOProductBuildVer", "2026-11-02"):
            self.assertNotIn(told.encode(), unpacked(clean))
        doc = Document(io.BytesIO(clean))
        self.assertEqual(doc.paragraphs[0].text, "关于违规推荐教辅问题的整改报告")
        self.assertEqual(doc.core_properties.author, "")
        self.assertIn(b"WPS Office", unpacked(clean))  # what wrote it is not who

    def test_a_workbook_loses_its_author_and_keeps_its_cells(self) -> None:
        original = xlsx_by("王芳")
        self.assertIn("王芳".encode(), unpacked(original))
        clean = scrub.scrub(self.XLSX, original)
        self.assertNotIn("王芳".encode(), unpacked(clean))
        self.assertNotIn("东城区实验小学".encode(), unpacked(clean))
        book = load_workbook(io.BytesIO(clean))
        self.assertNotEqual(
            book.properties.creator, "王芳"
        )  # openpyxl reads an empty one as "openpyxl"
        sheet = book.active
        assert sheet is not None
        self.assertEqual([c.value for c in sheet[2]], ["违规推荐教辅", "全部退回费用"])

    def test_a_package_that_would_unpack_too_large_or_is_not_a_zip_is_kept(self) -> None:
        self.assertEqual(scrub.scrub(self.DOCX, b"PK\x03\x04broken"), b"PK\x03\x04broken")
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("docProps/core.xml", "<cp:coreProperties>张伟</cp:coreProperties>")
            archive.writestr("word/media/zeros.bin", bytes(scrub.OFFICE_MAX_UNPACKED + 1))
        bomb = out.getvalue()
        self.assertLess(len(bomb), 1024 * 1024)
        self.assertEqual(scrub.scrub(self.DOCX, bomb), bomb)

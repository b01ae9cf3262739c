"""Photos attached by reporters lose what identifies them; the picture itself is kept."""

from __future__ import annotations

import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile

from qingfeng.intake import scrub
from qingfeng.intake.models import TicketAttachment
from qingfeng.intake.tests.test_submit_actions import SubmitBase


def segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def exif(orientation: int) -> bytes:
    tiff = b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 1)
    tiff += struct.pack("<HHIHH", 0x0112, 3, 1, orientation, 0) + struct.pack("<I", 0)
    return b"Exif\x00\x00" + tiff + b"GPSLatitude 31.2304N Owner:ZhangSan"


SCAN = segment(0xDA, b"\x01\x01\x00\x00\x3f\x00") + b"\x12\x34\x56\x78" + b"\xff\xd9"
JPEG = (
    b"\xff\xd8"
    + segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
    + segment(0xE1, exif(6))
    + segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta>iPhone 15</x:xmpmeta>")
    + segment(0xFE, b"taken by ZhangSan")
    + segment(0xDB, b"\x00" + bytes(64))
    + SCAN
)


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


PNG = (
    b"\x89PNG\r\n\x1a\n"
    + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
    + chunk(b"tEXt", b"Author\x00ZhangSan")
    + chunk(b"eXIf", b"MM\x00*GPS")
    + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
    + chunk(b"IEND", b"")
)


class ScrubTestCase(SubmitBase):
    def test_a_jpeg_keeps_its_picture_and_orientation_only(self) -> None:
        clean = scrub.scrub_jpeg(JPEG)
        for secret in (b"GPSLatitude", b"ZhangSan", b"iPhone"):
            self.assertNotIn(secret, clean)
        self.assertTrue(clean.startswith(b"\xff\xd8\xff\xe0"))  # JFIF still first
        self.assertTrue(clean.endswith(SCAN))
        self.assertIn(segment(0xDB, b"\x00" + bytes(64)), clean)
        app1 = clean.index(b"\xff\xe1")
        (length,) = struct.unpack(">H", clean[app1 + 2 : app1 + 4])
        self.assertEqual(scrub._orientation(clean[app1 + 4 : app1 + 2 + length]), 6)

    def test_a_png_loses_its_text_chunks(self) -> None:
        clean = scrub.scrub_png(PNG)
        self.assertNotIn(b"ZhangSan", clean)
        self.assertNotIn(b"eXIf", clean)
        self.assertIn(b"IDAT", clean)
        self.assertTrue(clean.endswith(chunk(b"IEND", b"")))

    def test_something_unparsable_is_kept_as_it_is(self) -> None:
        broken = JPEG[:40]
        self.assertEqual(scrub.scrub("image/jpeg", broken), broken)
        self.assertEqual(scrub.scrub("application/pdf", b"%PDF-1.4"), b"%PDF-1.4")

    def test_stored_photos_are_scrubbed(self) -> None:
        ticket, _code = self.submit(
            files=[SimpleUploadedFile("现场.jpg", JPEG), SimpleUploadedFile("截图.png", PNG)]
        )
        for attachment in TicketAttachment.objects.filter(ticket=ticket):
            with attachment.file.open("rb") as handle:
                data = handle.read()
            self.assertNotIn(b"ZhangSan", data)
            self.assertEqual(attachment.size, len(data))
        ticket.refresh_from_db()
        self.assertEqual(ticket.light, "green")
        self.assertEqual(ticket.due_key, ticket.accept_due)


class AudioScrubTestCase(SubmitBase):
    def test_an_mp3_loses_its_id3_tags(self) -> None:
        frames = b"\xff\xfb\x90\x00" + bytes(200)
        tag = b"ID3\x03\x00\x00\x00\x00\x00\x14" + b"TPE1\x00\x00\x00\x0a\x00\x00\x00ZhangSan\x00"
        v1 = b"TAG" + b"ZhangSan".ljust(125, b"\x00")
        self.assertEqual(scrub.scrub("audio/mpeg", tag + frames + v1), frames)
        self.assertEqual(scrub.scrub("audio/mpeg", b"ID3garbage"), b"ID3garbage")

    def test_a_wav_loses_its_info_chunk(self) -> None:
        fmt = b"fmt " + struct.pack("<I", 16) + bytes(16)
        info = b"LIST" + struct.pack("<I", 17) + b"INFOIART" + b"ZhangSan\x00" + b"\x00"
        samples = b"data" + struct.pack("<I", 4) + b"\x01\x02\x03\x04"
        body = b"WAVE" + fmt + info + samples
        clean = scrub.scrub("audio/wav", b"RIFF" + struct.pack("<I", len(body)) + body)
        self.assertNotIn(b"ZhangSan", clean)
        self.assertEqual(
            clean,
            b"RIFF" + struct.pack("<I", 4 + len(fmt) + len(samples)) + b"WAVE" + fmt + samples,
        )

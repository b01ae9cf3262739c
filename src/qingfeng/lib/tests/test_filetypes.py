from __future__ import annotations

from unittest import TestCase

from qingfeng.lib import filetypes as ft

# The first bytes of a real file of each type.
HEADS = {
    ft.JPEG: b"\xff\xd8\xff\xe0\x00\x10JFIF\x00",
    ft.PNG: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    ft.PDF: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3",
    ft.MP3: b"ID3\x04\x00\x00\x00\x00\x00#TSSE",
    ft.M4A: b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00",
    ft.AMR: b"#!AMR\n<\x91\x17\x16\xbe",
    ft.WAV: b"RIFF$\x08\x00\x00WAVEfmt ",
    ft.DOCX: b"PK\x03\x04\x14\x00\x06\x00",
    ft.XLSX: b"PK\x03\x04\x14\x00\x06\x00",
    ft.XLS: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
}


class FileTypesTestCase(TestCase):
    def test_each_type_knows_its_own_first_bytes(self) -> None:
        for kind, head in HEADS.items():
            self.assertTrue(kind.matches(head[: ft.HEAD]), kind.content_type)
            # No other type claims them (but DOCX and XLSX, both ZIP archives, share theirs).
            others = [t for t, h in HEADS.items() if h != head and t.matches(head)]
            self.assertEqual(others, [], kind.content_type)

    def test_an_mp3_may_start_straight_with_a_frame(self) -> None:
        self.assertTrue(ft.MP3.matches(b"\xff\xfb\x90\x00"))
        self.assertFalse(ft.MP3.matches(b"\xff"))
        self.assertFalse(ft.MP3.matches(b""))

    def test_nothing_matches_a_program_or_an_empty_file(self) -> None:
        for kind in HEADS:
            self.assertFalse(kind.matches(b"MZ\x90\x00\x03\x00\x00\x00"), kind.content_type)
            self.assertFalse(kind.matches(b""), kind.content_type)

    def test_the_name_claims_a_type_by_its_extension(self) -> None:
        photos = (ft.JPEG, ft.PNG)
        self.assertIs(ft.by_extension(photos, "现场.JPEG"), ft.JPEG)
        self.assertIs(ft.by_extension(photos, "a.b.png"), ft.PNG)
        for name in ("scan.pdf", "png", "photo.", ""):
            self.assertIsNone(ft.by_extension(photos, name), name)
        self.assertEqual(ft.extension("Report.Final.XLSX"), ".xlsx")
        self.assertEqual(ft.extension("README"), "")
